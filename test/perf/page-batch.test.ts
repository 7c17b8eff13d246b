// Pages asked for in one turn of the event loop share one page query (social/page-facts.ts), and
// each still gets its own viewer's facts and visibility, and rows of its own.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { countQueries } from '../../src/platform/db/query-count.js';
import { sessionCacheOf } from '../../src/modules/users/session-cache.js';
import { factsFor } from '../../src/modules/social/page-facts.js';

let t: TestApp;
let author: TestUser;
let fan: TestUser;
let stranger: TestUser;
let open: number;
let closed: number;

beforeAll(async () => {
  t = await createTestApp({ SESSION_CACHE_TTL_MS: '60000' });
  await sessionCacheOf(t.ctx).subscribed();
  [author, fan, stranger] = await Promise.all([t.user(), t.user(), t.user()]);
  expect((await fan.req({ method: 'POST', url: `/api/v1/users/${author.id}/follow/`, body: {} })).statusCode).toBe(200);
  const row = (await t.ctx.services.users.getById(author.id))!;
  open = (await t.ctx.services.social.createPost(row, { text: 'for everyone', visibility: 'public' })).id;
  closed = (await t.ctx.services.social.createPost(row, { text: 'for followers', visibility: 'followers' })).id;
  expect((await fan.req({ method: 'POST', url: `/api/v1/posts/${open}/like/`, body: {} })).statusCode).toBeLessThan(300);
  await t.drain();
});
afterAll(async () => t?.close());

it('pages of several viewers asked together cost one query, each with its own facts', async () => {
  const social = t.ctx.services.social;
  // Warm the author's cached row, so only the page query is left to count.
  await social.getVisiblePostsByIds(null, [open]);
  const ids = [open, closed];
  const { result, queries } = await countQueries(() =>
    Promise.all([social.getVisiblePostsByIds(fan.id, ids), social.getVisiblePostsByIds(stranger.id, ids), social.getVisiblePostsByIds(null, ids), social.getVisiblePostsByIds(fan.id, [open])]),
  );
  expect(queries).toBe(1);
  const [forFan, forStranger, forAnyone, again] = result;
  expect(forFan.map((r) => r.id)).toEqual([open, closed]);
  expect(forStranger.map((r) => r.id)).toEqual([open]);
  expect(forAnyone.map((r) => r.id)).toEqual([open]);
  expect(factsFor(forFan[0], fan.id)).toMatchObject({ liked: true, following: true });
  expect(factsFor(forStranger[0], stranger.id)).toMatchObject({ liked: false, following: false });
  expect(factsFor(forAnyone[0], null)).toMatchObject({ liked: false, following: false });
  // The same viewer's two pages: equal rows, not one shared object.
  expect(again[0]).toEqual(forFan[0]);
  expect(again[0]).not.toBe(forFan[0]);
  expect(factsFor(again[0], fan.id)).toMatchObject({ liked: true });
});

it('pages asked together over HTTP each show their own viewer', async () => {
  const page = (u: TestUser) => u.req({ url: '/api/v1/feed/for_you/?page_size=20' });
  const [a, b] = await Promise.all([page(fan), page(stranger)]);
  const mine = (r: typeof a) => r.json().items.filter((i: { type: string }) => i.type === 'post').map((i: { post: { id: number; liked: boolean } }) => i.post);
  const fanPosts = mine(a);
  const strangerPosts = mine(b);
  expect(fanPosts.find((p: { id: number }) => p.id === open)?.liked).toBe(true);
  expect(strangerPosts.find((p: { id: number }) => p.id === open)?.liked).toBe(false);
  expect(strangerPosts.some((p: { id: number }) => p.id === closed)).toBe(false);
});
