import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
import { itServer } from '../support/server-only.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
beforeAll(async () => {
  t = await sharedTestApp();
  alice = await t.user({ name: 'Alice Wonder', handle: 'alice_w' });
  bob = await t.user({ name: 'Bob Builder', handle: 'bob_b' });
});
afterAll(async () => t?.close());

describe('users/me', () => {
  it('returns the own user unmasked, with settings defaults', async () => {
    const res = await alice.req({ url: '/api/v1/users/me/' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: alice.id,
      email: alice.email,
      handle: 'alice_w',
      username: 'alice_w',
      settings: { privacy: 'public', dm_policy: 'everyone', language: 'en', quiet_hours: {}, push_enabled: true, email_enabled: true, digest_enabled: false },
    });
  });

  it('PATCH updates profile fields and merges settings', async () => {
    const res = await alice.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { name: 'Alice W', bio: 'hi', locale: 'ka-GE', birth_place: 'Tbilisi', settings: { language: 'ka', push_enabled: false } } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Alice W', bio: 'hi', locale: 'ka-GE', birth_place: 'Tbilisi', settings: { language: 'ka', push_enabled: false, email_enabled: true } });
    const again = await alice.req({ method: 'PATCH', url: '/api/v1/users/me', body: { settings: { quiet_hours: { start: '22:00', end: '07:00' } } } });
    expect(again.json().settings).toMatchObject({ language: 'ka', push_enabled: false, quiet_hours: { start: '22:00', end: '07:00' } });
  });

  it.each([
    [{ name: '' }, 'name'],
    [{ name: 7 }, 'name'],
    [{ handle: 'newhandle' }, 'handle'],
    [{ email: 'x@y.z' }, 'email'],
    [{ photo: 'javascript:alert(1)' }, 'photo'],
    [{ birth_date: '2020-02-31' }, 'birth_date'],
    [{ birth_date: 'yesterday' }, 'birth_date'],
    [{ birth_time: '25:00' }, 'birth_time'],
    [{ settings: { push_enabled: 'yes' } }, 'settings.push_enabled'],
    [{ settings: { dm_policy: 'anyone-ish' } }, 'settings.dm_policy'],
    [{ settings: { theme: 'dark' } }, 'settings.theme'],
    [{ bio: 'x'.repeat(2001) }, 'bio'],
  ])('PATCH rejects bad input #%#', async (body, field) => {
    const res = await bob.req({ method: 'PATCH', url: '/api/v1/users/me/', body });
    expect(res.statusCode).toBe(400);
    expect(Object.keys(res.json())).toContain(field);
    const me = await bob.req({ url: '/api/v1/users/me/' });
    expect(me.json().handle).toBe('bob_b');
  });

  it('has no PUT', async () => {
    expect((await bob.req({ method: 'PUT', url: '/api/v1/users/me/', body: {} })).statusCode).toBe(404);
  });

  it('recipient id is the coin account key', async () => {
    expect((await bob.req({ url: '/api/v1/users/me/recipient-id/' })).json()).toEqual({ account_key: `user:${bob.id}` });
  });
});

describe('users/{id}', () => {
  it('masks PII of other users', async () => {
    await alice.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { birth_date: '1990-01-02', birth_time: '10:30' } });
    const res = await bob.req({ url: `/api/v1/users/${alice.id}/` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: alice.id, email: null, birth_date: null, birth_time: null, birth_place: null, settings: null, account_key: `user:${alice.id}` });
    const own = await alice.req({ url: `/api/v1/users/${alice.id}/` });
    expect(own.json()).toMatchObject({ email: alice.email, birth_date: '1990-01-02', birth_time: '10:30:00' });
  });

  it('404s unknown, malformed and suspended users', async () => {
    expect((await bob.req({ url: '/api/v1/users/999999999/' })).statusCode).toBe(404);
    expect((await bob.req({ url: '/api/v1/users/abc/' })).statusCode).toBe(400);
    expect((await bob.req({ url: '/api/v1/users/99999999999999999999/' })).statusCode).toBe(400);
    const c = await t.user();
    await t.ctx.services.users.setActive(c.id, false);
    expect((await bob.req({ url: `/api/v1/users/${c.id}/` })).statusCode).toBe(404);
  });

  it('requires authentication', async () => {
    expect((await t.request({ url: `/api/v1/users/${alice.id}/` })).statusCode).toBe(401);
  });
});

describe('follow graph', () => {
  it('follow/unfollow is idempotent and keeps counters exact', async () => {
    const a = await t.user();
    const b = await t.user();
    for (let i = 0; i < 2; i++) {
      const r = await a.req({ method: 'POST', url: `/api/v1/users/${b.id}/follow/`, body: {} });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({ following: true });
    }
    const seen = (await a.req({ url: `/api/v1/users/${b.id}/` })).json();
    expect(seen).toMatchObject({ followers_count: 1, is_following: true, flags: { following: true, is_following: true } });
    expect((await a.req({ url: '/api/v1/users/me/' })).json().following_count).toBe(1);
    expect((await b.req({ url: `/api/v1/users/${b.id}/followers/` })).json().map((u: { id: number }) => u.id)).toEqual([a.id]);
    expect((await b.req({ url: `/api/v1/users/${a.id}/following/` })).json().map((u: { id: number }) => u.id)).toEqual([b.id]);
    for (let i = 0; i < 2; i++) {
      const r = await a.req({ method: 'DELETE', url: `/api/v1/users/${b.id}/follow/` });
      expect(r.json()).toEqual({ following: false });
    }
    expect((await a.req({ url: `/api/v1/users/${b.id}/` })).json()).toMatchObject({ followers_count: 0, is_following: false });
  });

  itServer('concurrent follows and unfollows never drift the counters', async () => {
    const target = await t.user();
    const fans = await Promise.all(Array.from({ length: 8 }, () => t.user()));
    await Promise.all(fans.flatMap((f) => [0, 1, 2].map(() => f.req({ method: 'POST', url: `/api/v1/users/${target.id}/follow/` }))));
    expect((await target.req({ url: '/api/v1/users/me/' })).json().followers_count).toBe(8);
    await Promise.all(fans.slice(0, 5).flatMap((f) => [0, 1].map(() => f.req({ method: 'DELETE', url: `/api/v1/users/${target.id}/follow/` }))));
    expect((await target.req({ url: '/api/v1/users/me/' })).json().followers_count).toBe(3);
    expect(await t.ctx.services.users.followerIds(target.id)).toHaveLength(3);
  });

  it('refuses self-follow, unknown users and blocked pairs', async () => {
    const r = await alice.req({ method: 'POST', url: `/api/v1/users/${alice.id}/follow/` });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({ detail: 'Cannot follow yourself', code: 'cannot_follow_self' });
    expect((await alice.req({ method: 'POST', url: '/api/v1/users/987654321/follow/' })).statusCode).toBe(404);
    const x = await t.user();
    const y = await t.user();
    await x.req({ method: 'POST', url: `/api/v1/users/${y.id}/follow/` });
    expect((await y.req({ method: 'POST', url: `/api/v1/users/${x.id}/block/` })).json()).toEqual({ blocked: true });
    // Blocking removes the follow and hides the blocker's profile.
    expect((await x.req({ url: '/api/v1/users/me/' })).json().following_count).toBe(0);
    const again = await x.req({ method: 'POST', url: `/api/v1/users/${y.id}/follow/` });
    expect(again.statusCode).toBe(404);
    expect((await y.req({ method: 'POST', url: `/api/v1/users/${x.id}/follow/` })).json().code).toBe('blocked');
    await y.req({ method: 'DELETE', url: `/api/v1/users/${x.id}/block/` });
    expect((await x.req({ method: 'POST', url: `/api/v1/users/${y.id}/follow/` })).statusCode).toBe(200);
  });
});

describe('users directory', () => {
  it('pages with next URLs that the app can send back whole or as a bare cursor, without gaps or repeats', async () => {
    const seen = new Set<number>();
    let url: string | null = '/api/v1/users/?page_size=3';
    let pages = 0;
    while (url && pages < 50) {
      const res = await alice.req({ url });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.previous).toBeNull();
      for (const u of body.results) {
        expect(seen.has(u.id)).toBe(false);
        seen.add(u.id);
      }
      if (!body.next) break;
      expect(body.next).toMatch(/^http:\/\/localhost(:\d+)?\/api\/v1\/users\/\?/);
      const next = new URL(body.next);
      // Alternate between the app's two habits: the full next URL as ?cursor=, or the bare token.
      url = pages % 2 ? `/api/v1/users/?page_size=3&cursor=${encodeURIComponent(body.next)}` : `/api/v1/users/?page_size=3&cursor=${next.searchParams.get('cursor')}`;
      pages++;
    }
    const total = (await t.ctx.services.users.list({ cursor: null, limit: 1000 })).rows.length;
    expect(seen.size).toBe(total);
  });

  it('searches handle and name, not e-mail', async () => {
    const byName = (await alice.req({ url: '/api/v1/users/?search=Builder' })).json();
    expect(byName.results.map((u: { id: number }) => u.id)).toContain(bob.id);
    const byEmail = (await alice.req({ url: `/api/v1/users/?q=${encodeURIComponent(bob.email)}` })).json();
    expect(byEmail.results).toHaveLength(0);
  });

  it('rejects bad cursors and page sizes with 400', async () => {
    expect((await alice.req({ url: '/api/v1/users/?cursor=garbage!!' })).json()).toEqual({ detail: 'Invalid cursor', code: 'invalid_cursor' });
    expect((await alice.req({ url: '/api/v1/users/?page_size=0' })).statusCode).toBe(400);
    expect((await alice.req({ url: '/api/v1/users/?page_size=abc' })).statusCode).toBe(400);
  });

  it('clamps large page sizes to 100', async () => {
    // One more matching user than the clamp, made through the users service (no password hashing) to stay cheap.
    for (let i = 0; i < 101; i++) await t.ctx.services.users.createUser({ email: `clamp${i}@example.com`, password: null, handle: `clampee${i}`, name: 'Clampee' });
    const res = await alice.req({ url: '/api/v1/users/?q=clampee&page_size=1000' });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toHaveLength(100);
    expect(res.json().next).toEqual(expect.any(String));
    expect((await alice.req({ url: res.json().next })).json().results).toHaveLength(1);
    // The writes' jobs (fan-out, reminders, indexing) are paid for here, not by a later test's drain().
    await t.drain();
  }, 120_000); // 101 writes: slow on a busy machine
});

describe('blocks and mutes', () => {
  it('mute/unmute are idempotent, reject self and unknown users, and require auth', async () => {
    const a = await t.user();
    const b = await t.user();
    for (let i = 0; i < 2; i++) expect((await a.req({ method: 'POST', url: `/api/v1/users/${b.id}/mute/` })).json()).toEqual({ muted: true });
    expect(await t.ctx.services.users.hasMuted(a.id, b.id)).toBe(true);
    expect(await t.ctx.services.users.hasMuted(b.id, a.id)).toBe(false);
    expect((await a.req({ method: 'DELETE', url: `/api/v1/users/${b.id}/mute/` })).json()).toEqual({ muted: false });
    expect(await t.ctx.services.users.hasMuted(a.id, b.id)).toBe(false);
    expect((await a.req({ method: 'POST', url: `/api/v1/users/${a.id}/mute/` })).json().code).toBe('cannot_mute_self');
    expect((await a.req({ method: 'POST', url: '/api/v1/users/987654321/mute/' })).statusCode).toBe(404);
    expect((await a.req({ method: 'POST', url: '/api/v1/users/x/mute/' })).statusCode).toBe(400);
    expect((await t.request({ method: 'POST', url: `/api/v1/users/${b.id}/mute/` })).statusCode).toBe(401);
  });

  it('block rejects self and unknown users; unblock of a stranger is a no-op', async () => {
    const a = await t.user();
    expect((await a.req({ method: 'POST', url: `/api/v1/users/${a.id}/block/` })).json().code).toBe('cannot_block_self');
    expect((await a.req({ method: 'POST', url: '/api/v1/users/987654321/block/' })).statusCode).toBe(404);
    const b = await t.user();
    expect((await a.req({ method: 'DELETE', url: `/api/v1/users/${b.id}/block/` })).json()).toEqual({ blocked: false });
    expect(await t.ctx.services.users.isBlockedEitherWay(a.id, b.id)).toBe(false);
  });
});
