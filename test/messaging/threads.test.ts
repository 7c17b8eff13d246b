import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
import { itServer } from '../support/server-only.js';

let t: TestApp;
let a: TestUser;
let b: TestUser;
let c: TestUser;
beforeAll(async () => {
  t = await sharedTestApp();
  [a, b, c] = await Promise.all([t.user(), t.user(), t.user()]);
});
afterAll(async () => t?.close());

const direct = (u: TestUser, userId: unknown, extra: Record<string, unknown> = {}) =>
  u.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: userId, ...extra } });

describe('direct threads', () => {
  // One body, run one call after another (both modes) and all at once (server mode).
  const onePerPair = (together: boolean) => async () => {
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const calls = [...Array.from({ length: 4 }, () => () => direct(x, String(y.id))), ...Array.from({ length: 4 }, () => () => direct(y, x.id))];
    const results = together ? await Promise.all(calls.map((c) => c())) : [];
    if (!together) for (const c of calls) results.push(await c());
    const ids = new Set(results.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(7);
    const th = results[0].json();
    expect(th.is_group).toBe(false);
    expect(th.members.map((m: { user: { id: number } }) => m.user.id).sort()).toEqual([x.id, y.id].sort());
    expect(th).toMatchObject({ unread_count: 0, last_message: null });
    expect(typeof th.id).toBe('number');
  };
  it('creates exactly one thread per pair, from either side', onePerPair(false));
  itServer('creates exactly one thread per pair under concurrent calls from either side', onePerPair(true));

  it("shows whom the viewer follows, in the list and in one thread, as it is now", async () => {
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const th = (await direct(x, y.id)).json().id;
    type U = { id: number; is_following: boolean; flags: { following: boolean } };
    const seen = async (viewer: TestUser, other: TestUser) => {
      const list = (await viewer.req({ url: '/api/v1/threads/' })).json().results.find((r: { id: number }) => r.id === th);
      const one = (await viewer.req({ url: `/api/v1/threads/${th}/` })).json();
      return [list, one].flatMap((x) => [x.participants.find((p: U) => p.id === other.id), x.members.find((m: { user: U }) => m.user.id === other.id).user]).map((u: U) => u.is_following && u.flags.following);
    };
    expect(await seen(x, y)).toEqual([false, false, false, false]);
    expect((await x.req({ method: 'POST', url: `/api/v1/users/${y.id}/follow/`, body: {} })).statusCode).toBe(200);
    expect(await seen(x, y)).toEqual([true, true, true, true]);
    expect(await seen(y, x)).toEqual([false, false, false, false]);
    expect((await x.req({ method: 'DELETE', url: `/api/v1/users/${y.id}/follow/` })).statusCode).toBeLessThan(300);
    expect(await seen(x, y)).toEqual([false, false, false, false]);
  });

  it('answers under /api/v1/messaging/ too', async () => {
    const r1 = await direct(a, b.id);
    const r2 = await a.req({ method: 'POST', url: '/api/v1/messaging/threads/direct', body: { user_id: b.id } });
    expect(r2.statusCode).toBe(200);
    expect(r2.json().id).toBe(r1.json().id);
    const got = await a.req({ url: `/api/v1/messaging/threads/${r1.json().id}/` });
    expect(got.statusCode).toBe(200);
  });

  it('sends initial_message only for a new thread; participants exclude the viewer', async () => {
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const r = await direct(x, y.id, { initial_message: 'hello there' });
    expect(r.statusCode).toBe(201);
    expect(r.json().last_message.body).toBe('hello there');
    expect(r.json().participants.map((p: { id: number }) => p.id)).toEqual([y.id]);
    const again = await direct(x, y.id, { initial_message: 'ignored' });
    expect(again.json().last_message.body).toBe('hello there');
    const asY = await y.req({ url: `/api/v1/threads/${r.json().id}/` });
    expect(asY.json().unread_count).toBe(1);
    const asX = await x.req({ url: `/api/v1/threads/${r.json().id}/` });
    expect(asX.json().unread_count).toBe(0); // own messages are never unread
  });

  it.each([
    [{}, 400],
    [{ user_id: 'abc' }, 400],
    [{ user_id: -1 }, 400],
    [{ user_id: 1.5 }, 400],
    [{ user_id: 999_999_999_999 }, 404],
    [{ user_id: 5, extra: 1 }, 400],
  ])('rejects bad input %j', async (body, code) => {
    const r = await a.req({ method: 'POST', url: '/api/v1/threads/direct/', body });
    expect(r.statusCode).toBe(code);
  });

  it('refuses a thread with yourself and with a blocked user (400 with a code, never 403)', async () => {
    const self = await direct(a, a.id);
    expect(self.statusCode).toBe(400);
    const [x, y] = await Promise.all([t.user(), t.user()]);
    await t.ctx.services.users.block(y.id, x.id);
    const r = await direct(x, y.id);
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('messaging_blocked');
  });

  it('honours the recipient dm_policy', async () => {
    const [x, y, z] = await Promise.all([t.user(), t.user(), t.user()]);
    await t.ctx.services.users.update(y.id, { settings: { dm_policy: 'followers' } });
    const refused = await direct(x, y.id);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().code).toBe('dm_not_allowed');
    await t.ctx.services.users.follow(x.id, y.id);
    expect((await direct(x, y.id)).statusCode).toBe(201);
    await t.ctx.services.users.update(z.id, { settings: { dm_policy: 'nobody' } });
    expect((await direct(x, z.id)).json().code).toBe('dm_not_allowed');
    await t.ctx.services.users.update(z.id, { settings: { dm_policy: 'mutual' } });
    await t.ctx.services.users.follow(x.id, z.id);
    expect((await direct(x, z.id)).statusCode).toBe(400);
    await t.ctx.services.users.follow(z.id, x.id);
    expect((await direct(x, z.id)).statusCode).toBe(201);
  });

  it('requires authentication', async () => {
    expect((await t.request({ url: '/api/v1/threads/' })).statusCode).toBe(401);
  });
});

describe('group threads', () => {
  it('creates a group with the caller as admin and an initial message', async () => {
    const r = await a.req({ method: 'POST', url: '/api/v1/threads/', body: { title: 'Trio', participant_ids: [b.id, c.id], initial_message: 'hi all' } });
    expect(r.statusCode).toBe(201);
    const th = r.json();
    expect(th).toMatchObject({ is_group: true, title: 'Trio', last_message: { body: 'hi all' } });
    expect(th.members).toHaveLength(3);
    expect(th.participants).toHaveLength(2);
    const roles = Object.fromEntries(th.members.map((m: { user: { id: number }; role: string }) => [m.user.id, m.role]));
    expect(roles[a.id]).toBe('admin');
    expect(roles[b.id]).toBe('member');
  });

  it("shows each member the group's last message and their own unread count, in the list and in one thread", async () => {
    const [x, y, z] = await Promise.all([t.user(), t.user(), t.user()]);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/', body: { title: 'Three', participant_ids: [y.id, z.id], initial_message: 'one' } })).json().id;
    await y.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th, body: 'two' } });
    const seen = async (u: TestUser) => {
      const listed = (await u.req({ url: '/api/v1/threads/' })).json().results.find((r: { id: number }) => r.id === th);
      const one = (await u.req({ url: `/api/v1/threads/${th}/` })).json();
      return [listed, one].map((v) => [v.last_message?.body, v.unread_count, v.members.length]);
    };
    // Members are listed by membership: x (the creator) first; each viewer's own row carries the details.
    expect(await seen(x)).toEqual([['two', 1, 3], ['two', 1, 3]]);
    expect(await seen(y)).toEqual([['two', 1, 3], ['two', 1, 3]]);
    expect(await seen(z)).toEqual([['two', 2, 3], ['two', 2, 3]]);
  });

  it('reuses the direct thread when only one participant is given', async () => {
    const d = await direct(a, c.id);
    const r = await a.req({ method: 'POST', url: '/api/v1/threads/', body: { participant_ids: [c.id], initial_message: 'x' } });
    expect([200, 201]).toContain(r.statusCode);
    expect(r.json().id).toBe(d.json().id);
  });

  it.each([
    [{ participant_ids: [] }, 'participant_ids', 'At least one participant is required.'],
    [{ participant_ids: ['SELF'] }, 'participant_ids', 'Add at least one participant besides yourself.'],
    [{ participant_ids: [999_999_999_998, 999_999_999_997] }, 'participant_ids', 'Unknown participant IDs: 999999999998, 999999999997'],
    [{ participant_ids: ['x'] }, 'participant_ids.0', null],
    [{ participant_ids: [1], title: 'x'.repeat(121) }, 'title', null],
    [{ participant_ids: [1], initial_message: 'x'.repeat(10_001) }, 'initial_message', null],
    [{}, 'participant_ids', 'This field is required.'],
  ])('rejects %j', async (body, field, msg) => {
    const payload = JSON.parse(JSON.stringify(body).replace('"SELF"', String(a.id)));
    const r = await a.req({ method: 'POST', url: '/api/v1/threads/', body: payload });
    expect(r.statusCode).toBe(400);
    expect(Object.keys(r.json())).toContain(field);
    if (msg) expect(r.json()[field]).toEqual([msg]);
  });
});

describe('thread list, detail, leave', () => {
  it('lists my threads newest activity first with a cursor (bare token or whole next URL)', async () => {
    const u = await t.user();
    const peers = await Promise.all([t.user(), t.user(), t.user()]);
    const ids: number[] = [];
    for (const p of peers) ids.push((await direct(u, p.id)).json().id);
    // Activity in the first thread moves it to the top.
    await u.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: String(ids[0]), body: 'bump', client_uuid: 'bump-1' } });
    const first = await u.req({ url: '/api/v1/threads/?page_size=2&ordering=-updated_at' });
    expect(first.statusCode).toBe(200);
    const p1 = first.json();
    expect(p1.results.map((x: { id: number }) => x.id)).toEqual([ids[0], ids[2]]);
    expect(p1.previous).toBeNull();
    expect(p1.next).toMatch(/cursor=/);
    const viaUrl = await u.req({ url: `/api/v1/threads/?page_size=2&cursor=${encodeURIComponent(p1.next)}` });
    const token = new URL(p1.next).searchParams.get('cursor')!;
    const viaToken = await u.req({ url: `/api/v1/threads/?page_size=2&cursor=${token}` });
    expect(viaUrl.json().results.map((x: { id: number }) => x.id)).toEqual([ids[1]]);
    expect(viaToken.json().results.map((x: { id: number }) => x.id)).toEqual([ids[1]]);
    expect(viaToken.json().next).toBeNull();
  });

  it('rejects bad cursors and page sizes', async () => {
    expect((await a.req({ url: '/api/v1/threads/?cursor=garbage' })).statusCode).toBe(400);
    expect((await a.req({ url: '/api/v1/threads/?page_size=0' })).statusCode).toBe(400);
    expect((await a.req({ url: '/api/v1/threads/?page_size=abc' })).statusCode).toBe(400);
  });

  it('hides other people\'s threads (404) and rejects non-numeric ids (400)', async () => {
    const th = (await direct(a, b.id)).json();
    expect((await c.req({ url: `/api/v1/threads/${th.id}/` })).statusCode).toBe(404);
    expect((await c.req({ url: `/api/v1/threads/${th.id}/sync/` })).statusCode).toBe(404);
    expect((await c.req({ method: 'POST', url: `/api/v1/threads/${th.id}/leave/`, body: {} })).statusCode).toBe(404);
    expect((await a.req({ url: '/api/v1/threads/abc/' })).statusCode).toBe(400);
    expect((await a.req({ url: '/api/v1/threads/999999999999/' })).statusCode).toBe(404);
  });

  it('leave removes me; the thread disappears from my list; the last member deletes it', async () => {
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const th = (await direct(x, y.id)).json();
    expect((await x.req({ method: 'POST', url: `/api/v1/threads/${th.id}/leave/`, body: {} })).statusCode).toBe(204);
    expect((await x.req({ url: '/api/v1/threads/' })).json().results).toHaveLength(0);
    expect((await x.req({ url: `/api/v1/threads/${th.id}/` })).statusCode).toBe(404);
    const yView = await y.req({ url: `/api/v1/threads/${th.id}/` });
    expect(yView.json().members).toHaveLength(1);
    // A new message from y brings the conversation back for x (direct threads only).
    await y.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th.id, body: 'still there?', client_uuid: 'back-1' } });
    expect((await x.req({ url: '/api/v1/threads/' })).json().results.map((r: { id: number }) => r.id)).toEqual([th.id]);
    await x.req({ method: 'POST', url: `/api/v1/threads/${th.id}/leave/`, body: {} });
    await y.req({ method: 'POST', url: `/api/v1/threads/${th.id}/leave/`, body: {} });
    expect((await y.req({ url: `/api/v1/threads/${th.id}/` })).statusCode).toBe(404);
  });

  it('rate-limits thread creation (429 after 20/min)', async () => {
    const u = await t.user();
    const peer = await t.user();
    const results = [];
    for (let i = 0; i < 21; i++) results.push((await direct(u, peer.id)).statusCode);
    expect(results.slice(0, 20).every((s) => s === 200 || s === 201)).toBe(true);
    expect(results[20]).toBe(429);
  });
});
