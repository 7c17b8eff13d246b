// The in-process session cache in front of users.resolveSession: a warm session costs no database
// query, and every write that changes what it holds drops it (on this instance at once, on every
// other instance when the pub/sub message arrives). A long TTL here makes "still cached" certain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { createSiblingApp, type SiblingApp } from '../support/sibling.js';
import { SERVER_MODE } from '../support/mode.js';
import { countQueries } from '../../src/platform/db/query-count.js';
import { sessionCacheOf } from '../../src/modules/users/session-cache.js';

const LONG_TTL = { SESSION_CACHE_TTL_MS: '60000' };
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp(LONG_TTL);
  await sessionCacheOf(t.ctx).subscribed();
});
afterAll(async () => t?.close());

const me = (u: TestUser, token = u.token) => t.request({ url: '/api/v1/users/me/', token });
const login = async (u: TestUser) => (await t.request({ method: 'POST', url: '/api/v1/auth/login/', body: { email: u.email, password: u.password } })).json().token as string;

describe('session cache', () => {
  it('answers a warm session without a database query', async () => {
    const u = await t.user();
    expect((await me(u)).statusCode).toBe(200);
    const before = sessionCacheOf(t.ctx).cache.stats();
    const { result, queries } = await countQueries(() => me(u));
    expect(result.statusCode).toBe(200);
    expect(result.json().id).toBe(u.id);
    expect(queries).toBe(0);
    expect(sessionCacheOf(t.ctx).cache.stats().hits).toBe(before.hits + 1);
  });

  it('counts its hits and misses in cache_lookups_total (the ops page\'s hit rate)', async () => {
    const count = async (outcome: string) => {
      const m = (await t.ctx.metrics.registry.getSingleMetric('cache_lookups_total')!.get()).values;
      return m.find((v) => v.labels.cache === 'session' && v.labels.outcome === outcome)?.value ?? 0;
    };
    const [hits, misses] = [await count('hit'), await count('miss')];
    const u = await t.user();
    expect((await me(u)).statusCode).toBe(200);
    expect((await me(u)).statusCode).toBe(200);
    expect(await count('miss')).toBe(misses + 1);
    expect(await count('hit')).toBe(hits + 1);
  });

  it('keeps answering from the cache when a session is revoked behind its back (no event), until invalidated', async () => {
    const u = await t.user();
    expect((await me(u)).statusCode).toBe(200);
    await t.ctx.db.execute(sql`update auth_sessions set revoked_at = now() where user_id = ${u.id}`);
    expect((await me(u)).statusCode).toBe(200);
    await sessionCacheOf(t.ctx).invalidate([u.id]);
    const res = await me(u);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('token_not_valid');
  });

  it('logout refuses the token on the next request', async () => {
    const u = await t.user();
    expect((await me(u)).statusCode).toBe(200);
    expect((await u.req({ method: 'POST', url: '/api/v1/auth/logout/', body: {} })).statusCode).toBe(200);
    expect((await me(u)).statusCode).toBe(401);
  });

  it('logout with all: true refuses every other session of the user', async () => {
    const u = await t.user();
    const other = await login(u);
    expect((await me(u, other)).statusCode).toBe(200);
    expect((await u.req({ method: 'POST', url: '/api/v1/auth/logout/', body: { all: true } })).statusCode).toBe(200);
    expect((await me(u, other)).statusCode).toBe(401);
  });

  it('a reused refresh token ends its session on the next request', async () => {
    const u = await t.user();
    const rotated = await t.request({ method: 'POST', url: '/api/v1/auth/refresh/', body: { refresh: u.refreshToken } });
    expect(rotated.statusCode).toBe(200);
    const token = rotated.json().token as string;
    expect((await me(u, token)).statusCode).toBe(200);
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/refresh/', body: { refresh: u.refreshToken } })).statusCode).toBe(401);
    expect((await me(u, token)).statusCode).toBe(401);
  });

  it('a password change refuses the old tokens', async () => {
    const u = await t.user();
    expect((await me(u)).statusCode).toBe(200);
    const res = await u.req({ method: 'POST', url: '/api/v1/auth/password/', body: { old_password: u.password, new_password: 'another-horse-2' } });
    expect(res.statusCode).toBe(200);
    expect((await me(u)).statusCode).toBe(401);
  });

  it('suspension refuses the user (event relayed by the outbox)', async () => {
    const u = await t.user();
    expect((await me(u)).statusCode).toBe(200);
    await t.ctx.services.users.setActive(u.id, false);
    await t.drain();
    expect((await me(u)).statusCode).toBe(401);
  });

  it('profile edits, follows and posts show at once on users/me', async () => {
    const [u, v] = await Promise.all([t.user(), t.user()]);
    expect((await me(u)).json()).toMatchObject({ name: expect.any(String), following_count: 0, posts_count: 0 });
    expect((await me(v)).json()).toMatchObject({ followers_count: 0 });
    expect((await u.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { name: 'Renamed' } })).statusCode).toBe(200);
    expect((await me(u)).json().name).toBe('Renamed');
    expect((await u.req({ method: 'POST', url: `/api/v1/users/${v.id}/follow/`, body: {} })).statusCode).toBe(200);
    expect((await me(u)).json().following_count).toBe(1);
    expect((await me(v)).json().followers_count).toBe(1);
    const post = await u.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'hello' } });
    expect(post.statusCode).toBe(201);
    expect((await me(u)).json().posts_count).toBe(1);
    expect((await u.req({ method: 'DELETE', url: `/api/v1/posts/${post.json().id}/` })).statusCode).toBe(204);
    expect((await me(u)).json().posts_count).toBe(0);
  });
});

// Post authors, thread members and message senders come from the same cache's user rows
// (users.getManyForDisplay), dropped by the same events.
describe('user rows for display', () => {
  const rowLookups = async (outcome: string) => {
    const m = (await t.ctx.metrics.registry.getSingleMetric('cache_lookups_total')!.get()).values;
    return m.find((v) => v.labels.cache === 'user_rows' && v.labels.outcome === outcome)?.value ?? 0;
  };
  const authorOn = async (viewer: TestUser, postId: number) => {
    const res = await viewer.req({ url: `/api/v1/posts/?page_size=50` });
    expect(res.statusCode).toBe(200);
    return res.json().results.find((p: { id: number }) => p.id === postId)?.author as { name: string } | undefined;
  };

  it('a page reads its authors from PostgreSQL once, then from the cache', async () => {
    const [a, v] = await Promise.all([t.user(), t.user()]);
    const post = (await a.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'cached author' } })).json();
    await t.drain();
    const first = await countQueries(() => authorOn(v, post.id));
    const hits = await rowLookups('hit');
    const second = await countQueries(() => authorOn(v, post.id));
    expect(second.result).toEqual(first.result);
    expect(await rowLookups('hit')).toBeGreaterThan(hits);
    expect(second.queries).toBeLessThan(first.queries);
  });

  it("a new post's own response shows its author's new posts_count", async () => {
    const [a, v] = await Promise.all([t.user(), t.user()]);
    const first = (await a.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'one' } })).json();
    await t.drain();
    await authorOn(v, first.id);
    await authorOn(v, first.id); // the author's row is now cached here
    const second = await a.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'two' } });
    expect(second.statusCode).toBe(201);
    expect(second.json().author.posts_count).toBe(2);
  });

  it('a renamed author shows under their posts on the next page', async () => {
    const [a, v] = await Promise.all([t.user(), t.user()]);
    const post = (await a.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'rename me' } })).json();
    await t.drain();
    expect((await authorOn(v, post.id))?.name).not.toBe('Renamed Author');
    expect((await a.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { name: 'Renamed Author' } })).statusCode).toBe(200);
    expect((await authorOn(v, post.id))?.name).toBe('Renamed Author');
  });

  it("a suspended author's posts leave the page at once", async () => {
    const [a, v] = await Promise.all([t.user(), t.user()]);
    const post = (await a.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'soon hidden' } })).json();
    await t.drain();
    expect(await authorOn(v, post.id)).toBeDefined();
    await t.ctx.services.users.setActive(a.id, false);
    await t.drain();
    expect(await authorOn(v, post.id)).toBeUndefined();
  });

  it("a session's load brings its user's display row: a cold session's send costs the session and the statement", async () => {
    const [a, v] = await Promise.all([t.user(), t.user()]);
    const th = (await a.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: v.id } })).json();
    await t.drain();
    await sessionCacheOf(t.ctx).invalidate([a.id]);
    const misses = await rowLookups('miss');
    const { result, queries } = await countQueries(() => a.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th.id, body: 'cold' } }));
    expect(result.statusCode).toBe(201);
    expect(result.json().sender.id).toBe(a.id);
    expect(queries).toBe(2);
    expect(await rowLookups('miss')).toBe(misses + 1); // the session's load opened the row's entry
    // A renamed sender is read again with their next session load.
    expect((await a.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { name: 'Fresh Name' } })).statusCode).toBe(200);
    const next = await a.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th.id, body: 'renamed' } });
    expect(next.json().sender.name).toBe('Fresh Name');
  });

  it('a sender renamed after a message shows renamed in the thread', async () => {
    const [a, v] = await Promise.all([t.user(), t.user()]);
    const th = (await a.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: v.id } })).json();
    expect((await a.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th.id, body: 'hi' } })).statusCode).toBe(201);
    const senderName = async () => (await v.req({ url: `/api/v1/messages/?thread=${th.id}` })).json().results[0].sender.name as string;
    expect(await senderName()).not.toBe('Renamed Sender');
    expect((await a.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { name: 'Renamed Sender' } })).statusCode).toBe(200);
    expect(await senderName()).toBe('Renamed Sender');
  });
});

describe.runIf(SERVER_MODE)('two instances', () => {
  let b: SiblingApp;
  beforeAll(async () => {
    b = await createSiblingApp(t, LONG_TTL);
    await sessionCacheOf(b.ctx).subscribed();
  });
  afterAll(async () => b?.close());

  const meOnB = (token: string) => b.request({ url: '/api/v1/users/me/', token });

  it('a logout on A is refused on B once the invalidation is delivered', async () => {
    const u = await t.user();
    expect((await meOnB(u.token)).statusCode).toBe(200);
    // B now answers this session from its cache.
    const { result, queries } = await countQueries(() => meOnB(u.token));
    expect(result.statusCode).toBe(200);
    expect(queries).toBe(0);
    const delivered = sessionCacheOf(b.ctx).delivered(u.id);
    expect((await u.req({ method: 'POST', url: '/api/v1/auth/logout/', body: {} })).statusCode).toBe(200);
    await t.drain(); // A relays session.revoked itself rather than waiting for B's polling relay
    await delivered;
    const res = await meOnB(u.token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('token_not_valid');
  });

  it("an author renamed on A shows renamed on B's pages once the invalidation is delivered", async () => {
    const [a, v] = await Promise.all([t.user(), t.user()]);
    const post = (await a.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'on both' } })).json();
    await t.drain();
    const onB = async () => (await b.request({ url: '/api/v1/posts/?page_size=50', token: v.token })).json().results.find((p: { id: number }) => p.id === post.id)?.author?.name;
    expect(await onB()).not.toBe('Renamed On A');
    expect(await onB()).not.toBe('Renamed On A'); // now from B's cache
    const delivered = sessionCacheOf(b.ctx).delivered(a.id);
    expect((await a.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { name: 'Renamed On A' } })).statusCode).toBe(200);
    await t.drain();
    await delivered;
    expect(await onB()).toBe('Renamed On A');
  });

  it('a suspension on A is refused on B once the invalidation is delivered', async () => {
    const u = await t.user();
    expect((await meOnB(u.token)).statusCode).toBe(200);
    const delivered = sessionCacheOf(b.ctx).delivered(u.id);
    await t.ctx.services.users.setActive(u.id, false);
    await t.drain();
    await delivered;
    expect((await meOnB(u.token)).statusCode).toBe(401);
  });
});
