// New posts are indexed a relay batch at a time (search.indexPosts: reads shared, one write); a post
// gone or changed meanwhile is converged on its own. The relay loop is stopped here, so only the
// calls below index anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';

let t: TestApp;
let author: TestUser;
let reader: TestUser;
beforeAll(async () => {
  t = await createTestApp();
  await t.ctx.events.stop();
  [author, reader] = await Promise.all([t.user(), t.user()]);
});
afterAll(async () => t?.close());

const found = async (q: string) => ((await reader.req({ url: `/api/v1/search/posts/?q=${encodeURIComponent(q)}` })).json() as { id: number }[]).map((p) => p.id);

describe('search.indexPosts', () => {
  it('indexes a batch of new posts, and leaves out one deleted before it ran', async () => {
    const word = `quokka${Date.now().toString(36)}`;
    const ids: number[] = [];
    for (const n of [1, 2, 3]) {
      const r = await author.req({ method: 'POST', url: '/api/v1/posts/', body: { text: `${word} number ${n}` } });
      expect(r.statusCode).toBe(201);
      ids.push(r.json().id);
    }
    expect(await found(word)).toEqual([]); // nothing relayed yet
    expect((await author.req({ method: 'DELETE', url: `/api/v1/posts/${ids[2]}/` })).statusCode).toBe(204);
    await t.ctx.services.search.indexPosts(ids.map((postId) => ({ postId, authorId: author.id })));
    expect((await found(word)).sort()).toEqual(ids.slice(0, 2).sort());
    await t.drain();
    expect((await found(word)).sort()).toEqual(ids.slice(0, 2).sort());
  });
});
