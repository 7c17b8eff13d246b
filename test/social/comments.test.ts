import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { imagePart, multipart, notMedia } from './helpers.js';
import { itServer } from '../support/server-only.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
const events: { name: string; payload: any }[] = [];

beforeAll(async () => {
  t = await createTestApp();
  for (const name of ['comment.created', 'comment.deleted', 'comment.liked']) t.ctx.events.on(name, (payload) => void events.push({ name, payload }));
  [alice, bob, carol] = await Promise.all([t.user(), t.user(), t.user()]);
  await bob.req({ method: 'POST', url: `/api/v1/users/${alice.id}/follow/`, body: {} });
});
afterAll(async () => t?.close());

const seedPost = async (u: TestUser, visibility: 'public' | 'followers' | 'private' = 'public') => {
  const row = (await t.ctx.services.users.getById(u.id))!;
  return (await t.ctx.services.social.createPost(row, { text: `post by ${u.handle}`, visibility })).id;
};
/** The app's own body: the id as a string and the text twice. */
const comment = (u: TestUser, post: number, text: string, extra: Record<string, unknown> = {}) =>
  u.req({ method: 'POST', url: '/api/v1/comments/', body: { post: String(post), body: text, text, ...extra } });
const postOf = async (u: TestUser, id: number) => (await u.req({ url: `/api/v1/posts/${id}/` })).json();

describe('POST comments/', () => {
  it('creates a W-Comment from the app body, counts it and emits comment.created', async () => {
    const post = await seedPost(alice);
    const res = await comment(bob, post, '  Lovely!  ');
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c).toMatchObject({
      post,
      body: 'Lovely!',
      text: 'Lovely!',
      parent: null,
      images: [],
      image_urls: [],
      image_url: null,
      media: [],
      like_count: 0,
      liked: false,
      viewer_has_liked: false,
      recent_gifts: [],
      gift_summary: {},
    });
    expect(c.author).toMatchObject({ id: bob.id, handle: bob.handle });
    expect((await postOf(alice, post)).comment_count).toBe(1);
    expect(events).toContainEqual({
      name: 'comment.created',
      payload: { commentId: c.id, postId: post, authorId: bob.id, postAuthorId: alice.id, parentAuthorId: null, text: 'Lovely!', visibility: 'public' },
    });
  });

  it('takes replies on the same post only, and names the parent author in the event', async () => {
    const post = await seedPost(alice);
    const other = await seedPost(alice);
    const parent = (await comment(bob, post, 'first')).json();
    const reply = await comment(carol, post, 'reply', { parent: parent.id });
    expect(reply.statusCode).toBe(201);
    expect(reply.json().parent).toBe(parent.id);
    await t.drain();
    expect(events).toContainEqual({ name: 'comment.created', payload: expect.objectContaining({ commentId: reply.json().id, parentAuthorId: bob.id }) });
    const cross = await comment(carol, other, 'wrong place', { parent: parent.id });
    expect(cross.statusCode).toBe(400);
    expect(cross.json()).toEqual({ parent: ['Parent comment must belong to the same post.'] });
    const ghost = await comment(carol, post, 'ghost parent', { parent: 999999999 });
    expect(ghost.statusCode).toBe(400);
    expect((await postOf(alice, other)).comment_count).toBe(0);
  });

  it.each([
    [{ post: 'abc', body: 'x' }, 'post'],
    [{ body: 'x' }, 'post'],
    [{ post: 1.5, body: 'x' }, 'post'],
    [{ post: '1', body: 'x'.repeat(5001) }, 'body'],
    [{ post: '1', body: 7 }, 'body'],
    [{ post: '1', body: 'x', rating: 5 }, 'rating'],
    [{ post: '1', body: 'x', parent: 'p' }, 'parent'],
  ])('rejects bad input %j', async (body, field) => {
    const res = await carol.req({ method: 'POST', url: '/api/v1/comments/', body });
    expect(res.statusCode).toBe(400);
    expect(Object.keys(res.json())).toContain(field);
  });

  it('rejects empty comments and comments on unknown or hidden posts', async () => {
    const post = await seedPost(alice);
    const empty = await comment(bob, post, '   ');
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toEqual({ non_field_errors: ['Write a comment or attach a photo.'] });
    const unknown = await comment(bob, 999999999, 'hi');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().post).toBeDefined();
    const priv = await seedPost(alice, 'private');
    const hidden = await comment(bob, priv, 'sneaky');
    expect(hidden.statusCode).toBe(400);
    // A post the commenter may not see reads exactly like one that does not exist.
    expect(hidden.json()).toEqual({ post: [`Invalid pk "${priv}" - object does not exist.`] });
    expect((await postOf(alice, priv)).comment_count).toBe(0);
  });

  it('accepts multipart with images (and checks their content)', async () => {
    const post = await seedPost(alice);
    const m = multipart({ post: String(post), body: '', text: '' }, [imagePart('images', 0), imagePart('images', 1)]);
    const res = await bob.req({ method: 'POST', url: '/api/v1/comments/', payload: m.payload, headers: m.headers });
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c.images.map((i: any) => i.order)).toEqual([0, 1]);
    expect(c.image_url).toBe(c.images[0].url);
    expect(c.image_urls).toHaveLength(2);
    expect(c.images[0].url).toMatch(/^http:\/\/localhost(:\d+)?\/media\/comments\/images\//);
    const bad = multipart({ post: String(post), body: 'look' }, [{ ...imagePart(), data: notMedia() }]);
    const rejected = await bob.req({ method: 'POST', url: '/api/v1/comments/', payload: bad.payload, headers: bad.headers });
    expect(rejected.statusCode).toBe(400);
    expect(rejected.json().images).toBeDefined();
    const many = multipart({ post: String(post), body: 'many' }, [0, 1, 2, 3, 4].map((i) => imagePart('images', i)));
    const tooMany = await bob.req({ method: 'POST', url: '/api/v1/comments/', payload: many.payload, headers: many.headers });
    expect(tooMany.json()).toEqual({ images: ['You can upload up to 4 images.'] });
    expect((await postOf(alice, post)).comment_count).toBe(1);
  });

  itServer('keeps comment_count exact under concurrent comments', async () => {
    const post = await seedPost(alice);
    const users = await Promise.all(Array.from({ length: 6 }, () => t.user()));
    const res = await Promise.all([...users, ...users].map((u, i) => comment(u, post, `c${i}`)));
    expect(res.every((r) => r.statusCode === 201)).toBe(true);
    expect((await postOf(alice, post)).comment_count).toBe(12);
  });

  it('limits comment creation to 60 a minute per user with 429', async () => {
    const gabby = await t.user();
    for (let i = 0; i < 60; i++) expect((await gabby.req({ method: 'POST', url: '/api/v1/comments/', body: { post: 'x' } })).statusCode).toBe(400);
    const res = await gabby.req({ method: 'POST', url: '/api/v1/comments/', body: { post: 'x' } });
    expect(res.statusCode).toBe(429);
  });
});

describe('GET comments/', () => {
  let post: number;
  const ids: number[] = [];
  beforeAll(async () => {
    post = await seedPost(alice);
    for (let i = 0; i < 5; i++) ids.push((await comment(i % 2 ? bob : carol, post, `n${i}`)).json().id);
  });

  it('pages with page=N, oldest first, in the {next, previous, results} envelope', async () => {
    const p1 = await bob.req({ url: `/api/v1/comments/?post=${post}&page=1&page_size=2` });
    expect(p1.statusCode).toBe(200);
    expect(p1.json().results.map((c: any) => c.id)).toEqual(ids.slice(0, 2));
    expect(p1.json().previous).toBeNull();
    expect(p1.json().next).toMatch(/page=2/);
    const p3 = (await bob.req({ url: `/api/v1/comments/?post=${post}&page=3&page_size=2` })).json();
    expect(p3.results.map((c: any) => c.id)).toEqual(ids.slice(4));
    expect(p3.next).toBeNull();
    expect(p3.previous).toMatch(/page=2/);
    const beyond = (await bob.req({ url: `/api/v1/comments/?post=${post}&page=9` })).json();
    expect(beyond.results).toEqual([]);
  });

  it('works without page (the post screen) and for anonymous readers of public posts', async () => {
    const res = await t.request({ url: `/api/v1/comments/?post=${post}` });
    expect(res.statusCode).toBe(200);
    expect(res.json().results.map((c: any) => c.id)).toEqual(ids);
  });

  it.each(['', 'post=abc', `page=0&post=1`, 'post=1&page=x', 'post=1&page_size=0'])('rejects ?%s with 400', async (q) => {
    const res = await bob.req({ url: `/api/v1/comments/?${q}` });
    expect(res.statusCode).toBe(400);
  });

  it('404s for unknown posts and posts the viewer may not see', async () => {
    expect((await bob.req({ url: '/api/v1/comments/?post=999999999' })).statusCode).toBe(404);
    const fol = await seedPost(alice, 'followers');
    await comment(alice, fol, 'for followers');
    expect((await carol.req({ url: `/api/v1/comments/?post=${fol}` })).statusCode).toBe(404);
    expect((await t.request({ url: `/api/v1/comments/?post=${fol}` })).statusCode).toBe(404);
    expect((await bob.req({ url: `/api/v1/comments/?post=${fol}` })).json().results).toHaveLength(1);
  });

  it('leaves out comments of blocked and suspended users', async () => {
    const p = await seedPost(alice);
    const troll = await t.user();
    const gone = await t.user();
    await comment(troll, p, 'troll');
    await comment(gone, p, 'bye');
    const kept = (await comment(bob, p, 'kind')).json().id;
    await carol.req({ method: 'POST', url: `/api/v1/users/${troll.id}/block/`, body: {} });
    await t.ctx.services.users.setActive(gone.id, false);
    const seen = (await carol.req({ url: `/api/v1/comments/?post=${p}` })).json().results.map((c: any) => c.id);
    expect(seen).toEqual([kept]);
    const trollComment = (await alice.req({ url: `/api/v1/comments/?post=${p}` })).json().results.find((c: any) => c.author.id === troll.id);
    expect((await carol.req({ url: `/api/v1/comments/${trollComment.id}/` })).statusCode).toBe(404);
    expect(await t.ctx.services.social.canViewComment(carol.id, trollComment.id)).toBe(false);
    expect(await t.ctx.services.social.canViewComment(alice.id, trollComment.id)).toBe(true);
  });
});

describe('comments/{id}/', () => {
  it('reads a comment; only its author edits it; others get 404', async () => {
    const post = await seedPost(alice);
    const c = (await comment(bob, post, 'orig')).json();
    expect((await carol.req({ url: `/api/v1/comments/${c.id}/` })).json()).toMatchObject({ id: c.id, body: 'orig' });
    expect((await carol.req({ method: 'PATCH', url: `/api/v1/comments/${c.id}/`, body: { body: 'x' } })).statusCode).toBe(404);
    expect((await alice.req({ method: 'PUT', url: `/api/v1/comments/${c.id}/`, body: { post, body: 'x' } })).statusCode).toBe(404);
    const put = await bob.req({ method: 'PUT', url: `/api/v1/comments/${c.id}/`, body: { post: String(post), body: 'edited', text: 'edited' } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ body: 'edited', text: 'edited' });
    const patch = await bob.req({ method: 'PATCH', url: `/api/v1/comments/${c.id}/`, body: { text: 'again' } });
    expect(patch.json().body).toBe('again');
  });

  it.each([
    ['PUT', {}, 'body'],
    ['PATCH', { body: '  ' }, 'non_field_errors'],
    ['PATCH', { post: 999999999 }, 'post'],
    ['PATCH', { parent: 1 }, 'parent'],
    ['PATCH', { body: 'x'.repeat(5001) }, 'body'],
  ])('%s rejects %j', async (method, body, field) => {
    const post = await seedPost(alice);
    const c = (await comment(bob, post, 'stay')).json();
    const res = await bob.req({ method: method as 'PUT', url: `/api/v1/comments/${c.id}/`, body });
    expect(res.statusCode).toBe(400);
    expect(res.json()[field]).toBeDefined();
  });

  it('deleting a comment removes its replies and lowers comment_count by all of them', async () => {
    const post = await seedPost(alice);
    const root = (await comment(bob, post, 'root')).json();
    const r1 = (await comment(carol, post, 'r1', { parent: root.id })).json();
    await comment(alice, post, 'r1a', { parent: r1.id });
    await comment(carol, post, 'sibling');
    expect((await postOf(alice, post)).comment_count).toBe(4);
    expect((await carol.req({ method: 'DELETE', url: `/api/v1/comments/${root.id}/` })).statusCode).toBe(404);
    expect((await bob.req({ method: 'DELETE', url: `/api/v1/comments/${root.id}/` })).statusCode).toBe(204);
    expect((await postOf(alice, post)).comment_count).toBe(1);
    expect((await bob.req({ url: `/api/v1/comments/${r1.id}/` })).statusCode).toBe(404);
    expect((await bob.req({ method: 'DELETE', url: `/api/v1/comments/${root.id}/` })).statusCode).toBe(404);
    expect(events.filter((e) => e.name === 'comment.deleted' && e.payload.postId === post)).toHaveLength(3);
    expect(events).toContainEqual({ name: 'comment.deleted', payload: { commentId: root.id, postId: post, authorId: bob.id } });
  });

  itServer('keeps comment_count exact when deletes race with each other and with new comments', async () => {
    const post = await seedPost(alice);
    const mine = [];
    for (let i = 0; i < 6; i++) mine.push((await comment(bob, post, `d${i}`)).json().id);
    const ops = await Promise.all([
      ...mine.map((id) => bob.req({ method: 'DELETE', url: `/api/v1/comments/${id}/` })),
      ...mine.map((id) => bob.req({ method: 'DELETE', url: `/api/v1/comments/${id}/` })),
      comment(carol, post, 'new one'),
      comment(carol, post, 'reply to a dying one', { parent: mine[0] }),
    ]);
    expect(ops.filter((r) => r.statusCode === 204)).toHaveLength(6);
    const remaining = (await bob.req({ url: `/api/v1/comments/?post=${post}&page_size=100` })).json().results.length;
    expect((await postOf(alice, post)).comment_count).toBe(remaining);
  });

  it('answers unknown and malformed ids with 404/400', async () => {
    expect((await bob.req({ url: '/api/v1/comments/999999999/' })).statusCode).toBe(404);
    expect((await bob.req({ url: '/api/v1/comments/0/' })).statusCode).toBe(400);
    expect((await bob.req({ method: 'DELETE', url: '/api/v1/comments/xyz/' })).statusCode).toBe(400);
  });
});

describe('comment likes', () => {
  it('are idempotent and emit comment.liked once', async () => {
    const post = await seedPost(alice);
    const c = (await comment(bob, post, 'like this')).json();
    expect((await carol.req({ method: 'POST', url: `/api/v1/comments/${c.id}/like/`, body: {} })).json()).toEqual({ liked: true, like_count: 1 });
    expect((await carol.req({ method: 'POST', url: `/api/v1/comments/${c.id}/like/`, body: {} })).json()).toEqual({ liked: true, like_count: 1 });
    const listed = (await carol.req({ url: `/api/v1/comments/?post=${post}` })).json().results[0];
    expect(listed).toMatchObject({ liked: true, viewer_has_liked: true, like_count: 1 });
    expect((await carol.req({ method: 'DELETE', url: `/api/v1/comments/${c.id}/unlike/` })).json()).toEqual({ liked: false, like_count: 0 });
    expect((await carol.req({ method: 'POST', url: `/api/v1/comments/${c.id}/unlike/`, body: {} })).json()).toEqual({ liked: false, like_count: 0 });
    expect(events.filter((e) => e.name === 'comment.liked' && e.payload.commentId === c.id)).toEqual([{ name: 'comment.liked', payload: { commentId: c.id, userId: carol.id, authorId: bob.id } }]);
  });

  itServer('are exact under concurrency and emit comment.liked once per liker', async () => {
    const post = await seedPost(alice);
    const c = (await comment(bob, post, 'like this')).json();
    const crowd = await Promise.all(Array.from({ length: 6 }, () => t.user()));
    await Promise.all([...crowd, ...crowd].map((u) => u.req({ method: 'POST', url: `/api/v1/comments/${c.id}/like/`, body: {} })));
    expect((await bob.req({ url: `/api/v1/comments/${c.id}/` })).json().like_count).toBe(6);
    expect(events.filter((e) => e.name === 'comment.liked' && e.payload.commentId === c.id).map((e) => e.payload.userId).sort()).toEqual(crowd.map((u) => u.id).sort());
  });

  it('404 on comments of posts the liker cannot see', async () => {
    const fol = await seedPost(alice, 'followers');
    const c = (await comment(bob, fol, 'followers only')).json();
    expect((await carol.req({ method: 'POST', url: `/api/v1/comments/${c.id}/like/`, body: {} })).statusCode).toBe(404);
    expect((await carol.req({ method: 'DELETE', url: `/api/v1/comments/${c.id}/unlike/` })).statusCode).toBe(404);
    expect((await carol.req({ url: `/api/v1/comments/${c.id}/` })).statusCode).toBe(404);
    expect((await carol.req({ method: 'POST', url: '/api/v1/comments/999999999/like/', body: {} })).statusCode).toBe(404);
  });
});
