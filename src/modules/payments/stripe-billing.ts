// Stripe Billing through the official SDK: the customer of a user, a subscription-mode Checkout
// Session for a plan, reading and cancelling a subscription, and the reading of a Stripe
// subscription object into the local fields.
import type Stripe from 'stripe';
import type { SubscriptionStatus } from './schema.js';

/** Stripe status → local status (the original's mapping; anything unknown stays incomplete). */
export function mapStripeStatus(s: unknown): SubscriptionStatus {
  switch (s) {
    case 'active':
    case 'trialing':
      return 'active';
    case 'canceled':
    case 'incomplete_expired':
      return 'canceled';
    case 'past_due':
    case 'unpaid':
      return 'past_due';
    default:
      return 'incomplete';
  }
}

export interface StripeSubscriptionState {
  id: string;
  status: SubscriptionStatus;
  customerId: string | null;
  /** Our subscription row id, from the metadata set when the Checkout Session was created. */
  localId: number | null;
  periodStart: Date | null;
  periodEnd: Date | null;
}

const unix = (v: unknown) => (Number.isSafeInteger(v) && (v as number) > 0 ? new Date((v as number) * 1000) : null);

/**
 * The fields we keep from a Stripe subscription object (webhook payload or API answer). Periods sit on
 * the subscription in API versions before 2025-03-31 and on its items since; both are read. Null when
 * the object is not a subscription.
 */
export function readStripeSubscription(o: unknown): StripeSubscriptionState | null {
  if (!o || typeof o !== 'object') return null;
  const s = o as Record<string, unknown>;
  if (typeof s.id !== 'string' || !s.id || s.id.length > 96) return null;
  const items = (s.items as { data?: Record<string, unknown>[] } | undefined)?.data;
  const item = Array.isArray(items) && items[0] && typeof items[0] === 'object' ? items[0] : {};
  const meta = (s.metadata && typeof s.metadata === 'object' ? s.metadata : {}) as Record<string, unknown>;
  const local = typeof meta.subscription_id === 'string' && /^\d{1,15}$/.test(meta.subscription_id) ? Number(meta.subscription_id) : null;
  const customer = typeof s.customer === 'string' ? s.customer : s.customer && typeof s.customer === 'object' ? (s.customer as { id?: unknown }).id : null;
  return {
    id: s.id,
    status: mapStripeStatus(s.status),
    customerId: typeof customer === 'string' && customer.length <= 96 ? customer : null,
    localId: local,
    periodStart: unix(s.current_period_start) ?? unix(item.current_period_start),
    periodEnd: unix(s.current_period_end) ?? unix(item.current_period_end),
  };
}

/** The user's Stripe customer; the idempotency key makes concurrent first calls return one customer. */
export async function createCustomer(stripe: Stripe, user: { id: number; email: string }): Promise<string> {
  const c = await stripe.customers.create({ email: user.email, metadata: { user_id: String(user.id) } }, { idempotencyKey: `customer-user-${user.id}` });
  return c.id;
}

export async function createSubscriptionSession(
  stripe: Stripe,
  o: { customerId: string; priceId: string; userId: number; planId: number; subscriptionId: number; successUrl: string; cancelUrl: string },
): Promise<{ id: string; url: string | null }> {
  const metadata = { user_id: String(o.userId), plan_id: String(o.planId), subscription_id: String(o.subscriptionId) };
  const s = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: o.customerId,
    line_items: [{ price: o.priceId, quantity: 1 }],
    client_reference_id: String(o.subscriptionId),
    metadata,
    // On the subscription too, so its own events (customer.subscription.*) name our row.
    subscription_data: { metadata },
    success_url: o.successUrl,
    cancel_url: o.cancelUrl,
  });
  return { id: s.id, url: s.url ?? null };
}

export async function retrieveSubscription(stripe: Stripe, id: string): Promise<unknown> {
  return stripe.subscriptions.retrieve(id);
}

/** Cancels at once; a subscription Stripe already ended (404 / canceled) counts as cancelled. */
export async function cancelSubscription(stripe: Stripe, id: string): Promise<void> {
  try {
    await stripe.subscriptions.cancel(id);
  } catch (err) {
    const e = err as { statusCode?: number; code?: string };
    if (e.statusCode === 404 || e.code === 'resource_missing') return;
    throw err;
  }
}
