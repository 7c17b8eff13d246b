import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
import { itServer } from '../support/server-only.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  t = await sharedTestApp();
  alice = await t.user();
  bob = await t.user();
});
afterAll(async () => t?.close());

const make = async (userId: number, type = 'follow', payload: Record<string, unknown> = {}) => {
  const n = await t.ctx.services.notifications.create(userId, type, payload, { actorId: null });
  if (!n) throw new Error('not created');
  return n;
};

describe('GET notifications/', () => {
  it('lists only the caller’s notifications, newest first, as W-Notification in a cursor envelope', async () => {
    const u = await t.user();
    const a = await make(u.id, 'follow', { actor_id: null, x: 1 });
    const b = await make(u.id, 'like', { post_id: 7 });
    await make(bob.id, 'like');
    const res = await u.req({ url: '/api/v1/notifications/' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.previous).toBeNull();
    expect(body.next).toBeNull();
    expect(body.results.map((n: { id: number }) => n.id)).toEqual([b.id, a.id]);
    expect(body.results[0]).toEqual({ id: b.id, type: 'like', payload: { post_id: 7 }, is_read: false, created_at: b.createdAt.toISOString(), read_at: null });
    expect(body.results[0].created_at).toMatch(/Z$/);
  });

  it('pages with page_size and an absolute next URL, without gaps or repeats', async () => {
    const u = await t.user();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await make(u.id, 'follow', { i })).id);
    const seen: number[] = [];
    let url: string | null = '/api/v1/notifications/?page_size=2';
    let pages = 0;
    while (url) {
      const res = await u.req({ url: url.replace(/^https?:\/\/[^/]+/, '') });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.results.length).toBeLessThanOrEqual(2);
      seen.push(...body.results.map((n: { id: number }) => n.id));
      if (body.next) expect(body.next).toMatch(/^http:\/\/.+cursor=/);
      url = body.next;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it.each([['cursor=garbage', 400], ['page_size=0', 400], ['page_size=abc', 400], ['page_size=5000', 400]])('rejects bad query %s', async (q, code) => {
    const res = await alice.req({ url: `/api/v1/notifications/?${q}` });
    expect(res.statusCode).toBe(code);
  });

  it('caps page_size at 100', async () => {
    // One more notification than the cap, so a list without it would return all of them.
    const u = await t.user();
    for (let i = 0; i < 101; i++) await make(u.id, 'like', { i });
    const res = await u.req({ url: '/api/v1/notifications/?page_size=1000' });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toHaveLength(100);
    expect(res.json().next).toEqual(expect.any(String));
    expect((await u.req({ url: res.json().next })).json().results).toHaveLength(1);
  }, 120_000); // 101 writes: slow on a busy machine

  it('requires authentication', async () => {
    const res = await t.request({ url: '/api/v1/notifications/' });
    expect(res.statusCode).toBe(401);
  });
});

describe('POST notifications/ (clients cannot create notifications)', () => {
  it('answers 405 and stores nothing', async () => {
    const u = await t.user();
    const res = await u.req({ method: 'POST', url: '/api/v1/notifications/', body: { type: 'fake', payload: {}, is_read: false } });
    expect(res.statusCode).toBe(405);
    expect(res.json()).toEqual({ detail: 'Method "POST" not allowed.' });
    const list = await u.req({ url: '/api/v1/notifications' });
    expect(list.json().results).toEqual([]);
  });
});

describe('single notification', () => {
  it('GET returns the owner’s notification and 404 for anyone else or unknown ids', async () => {
    const n = await make(alice.id);
    expect((await alice.req({ url: `/api/v1/notifications/${n.id}/` })).json().id).toBe(n.id);
    const other = await bob.req({ url: `/api/v1/notifications/${n.id}/` });
    expect(other.statusCode).toBe(404);
    expect(other.json().detail).toBe('No Notification matches the given query.');
    expect((await alice.req({ url: '/api/v1/notifications/999999999/' })).statusCode).toBe(404);
    expect((await alice.req({ url: '/api/v1/notifications/abc/' })).statusCode).toBe(400);
  });

  it('PATCH {is_read:true} sets read_at once; false marks unread again', async () => {
    const n = await make(alice.id);
    const r1 = await alice.req({ method: 'PATCH', url: `/api/v1/notifications/${n.id}/`, body: { is_read: true } });
    expect(r1.statusCode).toBe(200);
    expect(r1.json().is_read).toBe(true);
    const firstReadAt = r1.json().read_at;
    expect(firstReadAt).toMatch(/Z$/);
    const r2 = await alice.req({ method: 'PATCH', url: `/api/v1/notifications/${n.id}`, body: { is_read: true } });
    expect(r2.json().read_at).toBe(firstReadAt);
    const r3 = await alice.req({ method: 'PATCH', url: `/api/v1/notifications/${n.id}`, body: { is_read: false } });
    expect(r3.json()).toMatchObject({ is_read: false, read_at: null });
    const empty = await alice.req({ method: 'PATCH', url: `/api/v1/notifications/${n.id}`, body: {} });
    expect(empty.statusCode).toBe(200);
    expect(empty.json().is_read).toBe(false);
  });

  it('PUT needs is_read; type/payload and wrong types are rejected', async () => {
    const n = await make(alice.id, 'follow', { a: 1 });
    const ok = await alice.req({ method: 'PUT', url: `/api/v1/notifications/${n.id}/`, body: { is_read: true } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ is_read: true, type: 'follow', payload: { a: 1 } });
    const missing = await alice.req({ method: 'PUT', url: `/api/v1/notifications/${n.id}/`, body: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ is_read: ['This field is required.'] });
    const forged = await alice.req({ method: 'PATCH', url: `/api/v1/notifications/${n.id}/`, body: { type: 'x', payload: { evil: true } } });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().type).toEqual(['Unknown field.']);
    const wrong = await alice.req({ method: 'PATCH', url: `/api/v1/notifications/${n.id}/`, body: { is_read: 'yes' } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().is_read).toEqual(['Must be a valid boolean.']);
  });

  it('other users cannot edit or delete it (404), and the row is unchanged', async () => {
    const n = await make(alice.id);
    expect((await bob.req({ method: 'PATCH', url: `/api/v1/notifications/${n.id}/`, body: { is_read: true } })).statusCode).toBe(404);
    expect((await bob.req({ method: 'PUT', url: `/api/v1/notifications/${n.id}/`, body: { is_read: true } })).statusCode).toBe(404);
    expect((await bob.req({ method: 'POST', url: `/api/v1/notifications/${n.id}/read/` })).statusCode).toBe(404);
    expect((await bob.req({ method: 'DELETE', url: `/api/v1/notifications/${n.id}/` })).statusCode).toBe(404);
    const still = await alice.req({ url: `/api/v1/notifications/${n.id}/` });
    expect(still.json().is_read).toBe(false);
  });

  it('DELETE removes it (204), then 404', async () => {
    const n = await make(alice.id);
    expect((await alice.req({ method: 'DELETE', url: `/api/v1/notifications/${n.id}/` })).statusCode).toBe(204);
    expect((await alice.req({ url: `/api/v1/notifications/${n.id}/` })).statusCode).toBe(404);
    expect((await alice.req({ method: 'DELETE', url: `/api/v1/notifications/${n.id}/` })).statusCode).toBe(404);
  });

  it('POST {id}/read/ marks one as read', async () => {
    const n = await make(alice.id);
    const res = await alice.req({ method: 'POST', url: `/api/v1/notifications/${n.id}/read/` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: n.id, is_read: true });
    expect(res.json().read_at).not.toBeNull();
  });
});

describe('unread-count and mark-all-read', () => {
  it('counts only unread own notifications and mark-all-read reports rows changed', async () => {
    const u = await t.user();
    const ns = [await make(u.id), await make(u.id), await make(u.id)];
    await make(bob.id);
    await u.req({ method: 'PATCH', url: `/api/v1/notifications/${ns[0].id}/`, body: { is_read: true } });
    expect((await u.req({ url: '/api/v1/notifications/unread-count/' })).json()).toEqual({ unread_count: 2 });
    const bobBefore = (await bob.req({ url: '/api/v1/notifications/unread-count' })).json().unread_count;
    const res = await u.req({ method: 'POST', url: '/api/v1/notifications/mark-all-read/' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ updated: 2 });
    expect((await u.req({ url: '/api/v1/notifications/unread-count/' })).json()).toEqual({ unread_count: 0 });
    expect((await u.req({ method: 'POST', url: '/api/v1/notifications/mark-all-read/' })).json()).toEqual({ updated: 0 });
    // Someone else's notifications are untouched.
    expect((await bob.req({ url: '/api/v1/notifications/unread-count' })).json().unread_count).toBe(bobBefore);
    const first = (await u.req({ url: `/api/v1/notifications/${ns[0].id}/` })).json();
    expect(first.read_at).not.toBeNull();
  });

  itServer('concurrent mark-all-read calls update each row once in total', async () => {
    const u = await t.user();
    for (let i = 0; i < 6; i++) await make(u.id);
    const results = await Promise.all(Array.from({ length: 5 }, () => u.req({ method: 'POST', url: '/api/v1/notifications/mark-all-read/' })));
    const total = results.reduce((s, r) => s + r.json().updated, 0);
    expect(total).toBe(6);
  });
});
