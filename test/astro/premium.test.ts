// Premium SoulMatch explanations follow the caller's credits entitlements (issue 11 §7), never the
// query parameter alone: the whole path is real (iPay-funded balance, purchase, recommendations).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { coinEnv, fund } from '../coin/helpers.js';

let t: TestApp;
let alice: TestUser;

const chart = (u: TestUser, date: string, city: string, country: string) =>
  u.req({ method: 'POST', url: '/api/v1/astro/natal/', body: { source: 'form', birth_date: date, birth_time: '12:00', city, country } });
const level = async (explain: string) => {
  const res = await alice.req({ url: `/api/v1/soulmatch/recommendations/?include_meta=1&explain=${explain}` });
  expect(res.statusCode).toBe(200);
  expect(res.json().results.length).toBeGreaterThan(0);
  return res.json().results[0].explanation_level as string;
};

beforeAll(async () => {
  t = await createTestApp(coinEnv());
  alice = await t.user({ name: 'Alice' });
  const bob = await t.user({ name: 'Bob' });
  expect((await chart(alice, '1992-09-08', 'Tbilisi', 'Georgia')).statusCode).toBe(201);
  expect((await chart(bob, '1990-07-20', 'Berlin', 'Germany')).statusCode).toBe(201);
});
afterAll(async () => t?.close());

describe('SoulMatch explanation tiers', () => {
  it('free without an entitlement, premium after buying premium, never premium_plus without it', async () => {
    expect(await level('premium')).toBe('free');
    expect(await level('premium_plus')).toBe('free');
    await fund(t, alice, 2500);
    const buy = await alice.req({ method: 'POST', url: '/api/v1/coin/purchase/', body: { product_code: 'premium_month', quantity: 1, idempotency_key: 'sm-premium' } });
    expect(buy.statusCode).toBe(200);
    expect(await level('premium')).toBe('premium');
    expect(await level('premium_plus')).toBe('premium');
    expect(await level('free')).toBe('free');
  });
});
