// Warm feeds (built timeline, reused for_you first page, warm session cache) show every write that
// changes what they hold on the very next request: edits, visibility changes, deletes, blocks,
// author suspensions and profile renames.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { sessionCacheOf } from '../../src/modules/users/session-cache.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ SESSION_CACHE_TTL_MS: '60000' });
  await sessionCacheOf(t.ctx).subscribed();
});
afterAll(async () => t?.close());

type Item = { type: string; id: number; post?: { id: number; text: string; author?: { name?: string } } };
const FEEDS = ['/api/v1/feed/home/', '/api/v1/feed/for_you/'] as const;
const postsIn = async (u: TestUser, url: string) => {
  const res = await u.req({ url });
  expect(res.statusCode).toBe(200);
  return (res.json().items as Item[]).filter((i) => i.type === 'post');
};

/** A reader following an author with one public post, both feeds warm (read twice). */
async function scene() {
  const [author, reader] = await Promise.all([t.user(), t.user()]);
  expect((await reader.req({ method: 'POST', url: `/api/v1/users/${author.id}/follow/`, body: {} })).statusCode).toBe(200);
  const res = await author.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'original text' } });
  expect(res.statusCode).toBe(201);
  const postId = res.json().id as number;
  await t.drain();
  for (const url of FEEDS) {
    for (let i = 0; i < 2; i++) expect((await postsIn(reader, url)).map((p) => p.id)).toContain(postId);
  }
  expect(await t.ctx.services.feed.timeline.isBuilt(reader.id)).toBe(true);
  return { author, reader, postId };
}

describe('warm feeds show writes at once', () => {
  it('an edit', async () => {
    const { author, reader, postId } = await scene();
    expect((await author.req({ method: 'PATCH', url: `/api/v1/posts/${postId}/`, body: { text: 'edited text' } })).statusCode).toBe(200);
    for (const url of FEEDS) expect((await postsIn(reader, url)).find((p) => p.id === postId)?.post?.text).toBe('edited text');
  });

  it('a visibility change to private', async () => {
    const { author, reader, postId } = await scene();
    expect((await author.req({ method: 'PATCH', url: `/api/v1/posts/${postId}/`, body: { visibility: 'private' } })).statusCode).toBe(200);
    for (const url of FEEDS) expect((await postsIn(reader, url)).map((p) => p.id)).not.toContain(postId);
  });

  it('a delete', async () => {
    const { author, reader, postId } = await scene();
    expect((await author.req({ method: 'DELETE', url: `/api/v1/posts/${postId}/` })).statusCode).toBe(204);
    for (const url of FEEDS) expect((await postsIn(reader, url)).map((p) => p.id)).not.toContain(postId);
  });

  it('a block (by the author)', async () => {
    const { author, reader, postId } = await scene();
    expect((await author.req({ method: 'POST', url: `/api/v1/users/${reader.id}/block/`, body: {} })).statusCode).toBeLessThan(300);
    for (const url of FEEDS) expect((await postsIn(reader, url)).map((p) => p.id)).not.toContain(postId);
  });

  it('the author\'s suspension', async () => {
    const { author, reader, postId } = await scene();
    await t.ctx.services.users.setActive(author.id, false);
    await t.drain();
    for (const url of FEEDS) expect((await postsIn(reader, url)).map((p) => p.id)).not.toContain(postId);
  });

  it('the author\'s rename', async () => {
    const { author, reader, postId } = await scene();
    expect((await author.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { name: 'New Name' } })).statusCode).toBe(200);
    for (const url of FEEDS) expect((await postsIn(reader, url)).find((p) => p.id === postId)?.post?.author?.name).toBe('New Name');
  });
});
