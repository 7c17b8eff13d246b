// The lookups a send makes (thread membership, blocks, the recipient) and that many other paths
// share: the ones asked in one turn of the event loop are one query, each caller with its own answer.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { countQueries } from '../../src/platform/db/query-count.js';

let t: TestApp;
let a: TestUser;
let b: TestUser;
let c: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  [a, b, c] = await Promise.all([t.user(), t.user(), t.user()]);
  expect((await b.req({ method: 'POST', url: `/api/v1/users/${a.id}/block/` })).statusCode).toBe(200);
  await t.drain();
});
afterAll(async () => t?.close());

it('blocks: pairs asked together cost one query, each pair its own answer, either way round', async () => {
  const users = t.ctx.services.users;
  const { result, queries } = await countQueries(() => Promise.all([users.isBlockedEitherWay(a.id, b.id), users.isBlockedEitherWay(b.id, a.id), users.isBlockedEitherWay(a.id, c.id), users.isBlockedEitherWay(c.id, b.id)]));
  expect(queries).toBe(1);
  expect(result).toEqual([true, true, false, false]);
});

it('blocks and mutes asked together share that query; a mute silences one way only and is no block', async () => {
  const users = t.ctx.services.users;
  expect((await c.req({ method: 'POST', url: `/api/v1/users/${a.id}/mute/` })).statusCode).toBeLessThan(300);
  const { result, queries } = await countQueries(() =>
    Promise.all([users.isBlockedOrMuted(c.id, a.id), users.isBlockedOrMuted(a.id, c.id), users.isBlockedEitherWay(c.id, a.id), users.isBlockedOrMuted(a.id, b.id), users.isBlockedOrMuted(b.id, c.id)]),
  );
  expect(queries).toBe(1);
  expect(result).toEqual([true, false, false, true, false]);
  expect((await c.req({ method: 'DELETE', url: `/api/v1/users/${a.id}/mute/` })).statusCode).toBeLessThan(300);
  expect(await users.isBlockedOrMuted(c.id, a.id)).toBe(false);
});

it('users by id: one query, missing ids null, one id asked twice is two objects', async () => {
  const users = t.ctx.services.users;
  const { result, queries } = await countQueries(() => Promise.all([users.getById(a.id), users.getById(c.id), users.getById(999_999_999), users.getById(a.id)]));
  expect(queries).toBe(1);
  const [first, other, missing, again] = result;
  expect(first?.id).toBe(a.id);
  expect(other?.id).toBe(c.id);
  expect(missing).toBeNull();
  expect(again).toEqual(first);
  expect(again).not.toBe(first);
});

it('thread membership: one query; a thread of others is not found, for that caller only', async () => {
  const messaging = t.ctx.services.messaging;
  const { thread } = await messaging.getOrCreateDirect(a.id, c.id);
  const { result, queries } = await countQueries(() =>
    Promise.allSettled([messaging.threadForMember(thread.id, a.id), messaging.threadForMember(thread.id, c.id), messaging.threadForMember(thread.id, b.id), messaging.threadForMember(thread.id, a.id)]),
  );
  expect(queries).toBe(1);
  expect(result.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  const [forA, forC, forB, againA] = result;
  expect(forA.status === 'fulfilled' && forA.value.id).toBe(thread.id);
  expect(forC.status === 'fulfilled' && forC.value.id).toBe(thread.id);
  expect(forB.status === 'rejected' && (forB.reason as { status?: number }).status).toBe(404);
  expect(againA.status === 'fulfilled' && againA.value).not.toBe(forA.status === 'fulfilled' && forA.value);
});

it('sessions: resolved together in one query, each its own verdict (live, revoked, inactive, unknown)', async () => {
  const [live, loggedOut, suspended] = await Promise.all([t.user(), t.user(), t.user()]);
  expect((await loggedOut.req({ method: 'POST', url: '/api/v1/auth/logout/' })).statusCode).toBe(200);
  await t.ctx.db.execute(sql`update users set is_active = false where id = ${suspended.id}`);
  const claimsOf = (u: TestUser) => t.ctx.tokens.verify(u.token, 'access');
  const [c1, c2, c3] = await Promise.all([claimsOf(live), claimsOf(loggedOut), claimsOf(suspended)]);
  const users = t.ctx.services.users;
  const { result, queries } = await countQueries(() =>
    Promise.all([users.resolveSession(c1), users.resolveSession(c2), users.resolveSession(c3), users.resolveSession({ ...c1, user_id: 999_999_999 }), users.resolveSession({ ...c1, sid: c3.sid }), users.resolveSession(c1)]),
  );
  expect(queries).toBe(1);
  const [ok, revoked, inactive, unknown, otherSession, again] = result;
  expect((ok as { id: number }).id).toBe(live.id);
  expect(revoked).toEqual({ error: 'session_revoked' });
  expect(inactive).toEqual({ error: 'user_inactive' });
  expect(unknown).toEqual({ error: 'user_not_found' });
  // Another user's session is not this user's, even while it stands.
  expect(otherSession).toEqual({ error: 'session_revoked' });
  expect(again).toEqual(ok);
  expect(again).not.toBe(ok);
});
