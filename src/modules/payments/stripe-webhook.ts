// POST payments/stripe/webhook/: signature checked by the Stripe SDK over the raw bytes; top-up
// checkouts mint through the common pipeline, subscription events update the local subscription
// once per event id (redeliveries and concurrent duplicates change nothing).
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { PaymentErrors as E } from './errors.js';
import { received } from './http.js';
import { sha256Hex, stripeClient } from './providers.js';
import { readStripeSubscription, retrieveSubscription, type StripeSubscriptionState } from './stripe-billing.js';

interface StripeEvent {
  id: string;
  type: string;
  created?: number;
  data: { object: Record<string, unknown> };
}

const TOP_UP = ['checkout.session.completed', 'checkout.session.async_payment_succeeded', 'checkout.session.async_payment_failed'];
const SUBSCRIPTION = ['customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted'];

export function stripeWebhook(hooks: App, ctx: Ctx, opts: { raw: (req: FastifyRequest) => Buffer; config: Record<string, unknown> }) {
  const payments = ctx.services.payments;
  const subs = payments.subscriptions;
  const money = ctx.config.money;

  async function topUp(event: StripeEvent, s: Record<string, unknown>, body: Buffer) {
    const meta = (s.metadata && typeof s.metadata === 'object' ? s.metadata : {}) as Record<string, unknown>;
    const ref = [s.client_reference_id, meta.reference, meta.payment_reference].find((v) => typeof v === 'string' && v);
    if (typeof ref !== 'string') throw E.missingReference();
    const c = await payments.checkoutByReference('stripe', ref);
    if (!c) throw E.unknownReference();
    const amount = s.amount_total ?? s.amount_received;
    if (amount === undefined || amount === null) throw E.invalidAmount('Stripe amount is required for coin minting.');
    if (!Number.isSafeInteger(amount) || (amount as number) <= 0) throw E.invalidAmount('Stripe amount is invalid.');
    const currency = (typeof s.currency === 'string' && s.currency ? s.currency : 'usd').toUpperCase();
    const status = event.type === 'checkout.session.async_payment_failed' ? 'failed' : s.payment_status === 'paid' ? 'paid' : 'pending';
    await payments.settleCheckout(c.id, { provider: 'stripe', providerEventId: event.id, eventType: event.type, amountCents: amount as number, currency, status, rawBodyHash: sha256Hex(body), source: 'stripe_webhook' });
  }

  /** A completed subscription checkout: the subscription's current state is read from Stripe. */
  async function subscriptionCheckout(event: StripeEvent, s: Record<string, unknown>): Promise<StripeSubscriptionState | null> {
    const ref = s.subscription;
    const id = typeof ref === 'string' ? ref : ref && typeof ref === 'object' ? (ref as { id?: unknown }).id : null;
    if (typeof id !== 'string' || !id) return null;
    if (await subs.webhookSeen('stripe', event.id)) return null;
    if (!money.stripe.apiKey) throw E.unavailable('Stripe is not configured.');
    let state: StripeSubscriptionState | null;
    try {
      state = readStripeSubscription(await retrieveSubscription(await stripeClient(money), id));
    } catch (err) {
      ctx.log.warn({ err: (err as Error).message, event: event.id }, 'stripe subscription read failed');
      throw E.providerError();
    }
    if (!state) throw E.providerError();
    if (state.localId === null) {
      const meta = (s.metadata && typeof s.metadata === 'object' ? s.metadata : {}) as Record<string, unknown>;
      const local = [meta.subscription_id, s.client_reference_id].find((v) => typeof v === 'string' && /^\d{1,15}$/.test(v));
      if (typeof local === 'string') state.localId = Number(local);
    }
    return state;
  }

  hooks.post('/payments/stripe/webhook', opts.config, async (req) => {
    if (!payments.providerEnabled('stripe')) throw E.providerDisabled();
    if (!money.stripe.webhookSecret) throw E.unavailable('Stripe webhook is not configured.');
    const sig = req.headers['stripe-signature'];
    if (typeof sig !== 'string' || !sig) throw E.missingSignature();
    const body = opts.raw(req);
    const stripe = await stripeClient(money);
    let event: StripeEvent;
    try {
      event = stripe.webhooks.constructEvent(body, sig, money.stripe.webhookSecret) as unknown as StripeEvent;
    } catch {
      throw E.badStripeSignature();
    }
    if (typeof event.id !== 'string' || !event.id || event.id.length > 128) throw E.invalidPayload('Missing event id.');
    const obj = event.data?.object ?? {};
    const created = Number.isSafeInteger(event.created) && event.created! > 0 ? new Date(event.created! * 1000) : null;
    let state: StripeSubscriptionState | null = null;
    if (TOP_UP.includes(event.type)) {
      if (obj.mode !== 'subscription') {
        await topUp(event, obj, body);
        return received;
      }
      if (event.type !== 'checkout.session.completed') return received;
      state = await subscriptionCheckout(event, obj);
    } else if (SUBSCRIPTION.includes(event.type)) {
      state = readStripeSubscription(obj);
      if (!state) throw E.invalidPayload('Invalid subscription object.');
    }
    if (state) {
      const outcome = await subs.applyStripe({ id: event.id, type: event.type, created }, state);
      req.log.info({ event: event.id, type: event.type, outcome }, 'stripe subscription event');
    }
    return received;
  });
}
