// payments/plans/: public catalogue reads with working cursors, staff-only writes, bad input → 400.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { coinEnv } from './helpers.js';

let t: TestApp;
let staff: TestUser;
let alice: TestUser;

beforeAll(async () => {
  t = await createTestApp(coinEnv());
  staff = await t.user();
  await t.ctx.services.users.update(staff.id, { isStaff: true });
  alice = await t.user();
});
afterAll(async () => {
  await t?.close();
});

const plan = (over: Record<string, unknown> = {}) => ({ name: `Plan ${Math.random().toString(36).slice(2, 8)}`, price_cents: 900, ...over });

describe('plan writes', () => {
  it('are staff-only: anonymous 401, users 403, nothing written', async () => {
    const before = (await t.request({ url: '/api/v1/payments/plans/?page_size=100' })).json().results.length;
    expect((await t.request({ method: 'POST', url: '/api/v1/payments/plans/', body: plan() })).statusCode).toBe(401);
    const res = await alice.req({ method: 'POST', url: '/api/v1/payments/plans/', body: plan() });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('permission_denied');
    const p = (await staff.req({ method: 'POST', url: '/api/v1/payments/plans/', body: plan() })).json();
    for (const method of ['PATCH', 'PUT', 'DELETE'] as const) {
      expect((await alice.req({ method, url: `/api/v1/payments/plans/${p.id}/`, body: method === 'DELETE' ? undefined : plan() })).statusCode).toBe(403);
    }
    expect((await t.request({ url: '/api/v1/payments/plans/?page_size=100' })).json().results.length).toBe(before + 1);
  });

  it('create, change, replace and deactivate with the wire shape the app reads', async () => {
    const res = await staff.req({ method: 'POST', url: '/api/v1/payments/plans/', body: { name: 'Premium', price_cents: 900, features: ['Deeper SoulMatch'], external_price_id: 'price_123' } });
    expect(res.statusCode).toBe(201);
    const p = res.json();
    expect(p).toEqual({ id: expect.any(Number), name: 'Premium', price_cents: 900, interval: 'month', features: ['Deeper SoulMatch'], is_active: true });
    const patched = await staff.req({ method: 'PATCH', url: `/api/v1/payments/plans/${p.id}`, body: { price_cents: 1200, interval: 'year' } });
    expect(patched.json()).toMatchObject({ id: p.id, name: 'Premium', price_cents: 1200, interval: 'year' });
    expect((await t.request({ url: `/api/v1/payments/plans/${p.id}/` })).json().price_cents).toBe(1200);
    // PUT replaces: name and price are required.
    expect((await staff.req({ method: 'PUT', url: `/api/v1/payments/plans/${p.id}/`, body: { price_cents: 1 } })).json()).toEqual({ name: ['This field is required.'] });
    expect((await staff.req({ method: 'PUT', url: `/api/v1/payments/plans/${p.id}/`, body: { name: 'Premium', price_cents: 1000 } })).statusCode).toBe(200);
    expect((await staff.req({ method: 'DELETE', url: `/api/v1/payments/plans/${p.id}/` })).statusCode).toBe(204);
    expect((await t.request({ url: `/api/v1/payments/plans/${p.id}/` })).statusCode).toBe(404);
    expect((await t.request({ url: '/api/v1/payments/plans/?page_size=100' })).json().results.map((x: { id: number }) => x.id)).not.toContain(p.id);
    // Staff can bring it back.
    expect((await staff.req({ method: 'PATCH', url: `/api/v1/payments/plans/${p.id}/`, body: { is_active: true } })).json().is_active).toBe(true);
  });

  it('refuses bad input with 400 field errors and unknown ids with 404', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ name: 'x', price_cents: 0 }, 'price_cents'],
      [{ name: 'x', price_cents: -5 }, 'price_cents'],
      [{ name: 'x', price_cents: 'ten' }, 'price_cents'],
      [{ name: '   ', price_cents: 100 }, 'name'],
      [{ name: 'x'.repeat(65), price_cents: 100 }, 'name'],
      [{ name: 'x', price_cents: 100, interval: 'fortnight' }, 'interval'],
      [{ name: 'x', price_cents: 100, external_price_id: 'price 1; drop' }, 'external_price_id'],
      [{ name: 'x', price_cents: 100, features: 'gold' }, 'features'],
      [{ name: 'x', price_cents: 100, is_staff: true }, 'is_staff'],
      [{ price_cents: 100 }, 'name'],
    ];
    for (const [body, field] of bad) {
      const res = await staff.req({ method: 'POST', url: '/api/v1/payments/plans/', body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(Object.keys(res.json()), JSON.stringify(body)).toContain(field);
    }
    await staff.req({ method: 'POST', url: '/api/v1/payments/plans/', body: { name: 'Taken', price_cents: 100 } });
    const dup = await staff.req({ method: 'POST', url: '/api/v1/payments/plans/', body: { name: 'Taken', price_cents: 200 } });
    expect(dup.statusCode).toBe(400);
    expect(dup.json()).toEqual({ name: ['plan with this name already exists.'] });
    expect((await staff.req({ method: 'PATCH', url: '/api/v1/payments/plans/999999/', body: { price_cents: 5 } })).json()).toEqual({ detail: 'Not found.', code: 'not_found' });
    expect((await staff.req({ method: 'DELETE', url: '/api/v1/payments/plans/999999/' })).statusCode).toBe(404);
    expect((await t.request({ url: '/api/v1/payments/plans/abc/' })).statusCode).toBe(400);
  });
});

describe('plan reads', () => {
  it('pages with a cursor that moves on (newest first, no repeats)', async () => {
    for (let i = 0; i < 3; i++) await staff.req({ method: 'POST', url: '/api/v1/payments/plans/', body: plan() });
    const seen: number[] = [];
    let url: string | null = '/api/v1/payments/plans/?page_size=2';
    while (url) {
      const page: { next: string | null; results: { id: number }[] } = (await t.request({ url })).json();
      seen.push(...page.results.map((r) => r.id));
      url = page.next ? page.next.replace(/^https?:\/\/[^/]+/, '') : null;
    }
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    expect((await t.request({ url: '/api/v1/payments/plans/?cursor=garbage' })).statusCode).toBe(400);
  });
});

describe('with FEATURE_PAYMENTS=false', () => {
  it('lists no plans and refuses new subscriptions with the original 403', async () => {
    const off = await createTestApp(coinEnv({ FEATURE_PAYMENTS: 'false' }));
    try {
      const admin = await off.user();
      await off.ctx.services.users.update(admin.id, { isStaff: true });
      const p = (await admin.req({ method: 'POST', url: '/api/v1/payments/plans/', body: { name: 'Hidden', price_cents: 500 } })).json();
      expect((await off.request({ url: '/api/v1/payments/plans/' })).json()).toEqual({ next: null, previous: null, results: [] });
      const res = await admin.req({ method: 'POST', url: '/api/v1/payments/subscriptions/', body: { plan_id: p.id } });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ detail: 'Payments disabled' });
      expect((await admin.req({ url: '/api/v1/payments/subscriptions/' })).json().results).toEqual([]);
    } finally {
      await off.close();
    }
  });
});
