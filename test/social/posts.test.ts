import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { imagePart, multipart, mp4, notMedia, png, videoPart } from './helpers.js';
import { itServer } from '../support/server-only.js';
import { videoBytes } from '../support/video.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let validator: TestUser;
const events: { name: string; payload: any }[] = [];

beforeAll(async () => {
  // Small limits so the size checks can be exercised with tiny files.
  t = await createTestApp({ UPLOAD_MAX_BYTES: '4096', VIDEO_MAX_BYTES: '8192', PUBLIC_BASE_URL: 'https://api.example.test' });
  for (const name of ['post.created', 'post.updated', 'post.deleted', 'post.liked']) t.ctx.events.on(name, (payload) => void events.push({ name, payload }));
  [alice, bob, carol, validator] = await Promise.all([t.user(), t.user(), t.user(), t.user()]);
  // bob follows alice; carol is a stranger.
  expect((await bob.req({ method: 'POST', url: `/api/v1/users/${alice.id}/follow/`, body: {} })).statusCode).toBe(200);
});
afterAll(async () => t?.close());

const createPost = (u: TestUser, body: Record<string, unknown>) => u.req({ method: 'POST', url: '/api/v1/posts/', body });
const upload = (u: TestUser, fields: Record<string, string | string[]>, files: Parameters<typeof multipart>[1]) => {
  const m = multipart(fields, files);
  return u.req({ method: 'POST', url: '/api/v1/posts/', payload: m.payload, headers: m.headers });
};
/** Setup posts go through the service: the HTTP create limit (30/min) is tested on its own. */
const seedPost = async (u: TestUser, body: { text: string; visibility?: 'public' | 'followers' | 'private' }) => {
  const row = (await t.ctx.services.users.getById(u.id))!;
  return (await t.ctx.services.social.createPost(row, body)).id;
};
const me = async (u: TestUser) => (await u.req({ url: '/api/v1/users/me/' })).json();

describe('POST posts/', () => {
  it('creates a post from JSON with every field the app reads, and counts it on the author', async () => {
    const before = (await me(alice)).posts_count;
    const res = await createPost(alice, { text: 'Hello **world**' });
    expect(res.statusCode).toBe(201);
    const p = res.json();
    expect(p).toMatchObject({
      text: 'Hello **world**',
      visibility: 'public',
      language: 'en',
      media: [],
      images: [],
      image_urls: [],
      image_url: null,
      video: null,
      like_count: 0,
      comment_count: 0,
      liked: false,
      viewer_has_liked: false,
      recent_gifts: [],
      gift_summary: {},
    });
    expect(p.author).toMatchObject({ id: alice.id, handle: alice.handle, account_key: `user:${alice.id}` });
    expect(typeof p.author.flags).toBe('object');
    expect(Number.isSafeInteger(p.id)).toBe(true);
    expect(p.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect((await me(alice)).posts_count).toBe(before + 1);
    expect(events).toContainEqual({ name: 'post.created', payload: { postId: p.id, authorId: alice.id, text: 'Hello **world**', visibility: 'public' } });
  });

  it('answers with what its author reads back (its facts are not queried for the answer)', async () => {
    const made = await createPost(carol, { text: 'read me back' });
    expect(made.statusCode).toBe(201);
    const read = await carol.req({ url: `/api/v1/posts/${made.json().id}/` });
    expect(read.statusCode).toBe(200);
    expect(made.json()).toEqual(read.json());
  });

  it.each([
    [{ text: '' }, 'text'],
    [{ text: '   ' }, 'text'],
    [{}, 'text'],
    [{ text: 'x'.repeat(10_001) }, 'text'],
    [{ text: 5 }, 'text'],
    [{ text: 'ok', visibility: 'friends' }, 'visibility'],
    [{ text: 'ok', language: 'far-too-long' }, 'language'],
    [{ text: 'ok', media_ids: 'nope' }, 'media_ids'],
    [{ text: 'ok', media_ids: [999_999_999] }, 'media_ids'],
    [{ text: 'ok', author: 1 }, 'author'],
  ])('rejects bad input %j on field %s', async (body, field) => {
    const res = await createPost(validator, body);
    expect(res.statusCode).toBe(400);
    expect(Object.keys(res.json())).toContain(field);
  });

  it('needs authentication', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/posts/', body: { text: 'x' } });
    expect(res.statusCode).toBe(401);
  });

  it('accepts up to four images by content, with absolute URLs in order, and serves the files', async () => {
    const res = await upload(alice, { text: '' }, [imagePart('images', 0, png(10, 20)), imagePart('images', 1), imagePart('images_upload', 2)]);
    expect(res.statusCode).toBe(201);
    const p = res.json();
    expect(p.images).toHaveLength(3);
    expect(p.images.map((i: any) => i.order)).toEqual([0, 1, 2]);
    expect(p.image_urls).toEqual(p.images.map((i: any) => i.url));
    expect(p.image_url).toBe(p.images[0].url);
    expect(p.images[0].url).toMatch(/^https:\/\/api\.example\.test\/media\/posts\/images\/\d+\/[0-9a-f]+\.png\?exp=\d+&sig=[\w-]+$/);
    const file = await t.request({ url: new URL(p.images[0].url).pathname + new URL(p.images[0].url).search });
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.subarray(0, 4)).toEqual(png().subarray(0, 4));
  });

  it('takes one video into W-Video and marks the post for video feeds', async () => {
    // A real one-frame H.264 MP4 (test/fixtures/media), not just an ftyp header.
    const res = await upload(alice, { text: 'clip', visibility: 'public' }, [videoPart(videoBytes('mp4'))]);
    expect(res.statusCode).toBe(201);
    const v = res.json().video;
    expect(v).toMatchObject({ thumbnail_url: null, duration: null, mime_type: 'video/mp4' });
    expect(v.url).toMatch(/^https:\/\/api\.example\.test\/media\/posts\/videos\//);
    const vids = await t.ctx.services.social.listRecentVisible({ viewerId: null, limit: 50, videoOnly: true });
    expect(vids.rows.map((r) => r.id)).toContain(res.json().id);
    expect(vids.rows.every((r) => r.hasVideo)).toBe(true);
  });

  it.each([
    ['five images', [0, 1, 2, 3, 4].map((i) => imagePart('images', i)), 'images', 'You can upload up to 4 images.'],
    ['images and a video', [imagePart(), videoPart()], 'video', 'Choose either a video or images for a post in this version.'],
    ['text named .jpg', [{ ...imagePart(), data: notMedia() }], 'images', undefined],
    ['a video sent as an image', [{ ...imagePart(), data: mp4() }], 'images', undefined],
    ['an image sent as the video', [{ ...videoPart(), data: png() }], 'video', 'Unsupported video format.'],
    ['two videos', [videoPart(), videoPart()], 'video', undefined],
    ['an unknown file field', [{ ...imagePart(), field: 'avatar' }], 'avatar', 'Unknown field.'],
    ['an image over UPLOAD_MAX_BYTES', [imagePart('images', 0, png(1, 1, 5000))], 'images', undefined],
  ])('rejects %s and stores nothing', async (_name, files, field, message) => {
    const before = (await me(alice)).posts_count;
    const res = await upload(alice, { text: 'media' }, files);
    expect(res.statusCode).toBe(400);
    if (message) expect(res.json()[field]).toEqual([message]);
    else expect(res.json()[field]).toBeDefined();
    expect((await me(alice)).posts_count).toBe(before);
  });

  it('answers a video over the upload limit with 413 keyed by the field', async () => {
    const res = await upload(alice, { text: 'big' }, [videoPart(mp4(9000))]);
    expect(res.statusCode).toBe(413);
  });

  it('attaches the caller\'s own media assets by id, never someone else\'s', async () => {
    const m = multipart({}, [{ field: 'file', filename: 'a.png', type: 'image/png', data: png(3, 4) }]);
    const asset = (await alice.req({ method: 'POST', url: '/api/v1/media/', payload: m.payload, headers: m.headers })).json();
    const res = await createPost(alice, { text: 'with media', media_ids: [asset.id] });
    expect(res.statusCode).toBe(201);
    expect(res.json().media).toMatchObject([{ id: asset.id, mime: 'image/png', width: 3, height: 4, status: 'ready' }]);
    const theft = await createPost(bob, { text: 'stolen', media_ids: [asset.id] });
    expect(theft.statusCode).toBe(400);
    expect(theft.json().media_ids).toBeDefined();
  });

  it('accepts media_ids in multipart bodies (repeated field)', async () => {
    const m = multipart({}, [{ field: 'file', filename: 'v.mp4', type: 'video/mp4', data: mp4() }]);
    const asset = (await alice.req({ method: 'POST', url: '/api/v1/media/', payload: m.payload, headers: m.headers })).json();
    const res = await upload(alice, { text: 'attached video', media_ids: [String(asset.id)] }, []);
    expect(res.statusCode).toBe(201);
    expect(res.json().video).toMatchObject({ id: asset.id, mime_type: 'video/mp4' });
  });

  it('limits post creation to 30 a minute per user with 429, not 403', async () => {
    const dave = await t.user();
    const codes: number[] = [];
    for (let i = 0; i < 31; i++) codes.push((await createPost(dave, { text: '' })).statusCode);
    expect(codes.slice(0, 30).every((c) => c === 400)).toBe(true);
    const last = await createPost(dave, { text: 'one more' });
    expect(last.statusCode).toBe(429);
    expect(last.headers['retry-after']).toBeDefined();
  });
});

describe('visibility', () => {
  let pub: number, fol: number, priv: number;
  beforeAll(async () => {
    pub = (await seedPost(alice, { text: 'public one' }));
    fol = (await seedPost(alice, { text: 'followers one', visibility: 'followers' }));
    priv = (await seedPost(alice, { text: 'private one', visibility: 'private' }));
  });
  const detail = (u: TestUser | null, id: number) => (u ? u.req({ url: `/api/v1/posts/${id}/` }) : t.request({ url: `/api/v1/posts/${id}/` }));

  it.each([
    ['anonymous', null, [200, 404, 404]],
    ['a stranger', 'carol', [200, 404, 404]],
    ['a follower', 'bob', [200, 200, 404]],
    ['the author', 'alice', [200, 200, 200]],
  ])('%s sees the right posts in detail', async (_label, who, expected) => {
    const u = who === null ? null : ({ alice, bob, carol } as Record<string, TestUser>)[who];
    const codes = [];
    for (const id of [pub, fol, priv]) codes.push((await detail(u, id)).statusCode);
    expect(codes).toEqual(expected);
  });

  it('lists only what the viewer may see', async () => {
    const ids = async (u: TestUser | null) => {
      const res = u ? await u.req({ url: `/api/v1/posts/?author=${alice.id}&page_size=100` }) : await t.request({ url: `/api/v1/posts/?author=${alice.id}&page_size=100` });
      expect(res.statusCode).toBe(200);
      return res.json().results.map((p: any) => p.id);
    };
    expect(await ids(null)).toContain(pub);
    expect(await ids(null)).not.toContain(fol);
    expect(await ids(carol)).not.toContain(fol);
    expect(await ids(bob)).toContain(fol);
    expect(await ids(bob)).not.toContain(priv);
    expect(await ids(alice)).toEqual(expect.arrayContaining([pub, fol, priv]));
  });

  it('hides posts across blocks in both directions, comments and likes included', async () => {
    const eve = await t.user();
    const id = (await seedPost(eve, { text: 'eve says hi' }));
    expect((await carol.req({ url: `/api/v1/posts/${id}/` })).statusCode).toBe(200);
    await eve.req({ method: 'POST', url: `/api/v1/users/${carol.id}/block/`, body: {} });
    expect((await carol.req({ url: `/api/v1/posts/${id}/` })).statusCode).toBe(404);
    expect((await carol.req({ method: 'POST', url: `/api/v1/posts/${id}/like/`, body: {} })).statusCode).toBe(404);
    expect((await carol.req({ url: `/api/v1/comments/?post=${id}` })).statusCode).toBe(404);
    const list = (await carol.req({ url: `/api/v1/posts/?author=${eve.id}` })).json();
    expect(list.results).toEqual([]);
    // The blocker does not see the blocked user's posts either.
    const c = (await seedPost(carol, { text: 'carol here' }));
    expect((await eve.req({ url: `/api/v1/posts/${c}/` })).statusCode).toBe(404);
  });

  it('hides the posts of suspended authors', async () => {
    const sam = await t.user();
    const id = (await seedPost(sam, { text: 'soon gone' }));
    expect((await carol.req({ url: `/api/v1/posts/${id}/` })).statusCode).toBe(200);
    await t.ctx.services.users.setActive(sam.id, false);
    expect((await carol.req({ url: `/api/v1/posts/${id}/` })).statusCode).toBe(404);
    const list = (await t.request({ url: `/api/v1/posts/?author=${sam.id}` })).json();
    expect(list.results).toEqual([]);
    expect(await t.ctx.services.social.canViewPost(null, id)).toBe(false);
  });

  it('moderation hiding leaves the post to its author only', async () => {
    const id = (await seedPost(alice, { text: 'to be hidden' }));
    expect(await t.ctx.services.social.hidePost(id)).toBe(true);
    expect((await bob.req({ url: `/api/v1/posts/${id}/` })).statusCode).toBe(404);
    expect((await alice.req({ url: `/api/v1/posts/${id}/` })).statusCode).toBe(200);
    await t.ctx.services.social.hidePost(id, false);
    expect((await bob.req({ url: `/api/v1/posts/${id}/` })).statusCode).toBe(200);
  });

  it('service reads keep order and drop hidden posts', async () => {
    const s = t.ctx.services.social;
    const got = await s.getVisiblePostsByIds(carol.id, [priv, pub, 987654321, fol, pub]);
    expect(got.map((p) => p.id)).toEqual([pub]);
    expect((await s.getVisiblePostsByIds(bob.id, [fol, pub])).map((p) => p.id)).toEqual([fol, pub]);
    expect(await s.getPost(carol.id, fol)).toBeNull();
    expect((await s.getPost(bob.id, fol))?.id).toBe(fol);
    expect(await s.postExists(priv)).toBe(true);
    expect(await s.postExists(987654321)).toBe(false);
    expect(await s.getPostOwner(priv)).toBe(alice.id);
    const presented = await s.presentPosts({ id: bob.id, isStaff: false }, got, 'http://x');
    expect(presented[0]).toMatchObject({ id: pub, author: { id: alice.id, is_following: true } });
  });
});

describe('listRecentVisible', () => {
  it('refills pages thinned by suspended authors and keeps the cursor going', async () => {
    const kept = await t.user();
    const dropped = await t.user();
    const keptIds = [];
    for (let i = 0; i < 3; i++) keptIds.push(await seedPost(kept, { text: `k${i}` }));
    for (let i = 0; i < 6; i++) await seedPost(dropped, { text: `d${i}` });
    await t.ctx.services.users.setActive(dropped.id, false);
    const s = t.ctx.services.social;
    const first = await s.listRecentVisible({ viewerId: null, authorIds: [kept.id, dropped.id], limit: 2 });
    expect(first.rows.map((r) => r.id)).toEqual([keptIds[2], keptIds[1]]);
    expect(first.next).not.toBeNull();
    const second = await s.listRecentVisible({ viewerId: null, authorIds: [kept.id, dropped.id], limit: 2, before: first.next });
    expect(second.rows.map((r) => r.id)).toEqual([keptIds[0]]);
    expect(second.next).toBeNull();
  });

  it('video-only listings skip posts whose attached video was deleted', async () => {
    const vic = await t.user();
    const m = multipart({}, [{ field: 'file', filename: 'v.mp4', type: 'video/mp4', data: mp4() }]);
    const asset = (await vic.req({ method: 'POST', url: '/api/v1/media/', payload: m.payload, headers: m.headers })).json();
    const post = (await createPost(vic, { text: 'reel', media_ids: [asset.id] })).json();
    const videos = () => t.ctx.services.social.listRecentVisible({ viewerId: null, authorIds: [vic.id], limit: 10, videoOnly: true });
    expect((await videos()).rows.map((r) => r.id)).toEqual([post.id]);
    expect((await vic.req({ method: 'DELETE', url: `/api/v1/media/${asset.id}/` })).statusCode).toBe(204);
    expect((await videos()).rows).toEqual([]);
    expect((await vic.req({ url: `/api/v1/posts/${post.id}/` })).json().video).toBeNull();
  });
});

describe('GET posts/ pagination', () => {
  it('walks every visible post once with the cursor envelope', async () => {
    const frank = await t.user();
    const made: number[] = [];
    for (let i = 0; i < 5; i++) made.push((await createPost(frank, { text: `p${i}` })).json().id);
    const seen: number[] = [];
    let url: string | null = `/api/v1/posts/?author=${frank.id}&page_size=2`;
    while (url) {
      const res = await frank.req({ url });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.previous).toBeNull();
      seen.push(...body.results.map((p: any) => p.id));
      url = body.next ? new URL(body.next).pathname + new URL(body.next).search : null;
      if (body.next) expect(body.next).toMatch(/^https:\/\/api\.example\.test\/api\/v1\/posts\/\?/);
    }
    expect(seen).toEqual([...made].reverse());
  });

  it('hydrates a page in batches, not per post', async () => {
    const authors = await Promise.all(Array.from({ length: 4 }, () => t.user()));
    for (const [i, a] of authors.entries()) {
      for (let j = 0; j < 3; j++) expect((await upload(a, { text: `batch ${i}.${j}` }, [imagePart()])).statusCode).toBe(201);
    }
    // The posts' jobs (notifications, search) run first: the spies count the page's own look-ups.
    await t.drain();
    const spies = [
      vi.spyOn(t.ctx.services.users, 'getMany'),
      vi.spyOn(t.ctx.services.users, 'followingAmong'),
      vi.spyOn(t.ctx.services.media, 'getMany'),
    ];
    try {
      const res = await bob.req({ url: `/api/v1/posts/?page_size=12&${authors.map((a) => `author=${a.id}`).join('&')}` });
      expect(res.statusCode).toBe(200);
      expect(res.json().results).toHaveLength(12);
      expect(res.json().results.every((p: any) => p.images.length === 1)).toBe(true);
      // One look-up each for the list's author check and for presenting (not one per post).
      expect(spies[0].mock.calls.length).toBeLessThanOrEqual(2);
      expect(spies[1].mock.calls.length).toBeLessThanOrEqual(2);
      expect(spies[2].mock.calls.length).toBe(1);
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });

  it.each(['cursor=garbage', 'page_size=0', 'page_size=abc', 'author=abc'])('rejects %s with 400', async (q) => {
    const res = await alice.req({ url: `/api/v1/posts/?${q}` });
    expect(res.statusCode).toBe(400);
  });

  it('clamps large page sizes to 100', async () => {
    // More posts than the clamp (made through the social service to stay cheap): without it all 101 would come back.
    const prolific = await t.user();
    const author = (await t.ctx.services.users.getById(prolific.id))!;
    for (let i = 0; i < 101; i++) await t.ctx.services.social.createPost(author, { text: `bulk ${i}` });
    const res = await alice.req({ url: `/api/v1/posts/?author=${prolific.id}&page_size=1000` });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toHaveLength(100);
    expect(res.json().next).toEqual(expect.any(String));
    expect((await alice.req({ url: res.json().next })).json().results).toHaveLength(1);
    // The writes' jobs (fan-out, reminders, indexing) are paid for here, not by a later test's drain().
    await t.drain();
  }, 120_000); // 101 writes: slow on a busy machine
});

describe('PUT/PATCH/DELETE posts/{id}/', () => {
  it('lets only the author edit; others get 404', async () => {
    const id = (await seedPost(alice, { text: 'v1' }));
    expect((await bob.req({ method: 'PATCH', url: `/api/v1/posts/${id}/`, body: { text: 'hacked' } })).statusCode).toBe(404);
    expect((await bob.req({ method: 'PUT', url: `/api/v1/posts/${id}/`, body: { text: 'hacked' } })).statusCode).toBe(404);
    const put = await alice.req({ method: 'PUT', url: `/api/v1/posts/${id}/`, body: { text: 'v2', visibility: 'followers' } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ text: 'v2', visibility: 'followers' });
    const patch = await alice.req({ method: 'PATCH', url: `/api/v1/posts/${id}/`, body: { language: 'ka' } });
    expect(patch.json()).toMatchObject({ text: 'v2', language: 'ka' });
    expect(events).toContainEqual({ name: 'post.updated', payload: { postId: id, authorId: alice.id, text: 'v2' } });
  });

  it.each([
    ['PUT', {}, 'text'],
    ['PUT', { text: '' }, 'text'],
    ['PATCH', { visibility: 'nobody' }, 'visibility'],
    ['PATCH', { media_ids: [1] }, 'media_ids'],
  ])('%s rejects %j', async (method, body, field) => {
    const id = (await seedPost(alice, { text: 'edit me' }));
    const res = await alice.req({ method: method as 'PUT', url: `/api/v1/posts/${id}/`, body });
    expect(res.statusCode).toBe(400);
    expect(res.json()[field]).toBeDefined();
  });

  it('answers unknown and malformed ids with 404/400', async () => {
    expect((await alice.req({ url: '/api/v1/posts/999999999/' })).statusCode).toBe(404);
    expect((await alice.req({ url: '/api/v1/posts/abc/' })).statusCode).toBe(400);
    expect((await alice.req({ method: 'DELETE', url: '/api/v1/posts/999999999/' })).statusCode).toBe(404);
  });

  it('deletes with its files, likes and comments; only the author may', async () => {
    const res = await upload(alice, { text: 'with a picture' }, [imagePart()]);
    const p = res.json();
    await bob.req({ method: 'POST', url: `/api/v1/posts/${p.id}/like/`, body: {} });
    await bob.req({ method: 'POST', url: '/api/v1/comments/', body: { post: String(p.id), body: 'nice', text: 'nice' } });
    const before = (await me(alice)).posts_count;
    expect((await bob.req({ method: 'DELETE', url: `/api/v1/posts/${p.id}/` })).statusCode).toBe(404);
    const del = await alice.req({ method: 'DELETE', url: `/api/v1/posts/${p.id}/` });
    expect(del.statusCode).toBe(204);
    expect((await alice.req({ url: `/api/v1/posts/${p.id}/` })).statusCode).toBe(404);
    expect((await me(alice)).posts_count).toBe(before - 1);
    expect((await t.request({ url: new URL(p.images[0].url).pathname + new URL(p.images[0].url).search })).statusCode).toBe(404);
    expect(events).toContainEqual({ name: 'post.deleted', payload: { postId: p.id, authorId: alice.id } });
    expect(await t.ctx.services.social.removePost(p.id)).toBe(false);
  });

  it('moderation removal deletes any post and fixes the count', async () => {
    const id = (await seedPost(carol, { text: 'rule breaker' }));
    const before = (await me(carol)).posts_count;
    expect(await t.ctx.services.social.removePost(id)).toBe(true);
    expect((await me(carol)).posts_count).toBe(before - 1);
  });
});

describe('likes', () => {
  it('like and unlike are idempotent and answer {liked, like_count}', async () => {
    const id = (await seedPost(alice, { text: 'like me' }));
    const l1 = await bob.req({ method: 'POST', url: `/api/v1/posts/${id}/like/`, body: {} });
    expect(l1.statusCode).toBe(200);
    expect(l1.json()).toEqual({ liked: true, like_count: 1 });
    expect((await bob.req({ method: 'POST', url: `/api/v1/posts/${id}/like/`, body: {} })).json()).toEqual({ liked: true, like_count: 1 });
    const seen = (await bob.req({ url: `/api/v1/posts/${id}/` })).json();
    expect(seen).toMatchObject({ liked: true, viewer_has_liked: true, like_count: 1 });
    expect((await carol.req({ url: `/api/v1/posts/${id}/` })).json()).toMatchObject({ liked: false, like_count: 1 });
    expect((await bob.req({ method: 'DELETE', url: `/api/v1/posts/${id}/unlike/` })).json()).toEqual({ liked: false, like_count: 0 });
    expect((await bob.req({ method: 'DELETE', url: `/api/v1/posts/${id}/unlike/` })).json()).toEqual({ liked: false, like_count: 0 });
    expect((await bob.req({ method: 'POST', url: `/api/v1/posts/${id}/unlike/`, body: {} })).json()).toEqual({ liked: false, like_count: 0 });
    expect(events.filter((e) => e.name === 'post.liked' && e.payload.postId === id)).toEqual([{ name: 'post.liked', payload: { postId: id, userId: bob.id, authorId: alice.id } }]);
  });

  itServer('keeps like_count exact under concurrent likes and unlikes', async () => {
    const id = (await seedPost(alice, { text: 'popular' }));
    const crowd = await Promise.all(Array.from({ length: 8 }, () => t.user()));
    const likes = await Promise.all([...crowd, ...crowd].map((u) => u.req({ method: 'POST', url: `/api/v1/posts/${id}/like/`, body: {} })));
    expect(likes.every((r) => r.statusCode === 200)).toBe(true);
    expect((await alice.req({ url: `/api/v1/posts/${id}/` })).json().like_count).toBe(8);
    await Promise.all([...crowd.slice(0, 5), ...crowd.slice(0, 5)].map((u) => u.req({ method: 'DELETE', url: `/api/v1/posts/${id}/unlike/` })));
    expect((await alice.req({ url: `/api/v1/posts/${id}/` })).json().like_count).toBe(3);
  });

  it('404s on hidden and unknown posts, 401 without a token', async () => {
    const priv = (await seedPost(alice, { text: 'mine', visibility: 'private' }));
    expect((await bob.req({ method: 'POST', url: `/api/v1/posts/${priv}/like/`, body: {} })).statusCode).toBe(404);
    expect((await bob.req({ method: 'DELETE', url: `/api/v1/posts/${priv}/unlike/` })).statusCode).toBe(404);
    expect((await bob.req({ method: 'POST', url: '/api/v1/posts/999999999/like/', body: {} })).statusCode).toBe(404);
    expect((await t.request({ method: 'POST', url: `/api/v1/posts/${priv}/like/`, body: {} })).statusCode).toBe(401);
  });
});
