import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  [alice, bob, carol] = await Promise.all([t.user(), t.user(), t.user()]);
});
afterAll(async () => t?.close());

const send = (u: TestUser, body: Record<string, unknown>) => u.req({ method: 'POST', url: '/api/v1/gifts/', body });

describe('gifts/', () => {
  it('creates a plain gift from the sender and lists only the caller\'s sent gifts', async () => {
    const res = await send(alice, { receiver: String(bob.id), gift_type: 3, payload: { note: 'for you' } });
    expect(res.statusCode).toBe(201);
    const g = res.json();
    expect(g).toMatchObject({ sender: alice.id, receiver: bob.id, gift_type: 3, payload: { note: 'for you' } });
    expect(g.created_at).toMatch(/Z$/);
    const second = (await send(alice, { receiver: carol.id, gift_type: '4' })).json();
    expect(second.payload).toEqual({});
    const mine = (await alice.req({ url: '/api/v1/gifts/?page_size=1' })).json();
    expect(mine.results.map((x: any) => x.id)).toEqual([second.id]);
    const next = new URL(mine.next);
    expect((await alice.req({ url: next.pathname + next.search })).json().results.map((x: any) => x.id)).toEqual([g.id]);
    expect((await bob.req({ url: '/api/v1/gifts/' })).json().results).toEqual([]);
  });

  it.each([
    [{ gift_type: 1 }, 'receiver'],
    [{ receiver: 1 }, 'gift_type'],
    [{ receiver: 'bob', gift_type: 1 }, 'receiver'],
    [{ receiver: 1, gift_type: 0 }, 'gift_type'],
    [{ receiver: 1, gift_type: 1, payload: [1] }, 'payload'],
    [{ receiver: 1, gift_type: 1, sender: 5 }, 'sender'],
  ])('rejects bad input %j', async (body, field) => {
    const res = await send(alice, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()[field]).toBeDefined();
  });

  it('refuses unknown, suspended and blocked receivers alike', async () => {
    const unknown = await send(alice, { receiver: 999999999, gift_type: 1 });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toEqual({ receiver: ['Invalid pk "999999999" - object does not exist.'] });
    const sus = await t.user();
    await t.ctx.services.users.setActive(sus.id, false);
    expect((await send(alice, { receiver: sus.id, gift_type: 1 })).statusCode).toBe(400);
    const blocker = await t.user();
    await blocker.req({ method: 'POST', url: `/api/v1/users/${alice.id}/block/`, body: {} });
    expect((await send(alice, { receiver: blocker.id, gift_type: 1 })).statusCode).toBe(400);
  });

  it('consults the payments catalogue once a payments service offers giftTypeExists', async () => {
    const services = t.ctx.services as unknown as Record<string, unknown>;
    services.payments = { giftTypeExists: async (id: number) => id === 7 };
    try {
      expect((await send(alice, { receiver: bob.id, gift_type: 8 })).json()).toEqual({ gift_type: ['Invalid pk "8" - object does not exist.'] });
      expect((await send(alice, { receiver: bob.id, gift_type: 7 })).statusCode).toBe(201);
    } finally {
      delete services.payments;
    }
  });

  it('needs authentication', async () => {
    expect((await t.request({ url: '/api/v1/gifts/' })).statusCode).toBe(401);
    expect((await t.request({ method: 'POST', url: '/api/v1/gifts/', body: { receiver: 1, gift_type: 1 } })).statusCode).toBe(401);
  });
});

describe('gifts/{id}/', () => {
  it('is sender-only: the receiver and strangers get 404', async () => {
    const g = (await send(alice, { receiver: bob.id, gift_type: 1 })).json();
    for (const u of [bob, carol]) {
      expect((await u.req({ url: `/api/v1/gifts/${g.id}/` })).statusCode).toBe(404);
      expect((await u.req({ method: 'PATCH', url: `/api/v1/gifts/${g.id}/`, body: { payload: {} } })).statusCode).toBe(404);
      expect((await u.req({ method: 'DELETE', url: `/api/v1/gifts/${g.id}/` })).statusCode).toBe(404);
    }
    expect((await alice.req({ url: `/api/v1/gifts/${g.id}/` })).json()).toMatchObject({ id: g.id, receiver: bob.id });
  });

  it('PUT needs receiver and gift_type; PATCH changes parts; DELETE removes', async () => {
    const g = (await send(alice, { receiver: bob.id, gift_type: 1 })).json();
    const missing = await alice.req({ method: 'PUT', url: `/api/v1/gifts/${g.id}/`, body: { receiver: bob.id } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().gift_type).toEqual(['This field is required.']);
    const put = await alice.req({ method: 'PUT', url: `/api/v1/gifts/${g.id}/`, body: { receiver: carol.id, gift_type: 2, payload: { a: 1 } } });
    expect(put.json()).toMatchObject({ receiver: carol.id, gift_type: 2, payload: { a: 1 } });
    const patch = await alice.req({ method: 'PATCH', url: `/api/v1/gifts/${g.id}/`, body: { payload: { b: 2 } } });
    expect(patch.json()).toMatchObject({ receiver: carol.id, gift_type: 2, payload: { b: 2 } });
    expect((await alice.req({ method: 'PATCH', url: `/api/v1/gifts/${g.id}/`, body: { receiver: 999999999 } })).statusCode).toBe(400);
    expect((await alice.req({ method: 'DELETE', url: `/api/v1/gifts/${g.id}/` })).statusCode).toBe(204);
    expect((await alice.req({ url: `/api/v1/gifts/${g.id}/` })).statusCode).toBe(404);
    expect((await alice.req({ url: '/api/v1/gifts/abc/' })).statusCode).toBe(400);
  });
});
