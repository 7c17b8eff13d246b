// Text posts that arrive in one turn are one statement (src/modules/social/text-posts.ts): each
// caller still gets its own post, each post one post.created, each author their own count, and a
// post the database refuses fails alone.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { countQueries } from '../../src/platform/db/query-count.js';
import type { UserRow } from '../../src/modules/users/schema.js';

let t: TestApp;
let a: TestUser;
let b: TestUser;
let reader: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  [a, b, reader] = await Promise.all([t.user(), t.user(), t.user()]);
  for (const author of [a, b]) expect((await reader.req({ method: 'POST', url: `/api/v1/users/${author.id}/follow/` })).statusCode).toBeLessThan(300);
  await t.drain();
});
afterAll(async () => t?.close());

const rowOf = async (u: { id: number }) => (await t.ctx.services.users.getById(u.id)) as UserRow;
const postsCount = async (u: TestUser) => (await t.ctx.db.execute<{ n: number }>(sql`select posts_count as n from users where id = ${u.id}`)).rows[0].n;
const eventsOf = async (ids: number[]) =>
  (await t.ctx.db.execute<{ post_id: string }>(sql`select payload->>'postId' as post_id from outbox where name = 'post.created' and (payload->>'postId')::bigint = any(${`{${ids.join(',')}}`}::bigint[])`)).rows.map((r) => Number(r.post_id));

it('posts of one turn: one statement, each caller its own post, each author counted, one event per post', async () => {
  const social = t.ctx.services.social;
  const [rowA, rowB] = await Promise.all([rowOf(a), rowOf(b)]);
  const [countA, countB] = await Promise.all([postsCount(a), postsCount(b)]);
  const asked = [
    { author: rowA, text: 'first of a', visibility: 'public' as const },
    { author: rowB, text: 'only of b', visibility: 'followers' as const },
    { author: rowA, text: 'second of a', visibility: 'public' as const },
    // the same values twice: two posts all the same
    { author: rowA, text: 'second of a', visibility: 'public' as const },
  ];
  const { result, queries } = await countQueries(() => Promise.all(asked.map((p) => social.createPost(p.author, { text: p.text, visibility: p.visibility }))));
  expect(queries).toBe(1);
  expect(result.map((p) => [p.authorId, p.text, p.visibility])).toEqual(asked.map((p) => [p.author.id, p.text, p.visibility]));
  expect(new Set(result.map((p) => p.id)).size).toBe(4);
  expect(result.every((p) => p.createdAt instanceof Date)).toBe(true);
  expect(await postsCount(a)).toBe(countA + 3);
  expect(await postsCount(b)).toBe(countB + 1);
  expect((await eventsOf(result.map((p) => p.id))).sort()).toEqual(result.map((p) => p.id).sort());
  // Relayed: in the follower's timeline once each, the followers-only post too.
  await t.drain();
  const home = (await reader.req({ url: '/api/v1/feed/home/?page_size=50' })).json() as { items: { post?: { id: number } }[] };
  const seen = home.items.flatMap((i) => (i.post ? [i.post.id] : []));
  for (const p of result) expect(seen.filter((id) => id === p.id)).toHaveLength(1);
});

it('a post the database refuses fails alone: the others of its turn are written once', async () => {
  const social = t.ctx.services.social;
  const rowA = await rowOf(a);
  const countA = await postsCount(a);
  const gone = { ...rowA, id: 999_999_999 };
  const result = await Promise.allSettled([social.createPost(rowA, { text: 'kept 1' }), social.createPost(gone, { text: 'refused' }), social.createPost(rowA, { text: 'kept 2' })]);
  expect(result.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  const kept = result.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  expect(kept.map((p) => p.text)).toEqual(['kept 1', 'kept 2']);
  expect(await postsCount(a)).toBe(countA + 2);
  const { rows } = await t.ctx.db.execute<{ n: number }>(sql`select count(*)::int as n from posts where author_id = ${a.id} and text in ('kept 1', 'kept 2', 'refused')`);
  expect(rows[0].n).toBe(2);
  expect((await eventsOf(kept.map((p) => p.id))).sort()).toEqual(kept.map((p) => p.id).sort());
  await t.drain();
});

it('over HTTP: posts sent together are all created, each answer its own post and the new count', async () => {
  const before = await postsCount(b);
  const res = await Promise.all(Array.from({ length: 5 }, (_, i) => b.req({ method: 'POST', url: '/api/v1/posts/', body: { text: `together ${i}` } })));
  expect(res.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
  expect(res.map((r) => r.json().text)).toEqual(Array.from({ length: 5 }, (_, i) => `together ${i}`));
  expect(new Set(res.map((r) => r.json().id)).size).toBe(5);
  expect(await postsCount(b)).toBe(before + 5);
  expect((await b.req({ url: '/api/v1/users/me/' })).json().posts_count).toBe(before + 5);
  await t.drain();
});
