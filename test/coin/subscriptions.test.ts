// Stripe subscriptions against a local HTTP server speaking Stripe's API: checkout in subscription
// mode, signed customer.subscription.* events applied once per event id (also under concurrent
// duplicate delivery), stale events ignored, cancel-and-delete, and the read-only PUT/PATCH.
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { outbox } from '../../src/platform/outbox/schema.js';
import { webhookEvents } from '../../src/modules/payments/schema.js';
import { coinEnv } from './helpers.js';
import { startFakeProviders, type FakeProviders } from './fake-providers.js';

const WHSEC = 'whsec_subs_secret';
const stripe = new Stripe('sk_test_x');

let t: TestApp;
let fake: FakeProviders;
let staff: TestUser;
let alice: TestUser;
let bob: TestUser;
let premium: { id: number };
let free: { id: number };

beforeAll(async () => {
  fake = await startFakeProviders();
  t = await createTestApp(
    coinEnv({
      STRIPE_API_KEY: 'sk_test_local',
      STRIPE_WEBHOOK_SECRET: WHSEC,
      STRIPE_API_BASE: fake.base,
      PAYMENTS_CHECKOUT_SUCCESS_URL: 'https://app.test/subscribed',
      PAYMENTS_CHECKOUT_CANCEL_URL: 'https://app.test/not-subscribed',
    }),
  );
  staff = await t.user();
  await t.ctx.services.users.update(staff.id, { isStaff: true });
  alice = await t.user();
  bob = await t.user();
  premium = (await staff.req({ method: 'POST', url: '/api/v1/payments/plans/', body: { name: 'Premium', price_cents: 900, external_price_id: 'price_premium' } })).json();
  free = (await staff.req({ method: 'POST', url: '/api/v1/payments/plans/', body: { name: 'Community', price_cents: 1 } })).json();
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

const hook = (event: Record<string, unknown>, header?: string) => {
  const payload = JSON.stringify(event);
  return t.request({ method: 'POST', url: '/api/v1/payments/stripe/webhook/', payload, headers: { 'content-type': 'application/json', 'stripe-signature': header ?? stripe.webhooks.generateTestHeaderString({ payload, secret: WHSEC }) } });
};
let clock = Math.floor(Date.now() / 1000);
/** A Stripe subscription object as the current API sends it (periods on the items). */
const stripeSub = (id: string, status: string, localId: number | null, start = 1_780_000_000) => ({
  id,
  object: 'subscription',
  status,
  customer: 'cus_test_1',
  metadata: localId === null ? {} : { subscription_id: String(localId) },
  items: { object: 'list', data: [{ id: `si_${id}`, current_period_start: start, current_period_end: start + 30 * 86400 }] },
});
const subEvent = (id: string, type: string, obj: Record<string, unknown>, created = ++clock) => ({ id, object: 'event', type, created, data: { object: obj } });
const changes = async (subscriptionId: number) =>
  (await t.ctx.db.select({ id: outbox.id, payload: outbox.payload }).from(outbox).where(and(eq(outbox.name, 'subscription.changed'), sql`(${outbox.payload}->>'subscriptionId')::bigint = ${subscriptionId}`)).orderBy(outbox.id)).map(
    (r) => r.payload as { status: string; previousStatus: string; cause: string },
  );
const mine = async (u: TestUser) => (await u.req({ url: '/api/v1/payments/subscriptions/?page_size=5' })).json().results as { id: number; status: string; plan: { id: number }; current_period_end: string | null }[];

describe('starting a subscription', () => {
  it('creates one Stripe customer and a subscription-mode Checkout Session naming our row', async () => {
    expect((await t.request({ method: 'POST', url: '/api/v1/payments/subscriptions/', body: { plan_id: premium.id } })).statusCode).toBe(401);
    const res = await alice.req({ method: 'POST', url: '/api/v1/payments/subscriptions/', body: { plan_id: premium.id } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      subscription: { id: expect.any(Number), plan: { id: premium.id, name: 'Premium', price_cents: 900, interval: 'month', is_active: true }, status: 'incomplete', current_period_start: null, current_period_end: null },
      checkout_url: expect.stringMatching(/^https:\/\/checkout\.stripe\.test\/pay\/cs_test_/),
      session_id: expect.stringMatching(/^cs_test_/),
    });
    expect(fake.customers).toHaveLength(1);
    expect(fake.customers[0].form).toMatchObject({ email: alice.email, 'metadata[user_id]': String(alice.id) });
    const sid = String(body.subscription.id);
    expect(fake.sessions.at(-1)).toMatchObject({
      mode: 'subscription',
      customer: fake.customers[0].id,
      'line_items[0][price]': 'price_premium',
      'line_items[0][quantity]': '1',
      'metadata[subscription_id]': sid,
      'subscription_data[metadata][subscription_id]': sid,
      // PAYMENTS_CHECKOUT_* are read (the original never did and always sent localhost).
      success_url: 'https://app.test/subscribed',
      cancel_url: 'https://app.test/not-subscribed',
    });
    // Again, with the caller's URLs: the same row and the same customer.
    const again = (await alice.req({ method: 'POST', url: '/api/v1/payments/subscriptions/', body: { plan_id: String(premium.id), success_url: 'https://x.test/ok', cancel_url: 'http://x.test/no' } })).json();
    expect(again.subscription.id).toBe(body.subscription.id);
    expect(fake.customers).toHaveLength(1);
    expect(fake.sessions.at(-1)).toMatchObject({ success_url: 'https://x.test/ok', cancel_url: 'http://x.test/no' });
  });

  it('answers null checkout fields for a plan without a Stripe price', async () => {
    const res = await bob.req({ method: 'POST', url: '/api/v1/payments/subscriptions/', body: { plan_id: free.id } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ subscription: { status: 'incomplete', plan: { id: free.id } }, checkout_url: null, session_id: null });
  });

  it('refuses unknown or inactive plans and malformed bodies with 400, before any Stripe call', async () => {
    const sessions = fake.sessions.length;
    const gone = (await staff.req({ method: 'POST', url: '/api/v1/payments/plans/', body: { name: 'Old', price_cents: 100, external_price_id: 'price_old' } })).json();
    await staff.req({ method: 'DELETE', url: `/api/v1/payments/plans/${gone.id}/` });
    for (const planId of [gone.id, 999_999]) {
      const res = await alice.req({ method: 'POST', url: '/api/v1/payments/subscriptions/', body: { plan_id: planId } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ plan_id: ['Plan not available'] });
    }
    for (const body of [{}, { plan_id: 'x' }, { plan_id: 0 }, { plan_id: premium.id, success_url: 'javascript:alert(1)' }, { plan_id: premium.id, extra: 1 }]) {
      expect((await alice.req({ method: 'POST', url: '/api/v1/payments/subscriptions/', body })).statusCode, JSON.stringify(body)).toBe(400);
    }
    expect(fake.sessions.length).toBe(sessions);
  });
});

describe('Stripe subscription events', () => {
  it('apply once per event id, ignore older events and emit one domain event per change', async () => {
    const [row] = (await mine(alice)).filter((s) => s.plan.id === premium.id);
    const created = subEvent('evt_sub_1', 'customer.subscription.created', stripeSub('sub_alice', 'active', row.id));
    expect((await hook(created)).statusCode).toBe(200);
    expect((await hook(created)).statusCode).toBe(200); // redelivery
    let [now] = (await mine(alice)).filter((s) => s.id === row.id);
    expect(now.status).toBe('active');
    expect(now.current_period_end).toBe(new Date((1_780_000_000 + 30 * 86400) * 1000).toISOString());
    expect((await changes(row.id)).map((c) => [c.previousStatus, c.status, c.cause])).toEqual([['incomplete', 'active', 'customer.subscription.created']]);

    // Stripe does not deliver in order: an event created before the last applied one changes nothing.
    expect((await hook(subEvent('evt_sub_old', 'customer.subscription.updated', stripeSub('sub_alice', 'past_due', row.id), clock - 100))).statusCode).toBe(200);
    [now] = (await mine(alice)).filter((s) => s.id === row.id);
    expect(now.status).toBe('active');

    // A running subscription cannot be bought twice.
    const twice = await alice.req({ method: 'POST', url: '/api/v1/payments/subscriptions/', body: { plan_id: premium.id } });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().code).toBe('already_subscribed');

    // Found by the Stripe id when the metadata is missing.
    expect((await hook(subEvent('evt_sub_2', 'customer.subscription.updated', stripeSub('sub_alice', 'unpaid', null)))).statusCode).toBe(200);
    expect((await mine(alice)).find((s) => s.id === row.id)!.status).toBe('past_due');
    expect((await hook(subEvent('evt_sub_3', 'customer.subscription.deleted', stripeSub('sub_alice', 'canceled', row.id)))).statusCode).toBe(200);
    expect((await mine(alice)).find((s) => s.id === row.id)!.status).toBe('canceled');
    expect((await changes(row.id)).map((c) => c.status)).toEqual(['active', 'past_due', 'canceled']);
  });

  it('reads the subscription from Stripe on checkout.session.completed', async () => {
    const carol = await t.user();
    const start = (await carol.req({ method: 'POST', url: '/api/v1/payments/subscriptions/', body: { plan_id: premium.id } })).json();
    fake.subscriptions.set('sub_carol', stripeSub('sub_carol', 'trialing', null));
    const session = { id: start.session_id, object: 'checkout.session', mode: 'subscription', subscription: 'sub_carol', client_reference_id: String(start.subscription.id), metadata: { subscription_id: String(start.subscription.id) } };
    expect((await hook(subEvent('evt_cs_1', 'checkout.session.completed', session))).statusCode).toBe(200);
    expect((await mine(carol))[0].status).toBe('active');
    // Stripe unreachable for another one: 502, not recorded, so Stripe's retry applies it.
    const dan = await t.user();
    const d = (await dan.req({ method: 'POST', url: '/api/v1/payments/subscriptions/', body: { plan_id: premium.id } })).json();
    const ev = subEvent('evt_cs_2', 'checkout.session.completed', { ...session, subscription: 'sub_dan', metadata: { subscription_id: String(d.subscription.id) } });
    expect((await hook(ev)).statusCode).toBe(502);
    fake.subscriptions.set('sub_dan', stripeSub('sub_dan', 'active', d.subscription.id));
    expect((await hook(ev)).statusCode).toBe(200);
    expect((await mine(dan))[0].status).toBe('active');
  });

  it('refuses bad signatures and malformed objects without recording the event id', async () => {
    const [row] = await mine(bob);
    const ev = subEvent('evt_sig', 'customer.subscription.updated', stripeSub('sub_bob', 'active', row.id));
    expect((await hook(ev, 't=1,v1=deadbeef')).statusCode).toBe(400);
    const stale = stripe.webhooks.generateTestHeaderString({ payload: JSON.stringify(ev), secret: WHSEC, timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect((await hook(ev, stale)).statusCode).toBe(400);
    expect((await mine(bob))[0].status).toBe('incomplete');
    expect((await hook(ev)).statusCode).toBe(200);
    expect((await mine(bob))[0].status).toBe('active');
    expect((await hook(subEvent('evt_bad_obj', 'customer.subscription.updated', { object: 'subscription' }))).statusCode).toBe(400);
    // A subscription we do not know: acknowledged, nothing changes.
    expect((await hook(subEvent('evt_unknown', 'customer.subscription.updated', stripeSub('sub_nobody', 'active', null)))).statusCode).toBe(200);
  });

  it('applies one event once under concurrent duplicate delivery', async () => {
    const erin = await t.user();
    const start = (await erin.req({ method: 'POST', url: '/api/v1/payments/subscriptions/', body: { plan_id: premium.id } })).json();
    const id = start.subscription.id as number;
    const ev = subEvent('evt_concurrent', 'customer.subscription.created', stripeSub('sub_erin', 'active', id));
    const answers = await Promise.all(Array.from({ length: 12 }, () => hook(ev)));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(12).fill(200));
    expect((await changes(id)).filter((c) => c.cause === 'customer.subscription.created')).toHaveLength(1);
    expect(await t.ctx.db.select().from(webhookEvents).where(eq(webhookEvents.eventId, 'evt_concurrent'))).toHaveLength(1);
    // Two different events of the same second racing for one row: both applied, one after the other
    // (with different seconds, the older one arriving second is stale, rightly: that is another test).
    const second = ++clock;
    const both = await Promise.all([
      hook(subEvent('evt_race_a', 'customer.subscription.updated', stripeSub('sub_erin', 'past_due', id), second)),
      hook(subEvent('evt_race_b', 'customer.subscription.updated', stripeSub('sub_erin', 'past_due', id), second)),
    ]);
    expect(both.map((r) => r.statusCode)).toEqual([200, 200]);
    expect((await changes(id)).filter((c) => c.cause === 'customer.subscription.updated')).toHaveLength(2);
  });
});

describe('own subscriptions', () => {
  it('are private, read-only through PUT/PATCH, and DELETE cancels at Stripe first', async () => {
    const frank = await t.user();
    const s = (await frank.req({ method: 'POST', url: '/api/v1/payments/subscriptions/', body: { plan_id: premium.id } })).json().subscription;
    fake.subscriptions.set('sub_frank', stripeSub('sub_frank', 'active', s.id));
    await hook(subEvent('evt_frank', 'customer.subscription.created', stripeSub('sub_frank', 'active', s.id)));
    expect((await alice.req({ url: `/api/v1/payments/subscriptions/${s.id}/` })).statusCode).toBe(404);
    expect((await alice.req({ method: 'DELETE', url: `/api/v1/payments/subscriptions/${s.id}/` })).statusCode).toBe(404);
    const patched = await frank.req({ method: 'PATCH', url: `/api/v1/payments/subscriptions/${s.id}/`, body: { status: 'canceled', plan: free.id } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ id: s.id, status: 'active', plan: { id: premium.id } });
    expect((await frank.req({ method: 'PUT', url: `/api/v1/payments/subscriptions/${s.id}/`, body: {} })).json().status).toBe('active');

    fake.failCancel.add('sub_frank');
    const failed = await frank.req({ method: 'DELETE', url: `/api/v1/payments/subscriptions/${s.id}/` });
    expect(failed.statusCode).toBe(502);
    expect((await frank.req({ url: `/api/v1/payments/subscriptions/${s.id}/` })).statusCode).toBe(200);
    fake.failCancel.delete('sub_frank');
    expect((await frank.req({ method: 'DELETE', url: `/api/v1/payments/subscriptions/${s.id}/` })).statusCode).toBe(204);
    expect(fake.cancelled).toContain('sub_frank');
    expect((await frank.req({ url: `/api/v1/payments/subscriptions/${s.id}/` })).statusCode).toBe(404);
    expect(await mine(frank)).toEqual([]);
    const deleted = await t.ctx.db.select().from(outbox).where(and(eq(outbox.name, 'subscription.deleted'), sql`(${outbox.payload}->>'subscriptionId')::bigint = ${s.id}`));
    expect(deleted).toHaveLength(1);
    // Its later Stripe event finds no row and changes nothing.
    expect((await hook(subEvent('evt_frank_gone', 'customer.subscription.deleted', stripeSub('sub_frank', 'canceled', s.id)))).statusCode).toBe(200);
  });

  it('lists only the caller\'s rows, newest first, with cursors', async () => {
    const list = await alice.req({ url: '/api/v1/payments/subscriptions/?page_size=1' });
    expect(list.json()).toMatchObject({ previous: null, results: [{ plan: { id: premium.id } }] });
    expect((await t.request({ url: '/api/v1/payments/subscriptions/' })).statusCode).toBe(401);
    expect((await alice.req({ url: '/api/v1/payments/subscriptions/?cursor=nope' })).statusCode).toBe(400);
  });
});
