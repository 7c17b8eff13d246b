// The presented-post cache (src/modules/social/post-cache.ts) and the page's one viewer query
// (page-facts.ts): a warm page is built from the cache, and every write that changes what a page
// shows is seen on the next read of a warm page — one test per kind of write, in both modes.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { countQueries } from '../../src/platform/db/query-count.js';
import { coinEnv, fund } from '../coin/helpers.js';
import { multipart, png } from '../social/helpers.js';

let t: TestApp;
let author: TestUser;
let viewer: TestUser;
let other: TestUser;

beforeAll(async () => {
  // Each test posts twice as the same author: more than post_create's 30 a minute over the file.
  t = await createTestApp({ ...coinEnv(), RATE_LIMITS_ENABLED: 'false' });
  [author, viewer, other] = await Promise.all([t.user(), t.user(), t.user()]);
  expect((await viewer.req({ method: 'POST', url: `/api/v1/users/${author.id}/follow/`, body: {} })).statusCode).toBe(200);
  await fund(t, other, 1000);
}, 60_000);
afterAll(async () => t?.close());

const post = async (u: TestUser, body: Record<string, unknown>) => {
  const res = await u.req({ method: 'POST', url: '/api/v1/posts/', body });
  expect(res.statusCode).toBe(201);
  return res.json().id as number;
};

/** The author's posts as `u` sees them (a list page: the cache is written from pages). */
const listed = async (u: TestUser, authorId = author.id) => {
  const res = await u.req({ url: `/api/v1/posts/?page_size=50&author=${authorId}` });
  expect(res.statusCode).toBe(200);
  return res.json().results as any[];
};
const feed = async (u: TestUser) => {
  const res = await u.req({ url: '/api/v1/feed/home/?page_size=50' });
  expect(res.statusCode).toBe(200);
  return (res.json().items as any[]).filter((i) => i.type === 'post').map((i) => i.post);
};
const find = (page: any[], id: number) => page.find((p) => p.id === id);

let target: number;
beforeEach(async () => {
  // A fresh post among others each time, read once by both so every page below starts warm.
  await post(author, { text: 'neighbour' });
  target = await post(author, { text: 'target' });
  await t.drain();
  expect(find(await listed(viewer), target)).toBeDefined();
  expect(find(await feed(viewer), target)).toBeDefined();
  expect(find(await listed(other), target)).toBeDefined();
});

describe('presented-post cache', () => {
  it('serves a warm page with media and gifts without their queries', async () => {
    const m = multipart({}, [{ field: 'file', filename: 'a.png', type: 'image/png', data: png(3, 4) }]);
    const asset = (await author.req({ method: 'POST', url: '/api/v1/media/', payload: m.payload, headers: m.headers })).json();
    const id = await post(author, { text: 'with media', media_ids: [asset.id] });
    const cold = await countQueries(() => listed(viewer));
    expect(find(cold.result, id).media.map((x: any) => x.id)).toEqual([asset.id]);
    const warm = await countQueries(() => listed(viewer));
    expect(find(warm.result, id)).toEqual(find(cold.result, id));
    expect(warm.queries).toBeLessThan(cold.queries);
  });

  it('builds posts without media or gifts from their facts alone: a cold page costs what a warm one does', async () => {
    const writer = await t.user();
    for (const text of ['plain one', 'plain two', 'plain three']) expect((await writer.req({ method: 'POST', url: '/api/v1/posts/', body: { text } })).statusCode).toBe(201);
    const cold = await countQueries(() => listed(viewer, writer.id));
    const warm = await countQueries(() => listed(viewer, writer.id));
    expect(cold.result).toHaveLength(3);
    expect(warm.result).toEqual(cold.result);
    expect(cold.queries).toBe(warm.queries);
  });

  it('shows an edit at once', async () => {
    expect((await author.req({ method: 'PATCH', url: `/api/v1/posts/${target}/`, body: { text: 'edited' } })).statusCode).toBe(200);
    expect(find(await listed(viewer), target).text).toBe('edited');
    expect(find(await feed(viewer), target).text).toBe('edited');
  });

  it('drops a deleted post', async () => {
    expect((await author.req({ method: 'DELETE', url: `/api/v1/posts/${target}/` })).statusCode).toBe(204);
    expect(find(await listed(viewer), target)).toBeUndefined();
    expect(find(await feed(viewer), target)).toBeUndefined();
  });

  it('applies a visibility change per viewer (followers only: the follower still sees it, others not)', async () => {
    expect((await author.req({ method: 'PATCH', url: `/api/v1/posts/${target}/`, body: { visibility: 'followers' } })).statusCode).toBe(200);
    expect(find(await listed(viewer), target).visibility).toBe('followers');
    expect(find(await listed(other), target)).toBeUndefined();
    expect((await author.req({ method: 'PATCH', url: `/api/v1/posts/${target}/`, body: { visibility: 'private' } })).statusCode).toBe(200);
    expect(find(await feed(viewer), target)).toBeUndefined();
  });

  it('shows like counts and the viewer\'s own like state', async () => {
    expect((await other.req({ method: 'POST', url: `/api/v1/posts/${target}/like/`, body: {} })).statusCode).toBeLessThan(300);
    const v = find(await listed(viewer), target);
    expect([v.like_count, v.liked]).toEqual([1, false]);
    const o = find(await listed(other), target);
    expect([o.like_count, o.liked, o.viewer_has_liked]).toEqual([1, true, true]);
  });

  it('shows comment counts', async () => {
    expect((await other.req({ method: 'POST', url: '/api/v1/comments/', body: { post: target, text: 'hi' } })).statusCode).toBe(201);
    expect(find(await feed(viewer), target).comment_count).toBe(1);
  });

  it('shows the author\'s new name and counters', async () => {
    const name = `Renamed ${randomUUID().slice(0, 6)}`;
    expect((await author.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { name } })).statusCode).toBe(200);
    expect(find(await listed(viewer), target).author.name).toBe(name);
    expect(find(await feed(viewer), target).author.name).toBe(name);
  });

  it('shows follow state per viewer', async () => {
    expect(find(await listed(viewer), target).author.is_following).toBe(true);
    expect(find(await listed(other), target).author.is_following).toBe(false);
  });

  it('hides the posts of a user the viewer blocked, or who blocked the viewer', async () => {
    expect((await author.req({ method: 'POST', url: `/api/v1/users/${other.id}/block/`, body: {} })).statusCode).toBeLessThan(300);
    expect(find(await listed(other), target)).toBeUndefined();
    expect(find(await listed(viewer), target)).toBeDefined();
    expect((await author.req({ method: 'DELETE', url: `/api/v1/users/${other.id}/block/` })).statusCode).toBeLessThan(300);
    expect(find(await listed(other), target)).toBeDefined();
  });

  it('hides the posts of a suspended author', async () => {
    // Its own author: a suspension also ends the author's sessions.
    const s = await t.user();
    const ids = [await post(s, { text: 'one' }), await post(s, { text: 'two' })];
    expect((await listed(viewer, s.id)).map((p) => p.id).sort()).toEqual(ids.sort());
    expect((await listed(viewer, s.id)).map((p) => p.id).sort()).toEqual(ids.sort());
    await t.ctx.services.users.setActive(s.id, false);
    expect(await listed(viewer, s.id)).toEqual([]);
    expect(find(await feed(viewer), ids[0])).toBeUndefined();
  });

  it('applies a moderation takedown: hidden, then removed', async () => {
    expect(await t.ctx.services.social.hidePost(target)).toBe(true);
    expect(find(await listed(viewer), target)).toBeUndefined();
    expect(find(await feed(viewer), target)).toBeUndefined();
    expect(find(await listed(author), target).hidden).toBe(true);
    expect(await t.ctx.services.social.removePost(target)).toBe(true);
    expect(find(await listed(author), target)).toBeUndefined();
  });

  it('shows a paid gift at once (cached gift parts are versioned by the newest gift)', async () => {
    const types = (await t.request({ url: '/api/v1/payments/gifts/?page_size=50' })).json().results;
    const heart = types.find((g: { key: string }) => g.key === 'test_heart_1usd');
    const res = await other.req({ method: 'POST', url: `/api/v1/posts/${target}/gifts/`, body: { gift_type_id: heart.id, quantity: 1 }, headers: { 'idempotency-key': randomUUID() } });
    expect(res.statusCode).toBe(201);
    const p = find(await listed(viewer), target);
    expect(p.recent_gifts.map((g: any) => g.key)).toEqual(['test_heart_1usd']);
    expect(p.gift_summary).toEqual({ test_heart_1usd: 1 });
  });

  it('drops a deleted media asset from the post (its link goes with it)', async () => {
    const m = multipart({}, [{ field: 'file', filename: 'b.png', type: 'image/png', data: png(5, 6) }]);
    const asset = (await author.req({ method: 'POST', url: '/api/v1/media/', payload: m.payload, headers: m.headers })).json();
    const id = await post(author, { text: 'media to delete', media_ids: [asset.id] });
    expect(find(await listed(viewer), id).media).toHaveLength(1);
    expect(find(await listed(viewer), id).media).toHaveLength(1);
    expect((await author.req({ method: 'DELETE', url: `/api/v1/media/${asset.id}/` })).statusCode).toBe(204);
    expect(find(await listed(viewer), id).media).toEqual([]);
  });
  it('shows a media asset edited in place (its edit time is part of the version)', async () => {
    const asset = (await other.req({ method: 'POST', url: '/api/v1/media/', body: { s3_key: 'external/a.png', mime: 'image/png', width: 10, height: 10 } })).json();
    // Another author: the beforeEach posts use up the author's post_create bucket (30 a minute).
    await post(other, { text: 'neighbour' }); // pages of one post are not cached
    const id = await post(other, { text: 'media to edit', media_ids: [asset.id] });
    expect(find(await listed(viewer, other.id), id).media[0]).toMatchObject({ width: 10 });
    expect(find(await listed(viewer, other.id), id).media[0]).toMatchObject({ width: 10 });
    const edited = await other.req({ method: 'PATCH', url: `/api/v1/media/${asset.id}/`, body: { width: 640, s3_key: 'external/b.png' } });
    expect(edited.statusCode).toBe(200);
    const after = find(await listed(viewer, other.id), id).media[0];
    expect(after).toMatchObject({ width: 640 });
    expect(after.s3_key).toBe('external/b.png');
  });
});
