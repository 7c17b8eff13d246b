// Helpers for the coin and payments suites: env for a test app and funding through a real,
// signed iPay notification (so every minted cent has a verified payment behind it).
import { createHmac, randomUUID } from 'node:crypto';
import type { TestApp, TestUser } from '../support/app.js';

export const IPAY_SECRET = 'ipay-test-secret';

export const coinEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  IPAY_WEBHOOK_SECRET: IPAY_SECRET,
  COIN_THROTTLE_TRANSFER: '100000/min',
  COIN_THROTTLE_SPEND: '100000/min',
  PAID_REACTION_THROTTLE: '100000/min',
  IAP_THROTTLE_VERIFY: '100000/min',
  ...extra,
});

export const ipaySign = (body: string, secret = IPAY_SECRET) => createHmac('sha256', secret).update(body).digest('hex');

export async function ipayNotify(t: TestApp, payload: Record<string, unknown>, sig?: string) {
  const body = JSON.stringify(payload);
  return t.request({ method: 'POST', url: '/api/v1/payments/ipay/webhook/', payload: body, headers: { 'content-type': 'application/json', 'x-ipay-signature': sig ?? ipaySign(body) } });
}

/** Buys `cents` SLC for the user through an iPay checkout and its paid notification. */
export async function fund(t: TestApp, u: TestUser, cents: number): Promise<string> {
  const c = await u.req({ method: 'POST', url: '/api/v1/payments/ipay/checkout/', body: { amount_cents: cents, currency: 'USD' } });
  if (c.statusCode !== 201) throw new Error(`checkout ${c.statusCode} ${c.body}`);
  const ref = c.json().reference as string;
  const r = await ipayNotify(t, { event_id: randomUUID(), order_id: ref, status: 'paid', amount_cents: cents, currency: 'USD' });
  if (r.statusCode !== 200) throw new Error(`webhook ${r.statusCode} ${r.body}`);
  return ref;
}

export const balanceOf = async (u: TestUser) => (await u.req({ url: '/api/v1/coin/balance/' })).json().balance_cents as number;
