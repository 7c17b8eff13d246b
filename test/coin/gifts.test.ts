import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { balanceOf, coinEnv, fund } from './helpers.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let postId: number;
let heart: { id: number; key: string };

beforeAll(async () => {
  t = await createTestApp(coinEnv({ GIFT_CREATOR_SHARE_BPS: '2500' }));
  [alice, bob] = await Promise.all([t.user(), t.user()]);
  postId = (await bob.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'gift me' } })).json().id;
  await fund(t, alice, 1000);
});
afterAll(async () => t?.close());

const gift = (u: TestUser, url: string, body: Record<string, unknown>, key: string | null = randomUUID()) =>
  u.req({ method: 'POST', url, body, headers: key ? { 'idempotency-key': key } : {} });

describe('payments/gifts/', () => {
  it('lists the seeded catalogue as {next, previous, results} without a token', async () => {
    const res = await t.request({ url: '/api/v1/payments/gifts/?page_size=50' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toHaveProperty('next');
    expect(body).toHaveProperty('previous');
    const h = body.results.find((g: { key: string }) => g.key === 'test_heart_1usd');
    expect(h).toMatchObject({ price_cents: 100, price_slc_cents: 100, is_active: true, effects: { version: 2, persist: { mode: 'none', window_seconds: 0 }, effects: [] } });
    expect(h.media_url).toMatch(/^http:\/\/.+\/media\/gifts\/test-heart\.png$/);
    const sl = body.results.find((g: { key: string }) => g.key === 'super_like');
    expect(sl.effects.effects.map((e: { type: string }) => e.type)).toEqual(['highlight', 'badge']);
    heart = h;
  });

  it('staff only may edit the catalogue', async () => {
    expect((await alice.req({ method: 'POST', url: '/api/v1/payments/gifts/', body: { name: 'X', price_cents: 5 } })).statusCode).toBe(403);
  });
});

describe('paid gifts', () => {
  it('charges, records the reaction, credits the creator share and shows it on the post', async () => {
    const frames: string[] = [];
    await t.ctx.pubsub.subscribe(`rt:post:${postId}`, (m: string) => void frames.push(m));
    const key = randomUUID();
    const res = await gift(alice, `/api/v1/posts/${postId}/gifts/`, { gift_type_id: heart.id, quantity: 2 }, key);
    expect(res.statusCode).toBe(201);
    const b = res.json();
    expect(b).toMatchObject({ slc_balance_cents: 800, currency: 'SLC', reaction: { sender_id: alice.id, target_type: 'post', post: postId, comment: null, quantity: 2, total_amount_cents: 200, idempotency_key: key } });
    expect(b.reaction.gift_type.effects).toBeDefined();
    expect(await balanceOf(bob)).toBe(50);
    const again = await gift(alice, `/api/v1/posts/${postId}/gifts/`, { gift_type_id: heart.id, quantity: 2 }, key);
    expect(again.statusCode).toBe(200);
    expect(again.json().reaction.id).toBe(b.reaction.id);
    expect(await balanceOf(alice)).toBe(800);
    const conflict = await gift(alice, `/api/v1/posts/${postId}/gifts/`, { gift_type_id: heart.id, quantity: 3 }, key);
    expect(conflict.statusCode).toBe(400);
    expect(conflict.json().code).toBe('idempotency_conflict');

    const post = (await alice.req({ url: `/api/v1/posts/${postId}/` })).json();
    expect(post.recent_gifts[0]).toMatchObject({ gift_type_id: heart.id, quantity: 2, gift_type: { id: heart.id } });
    expect(post.gift_summary).toEqual({ test_heart_1usd: 2 });
    const led = (await alice.req({ url: '/api/v1/coin/ledger/' })).json();
    expect(led.results[0]).toMatchObject({ event_type: 'spend', direction: 'DEBIT', amount_cents: 200 });
    expect(led.results[0].event_metadata.reference).toBe(`gift:post:${postId}:test_heart_1usd`);
    await t.drain();
    const ev = frames.map((f) => JSON.parse(f)).find((f) => f.type === 'gift.received');
    expect(ev).toMatchObject({ target: { type: 'post', id: postId }, sender: { id: alice.id }, quantity: 2, total_amount_cents: 200 });
    expect(ev.gift_type.effects.version).toBe(2);
  });

  it('refuses bad requests with the contract codes and moves nothing', async () => {
    const url = `/api/v1/posts/${postId}/gifts/`;
    const before = await balanceOf(alice);
    const noKey = await gift(alice, url, { gift_type_id: heart.id }, null);
    expect(noKey.json()).toEqual({ detail: 'Idempotency-Key required.', code: 'invalid_request' });
    expect((await gift(alice, url, { gift_type_id: heart.id }, 'not-a-uuid')).statusCode).toBe(201);
    expect((await gift(alice, url, { gift_type_id: heart.id, quantity: 0 })).json().code).toBe('invalid_quantity');
    expect((await gift(alice, url, { gift_type_id: heart.id, quantity: 'x' })).json().code).toBe('invalid_quantity');
    const unknown = await gift(alice, url, { gift_type_id: 999999 });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('invalid_gift_type');
    const poor = await t.user();
    expect((await gift(poor, url, { gift_type_id: heart.id })).json().code).toBe('insufficient_funds');
    expect((await t.request({ method: 'POST', url, body: { gift_type_id: heart.id }, headers: { 'idempotency-key': randomUUID() } })).statusCode).toBe(401);
    const priv = (await bob.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'secret', visibility: 'private' } })).json().id;
    expect((await gift(alice, `/api/v1/posts/${priv}/gifts/`, { gift_type_id: heart.id })).statusCode).toBe(404);
    expect(await balanceOf(alice)).toBe(before - 100);
  });

  it('gifts comments too and refuses inactive gift types', async () => {
    const c = (await bob.req({ method: 'POST', url: '/api/v1/comments/', body: { post: String(postId), body: 'hi', text: 'hi' } })).json();
    const res = await gift(alice, `/api/v1/comments/${c.id}/gifts/`, { gift_type_id: heart.id });
    expect(res.statusCode).toBe(201);
    const comments = (await alice.req({ url: `/api/v1/comments/?post=${postId}` })).json();
    const list = Array.isArray(comments) ? comments : comments.results;
    expect(list.find((x: { id: number }) => x.id === c.id).gift_summary).toEqual({ test_heart_1usd: 1 });
    await t.ctx.services.payments.gifts.update(heart.id, { isActive: false });
    const inactive = await gift(alice, `/api/v1/comments/${c.id}/gifts/`, { gift_type_id: heart.id });
    expect(inactive.json().code).toBe('gift_inactive');
    await t.ctx.services.payments.gifts.update(heart.id, { isActive: true });
  });
});
