import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { balanceOf, coinEnv, fund, ipayNotify, ipaySign } from './helpers.js';
import { startFakeProviders, type FakeProviders } from './fake-providers.js';

const WHSEC = 'whsec_test_secret';
const BTC_SECRET = 'btcpay-secret';

let t: TestApp;
let alice: TestUser;
let fake: FakeProviders;
let base: string;
const stripe = new Stripe('sk_test_x');

beforeAll(async () => {
  fake = await startFakeProviders();
  base = fake.base;
  t = await createTestApp(
    coinEnv({
      STRIPE_API_KEY: 'sk_test_local',
      STRIPE_WEBHOOK_SECRET: WHSEC,
      STRIPE_API_BASE: base,
      COIN_FX_RATES: 'GEL=0.37',
      BTCPAY_BASE_URL: base,
      BTCPAY_STORE_ID: 'store1',
      BTCPAY_API_KEY: 'btc-key',
      BTCPAY_WEBHOOK_SECRET: BTC_SECRET,
    }),
  );
  alice = await t.user();
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

function stripeEvent(id: string, type: string, session: Record<string, unknown>) {
  return JSON.stringify({ id, object: 'event', type, data: { object: { object: 'checkout.session', mode: 'payment', ...session } } });
}
const stripeHook = (payload: string, header?: string) =>
  t.request({ method: 'POST', url: '/api/v1/payments/stripe/webhook/', payload, headers: { 'content-type': 'application/json', 'stripe-signature': header ?? stripe.webhooks.generateTestHeaderString({ payload, secret: WHSEC }) } });
const mintsFor = async (u: TestUser, ref: string) =>
  (await u.req({ url: '/api/v1/coin/ledger/?limit=200' })).json().results.filter((e: { event_type: string; event_metadata: { reference?: string } }) => e.event_type === 'mint' && e.event_metadata.reference === ref);

describe('Stripe', () => {
  it('creates exactly one Checkout Session and mints once whatever the number of events', async () => {
    const anon = await t.request({ method: 'POST', url: '/api/v1/payments/stripe/checkout/', body: { amount_cents: 1500, currency: 'USD' } });
    expect(anon.statusCode).toBe(401);
    const res = await alice.req({ method: 'POST', url: '/api/v1/payments/stripe/checkout/', body: { amount_cents: 1500, currency: 'usd' } });
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c).toMatchObject({ amount_cents: 1500, currency: 'USD', status: 'created', payment_url: 'https://checkout.stripe.test/pay/cs_test_1' });
    expect(fake.sessions).toHaveLength(1);
    expect(fake.sessions[0]).toMatchObject({ mode: 'payment', client_reference_id: c.reference, 'metadata[reference]': c.reference, 'line_items[0][price_data][unit_amount]': '1500' });

    const session = { id: 'cs_test_1', client_reference_id: c.reference, amount_total: 1500, currency: 'usd', payment_status: 'paid' };
    const ev = stripeEvent('evt_1', 'checkout.session.completed', session);
    expect((await stripeHook(ev)).statusCode).toBe(200);
    expect((await stripeHook(ev)).statusCode).toBe(200); // replay
    expect((await stripeHook(stripeEvent('evt_2', 'checkout.session.async_payment_succeeded', session))).statusCode).toBe(200); // another event id
    expect(await balanceOf(alice)).toBe(1500);
    expect(await mintsFor(alice, c.reference)).toHaveLength(1);
  });

  it('refuses bad signatures (400, nothing recorded), unknown references and mismatches', async () => {
    const before = await t.ctx.services.payments.countEvents('stripe');
    const c = (await alice.req({ method: 'POST', url: '/api/v1/payments/stripe/checkout/', body: { amount_cents: 700, currency: 'USD' } })).json();
    const ev = stripeEvent('evt_bad', 'checkout.session.completed', { client_reference_id: c.reference, amount_total: 700, currency: 'usd', payment_status: 'paid' });
    expect((await stripeHook(ev, 't=1,v1=deadbeef')).statusCode).toBe(400);
    const stale = stripe.webhooks.generateTestHeaderString({ payload: ev, secret: WHSEC, timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect((await stripeHook(ev, stale)).statusCode).toBe(400);
    expect((await t.request({ method: 'POST', url: '/api/v1/payments/stripe/webhook/', payload: ev, headers: { 'content-type': 'application/json' } })).statusCode).toBe(400);
    expect(await t.ctx.services.payments.countEvents('stripe')).toBe(before);
    // The event id was not marked as seen: the correctly signed delivery still mints.
    expect((await stripeHook(ev)).statusCode).toBe(200);
    expect(await mintsFor(alice, c.reference)).toHaveLength(1);

    const unknown = await stripeHook(stripeEvent('evt_u', 'checkout.session.completed', { client_reference_id: 'f'.repeat(32), amount_total: 700, currency: 'usd', payment_status: 'paid' }));
    expect(unknown.statusCode).toBe(400);
    const c2 = (await alice.req({ method: 'POST', url: '/api/v1/payments/stripe/checkout/', body: { amount_cents: 900, currency: 'USD' } })).json();
    const mism = await stripeHook(stripeEvent('evt_m', 'checkout.session.completed', { client_reference_id: c2.reference, amount_total: 90000, currency: 'usd', payment_status: 'paid', metadata: { user_id: '1' } }));
    expect(mism.statusCode).toBe(400);
    expect(await mintsFor(alice, c2.reference)).toHaveLength(0);
    expect((await stripeHook('{not json', stripe.webhooks.generateTestHeaderString({ payload: '{not json', secret: WHSEC }))).statusCode).toBe(400);
  });

  it('leaves an unpaid completion pending and mints on async_payment_succeeded', async () => {
    const c = (await alice.req({ method: 'POST', url: '/api/v1/payments/stripe/checkout/', body: { amount_cents: 300, currency: 'USD' } })).json();
    const s = { client_reference_id: c.reference, amount_total: 300, currency: 'usd' };
    expect((await stripeHook(stripeEvent('evt_a1', 'checkout.session.completed', { ...s, payment_status: 'unpaid' }))).statusCode).toBe(200);
    expect(await mintsFor(alice, c.reference)).toHaveLength(0);
    expect((await stripeHook(stripeEvent('evt_a2', 'checkout.session.async_payment_succeeded', { ...s, payment_status: 'paid' }))).statusCode).toBe(200);
    expect(await mintsFor(alice, c.reference)).toHaveLength(1);
  });

  it('converts currencies with COIN_FX_RATES (half-even) and refuses a currency without a rate before calling Stripe', async () => {
    const c = (await alice.req({ method: 'POST', url: '/api/v1/payments/stripe/checkout/', body: { amount_cents: 250, currency: 'GEL' } })).json();
    const before = await balanceOf(alice);
    await stripeHook(stripeEvent('evt_gel', 'checkout.session.completed', { client_reference_id: c.reference, amount_total: 250, currency: 'gel', payment_status: 'paid' }));
    expect(await balanceOf(alice)).toBe(before + 92);
    const n = fake.sessions.length;
    const eur = await alice.req({ method: 'POST', url: '/api/v1/payments/stripe/checkout/', body: { amount_cents: 500, currency: 'EUR' } });
    expect(eur.statusCode).toBe(400);
    expect(eur.json().currency).toBeDefined();
    expect((await alice.req({ method: 'POST', url: '/api/v1/payments/stripe/checkout/', body: { amount_cents: 49, currency: 'USD' } })).statusCode).toBe(400);
    expect((await alice.req({ method: 'POST', url: '/api/v1/payments/stripe/checkout/', body: { amount_cents: 500, currency: 'XYZ' } })).statusCode).toBe(400);
    expect(fake.sessions.length).toBe(n);
  });
});

describe('iPay', () => {
  it('needs a valid HMAC, mints once per order whatever the event id, refuses mismatches', async () => {
    const c = (await alice.req({ method: 'POST', url: '/api/v1/payments/ipay/checkout/', body: { amount_cents: 1500, currency: 'USD' } })).json();
    const p = { event_id: 'e1', order_id: c.reference, status: 'paid', amount_cents: 1500, currency: 'USD' };
    expect((await ipayNotify(t, p, 'bad')).statusCode).toBe(401);
    expect((await ipayNotify(t, p, ipaySign(JSON.stringify(p), 'other'))).statusCode).toBe(401);
    expect((await ipayNotify(t, { ...p, amount_cents: 1600 })).statusCode).toBe(400);
    for (const id of ['e1', 'e1', 'e2']) expect((await ipayNotify(t, { ...p, event_id: id })).statusCode).toBe(200);
    expect(await mintsFor(alice, c.reference)).toHaveLength(1);
    const pending = (await alice.req({ method: 'POST', url: '/api/v1/payments/ipay/checkout/', body: { amount_cents: 800, currency: 'USD' } })).json();
    expect((await ipayNotify(t, { ...p, event_id: 'e3', order_id: pending.reference, amount_cents: 800, status: 'pending' })).statusCode).toBe(200);
    expect(await mintsFor(alice, pending.reference)).toHaveLength(0);
    const raw = '[1,2';
    expect((await t.request({ method: 'POST', url: '/api/v1/payments/ipay/webhook/', payload: raw, headers: { 'content-type': 'application/json', 'x-ipay-signature': ipaySign(raw) } })).statusCode).toBe(400);
  });
});

describe('BTCPay', () => {
  const hook = (payload: Record<string, unknown>, sig?: string) => {
    const body = JSON.stringify(payload);
    return t.request({ method: 'POST', url: '/api/v1/payments/btcpay/webhook/', payload: body, headers: { 'content-type': 'application/json', 'btcpay-sig': sig ?? `sha256=${createHmac('sha256', BTC_SECRET).update(body).digest('hex')}` } });
  };

  it('creates a Greenfield invoice and mints once when it is settled', async () => {
    const res = await alice.req({ method: 'POST', url: '/api/v1/payments/btcpay/checkout/', body: { amount_cents: 1500, currency: 'USD' } });
    expect(res.statusCode).toBe(201);
    const c = res.json();
    const inv = [...fake.invoices.values()].at(-1)!;
    expect(inv).toMatchObject({ amount: '15.00', currency: 'USD', metadata: { reference: c.reference } });
    expect(c.payment_url).toBe(inv.checkoutLink);
    expect(fake.btcAuth.at(-1)).toBe('token btc-key');
    const payload = { deliveryId: randomUUID(), webhookId: 'w1', originalDeliveryId: 'x', isRedelivery: false, type: 'InvoiceSettled', timestamp: 1, storeId: 'store1', invoiceId: inv.id, metadata: { reference: c.reference } };
    expect((await hook(payload, 'sha256=00')).statusCode).toBe(401);
    expect((await hook(payload)).statusCode).toBe(200); // still New: no mint
    expect(await mintsFor(alice, c.reference)).toHaveLength(0);
    inv.status = 'Settled';
    expect((await hook(payload)).statusCode).toBe(200);
    expect((await hook({ ...payload, deliveryId: randomUUID(), isRedelivery: true })).statusCode).toBe(200);
    expect(await mintsFor(alice, c.reference)).toHaveLength(1);
    inv.amount = '16.00';
    expect((await hook(payload)).statusCode).toBe(400); // amount mismatch with the checkout
    expect(await mintsFor(alice, c.reference)).toHaveLength(1);
  });

  it('refuses GEL at checkout and unknown invoices', async () => {
    expect((await alice.req({ method: 'POST', url: '/api/v1/payments/btcpay/checkout/', body: { amount_cents: 1500, currency: 'GEL' } })).statusCode).toBe(400);
    expect((await hook({ type: 'InvoiceSettled', invoiceId: 'inv_missing' })).statusCode).toBe(502);
    expect((await hook({ type: 'InvoiceSettled' })).statusCode).toBe(400);
  });
});

describe('IAP', () => {
  it('is off by default', async () => {
    const res = await alice.req({ method: 'POST', url: '/api/v1/payments/iap/verify/', body: { platform: 'ios', product_id: 'com.selflink.slc.499', transaction_id: '1', receipt: 'x' } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ detail: 'IAP disabled' });
  });
});

describe('funding helper', () => {
  it('funds through iPay', async () => {
    const u = await t.user();
    await fund(t, u, 123);
    expect(await balanceOf(u)).toBe(123);
  });
});
