// Plans and subscriptions: the catalogue (staff writes), the caller's subscriptions, starting a
// Stripe subscription checkout, and applying Stripe subscription events exactly once. Every state
// change is written in one transaction with its domain event (outbox).
import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { pgErrorCode, type Tx } from '../../platform/db/index.js';
import { ApiError } from '../../platform/http/errors.js';
import { olderThan, type Keyset } from '../../platform/http/pagination.js';
import { PaymentErrors as E } from './errors.js';
import { stripeClient } from './providers.js';
import { plans, subscriptions, wallets, webhookEvents, type PlanRow, type Provider, type SubscriptionRow, type SubscriptionStatus } from './schema.js';
import { cancelSubscription, createCustomer, createSubscriptionSession, type StripeSubscriptionState } from './stripe-billing.js';

export const SUBSCRIPTION_EVENTS = { changed: 'subscription.changed', deleted: 'subscription.deleted' } as const;

export interface SubscriptionChangedEvent {
  subscriptionId: number;
  userId: number;
  planId: number;
  status: SubscriptionStatus;
  previousStatus: SubscriptionStatus | null;
  currentPeriodEnd: string | null;
  /** What changed it: `checkout` (a new checkout started) or the provider event type. */
  cause: string;
}

export interface PlanInput {
  name: string;
  priceCents: number;
  interval: string;
  features: unknown;
  isActive: boolean;
  externalPriceId: string | null;
}

export const presentPlan = (p: PlanRow) => ({ id: p.id, name: p.name, price_cents: p.priceCents, interval: p.interval, features: p.features, is_active: p.isActive });

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function createSubscriptions(ctx: Ctx) {
  const db = () => ctx.db;
  const money = ctx.config.money;

  // ---- plans ----

  async function listPlans(before: Keyset | null, limit: number) {
    return db()
      .select()
      .from(plans)
      .where(and(eq(plans.isActive, true), olderThan(plans.createdAt, plans.id, before)))
      .orderBy(desc(plans.createdAt), desc(plans.id))
      .limit(limit + 1);
  }

  async function getPlan(id: number, opts: { activeOnly: boolean }): Promise<PlanRow | null> {
    const [p] = await db()
      .select()
      .from(plans)
      .where(and(eq(plans.id, id), opts.activeOnly ? eq(plans.isActive, true) : undefined))
      .limit(1);
    return p ?? null;
  }

  const nameTaken = (err: unknown) => {
    if (pgErrorCode(err) === '23505') return new ApiError(400, { name: ['plan with this name already exists.'] });
    return err;
  };

  async function createPlan(v: PlanInput): Promise<PlanRow> {
    try {
      const [row] = await db().insert(plans).values(v).returning();
      return row;
    } catch (err) {
      throw nameTaken(err);
    }
  }

  async function updatePlan(id: number, patch: Partial<PlanInput>): Promise<PlanRow | null> {
    try {
      const [row] = await db().update(plans).set({ ...patch, updatedAt: new Date() }).where(eq(plans.id, id)).returning();
      return row ?? null;
    } catch (err) {
      throw nameTaken(err);
    }
  }

  // ---- subscriptions (reads) ----

  /** Wire objects for a page of subscriptions: one query for all their plans. */
  async function present(rows: SubscriptionRow[]) {
    const ids = [...new Set(rows.map((r) => r.planId))];
    const byId = new Map((ids.length ? await db().select().from(plans).where(inArray(plans.id, ids)) : []).map((p) => [p.id, p]));
    return rows.map((s) => ({
      id: s.id,
      plan: presentPlan(byId.get(s.planId)!),
      status: s.status,
      current_period_start: iso(s.currentPeriodStart),
      current_period_end: iso(s.currentPeriodEnd),
      created_at: s.createdAt.toISOString(),
      updated_at: s.updatedAt.toISOString(),
    }));
  }

  async function listOwn(userId: number, before: Keyset | null, limit: number) {
    return db()
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.userId, userId), olderThan(subscriptions.createdAt, subscriptions.id, before)))
      .orderBy(desc(subscriptions.createdAt), desc(subscriptions.id))
      .limit(limit + 1);
  }

  async function getOwn(userId: number, id: number): Promise<SubscriptionRow | null> {
    const [s] = await db().select().from(subscriptions).where(and(eq(subscriptions.id, id), eq(subscriptions.userId, userId))).limit(1);
    return s ?? null;
  }

  // ---- starting a subscription ----

  async function emitChanged(tx: Tx, s: SubscriptionRow, previous: SubscriptionStatus | null, cause: string) {
    await ctx.events.emit<SubscriptionChangedEvent>(
      SUBSCRIPTION_EVENTS.changed,
      { subscriptionId: s.id, userId: s.userId, planId: s.planId, status: s.status, previousStatus: previous, currentPeriodEnd: iso(s.currentPeriodEnd), cause },
      tx,
    );
  }

  /** The user's Stripe customer id, created once and kept on the legacy wallet (as the original). */
  async function ensureCustomer(userId: number): Promise<string> {
    await db().insert(wallets).values({ userId }).onConflictDoNothing();
    const [w] = await db().select().from(wallets).where(eq(wallets.userId, userId));
    if (w.externalCustomerId) return w.externalCustomerId;
    const user = await ctx.services.users.getById(userId);
    if (!user) throw E.subscriptionNotFound();
    const id = await createCustomer(await stripeClient(money), { id: userId, email: user.email });
    await db().update(wallets).set({ externalCustomerId: id, updatedAt: new Date() }).where(and(eq(wallets.userId, userId), isNull(wallets.externalCustomerId)));
    return id;
  }

  /**
   * Gets or creates the user's row for the plan and marks it `incomplete` until Stripe reports the
   * subscription. A subscription that is already running is refused (the original reset it and let
   * a second checkout bill the user twice).
   */
  async function prepare(userId: number, planId: number): Promise<SubscriptionRow> {
    return db().transaction(async (tx) => {
      await tx.insert(subscriptions).values({ userId, planId }).onConflictDoNothing();
      const [s] = await tx.select().from(subscriptions).where(and(eq(subscriptions.userId, userId), eq(subscriptions.planId, planId))).for('update');
      if (s.externalSubscriptionId && (s.status === 'active' || s.status === 'past_due')) throw E.alreadySubscribed();
      if (s.status === 'incomplete') return s;
      const [next] = await tx.update(subscriptions).set({ status: 'incomplete', updatedAt: new Date() }).where(eq(subscriptions.id, s.id)).returning();
      await emitChanged(tx, next, s.status, 'checkout');
      return next;
    });
  }

  async function start(userId: number, plan: PlanRow, urls: { successUrl?: string; cancelUrl?: string }) {
    if (plan.externalPriceId && !money.stripe.apiKey) throw E.unavailable('Stripe is not configured.');
    const sub = await prepare(userId, plan.id);
    if (!plan.externalPriceId) return { subscription: (await present([sub]))[0], checkout_url: null, session_id: null };
    let session: { id: string; url: string | null };
    try {
      const customerId = await ensureCustomer(userId);
      session = await createSubscriptionSession(await stripeClient(money), {
        customerId,
        priceId: plan.externalPriceId,
        userId,
        planId: plan.id,
        subscriptionId: sub.id,
        successUrl: urls.successUrl ?? money.subscriptions.successUrl,
        cancelUrl: urls.cancelUrl ?? money.subscriptions.cancelUrl,
      });
    } catch (err) {
      if (err instanceof ApiError) throw err;
      ctx.log.warn({ err: (err as Error).message, subscriptionId: sub.id }, 'stripe subscription checkout failed');
      throw E.providerError();
    }
    return { subscription: (await present([sub]))[0], checkout_url: session.url, session_id: session.id };
  }

  /** Cancels the Stripe subscription first (the original deleted the row and billing went on), then deletes. */
  async function remove(userId: number, id: number): Promise<boolean> {
    const s = await getOwn(userId, id);
    if (!s) return false;
    if (s.externalSubscriptionId && s.status !== 'canceled') {
      if (!money.stripe.apiKey) throw E.unavailable('Stripe is not configured.');
      try {
        await cancelSubscription(await stripeClient(money), s.externalSubscriptionId);
      } catch (err) {
        ctx.log.warn({ err: (err as Error).message, subscriptionId: s.id }, 'stripe subscription cancel failed');
        throw E.providerError();
      }
    }
    return db().transaction(async (tx) => {
      const gone = await tx.delete(subscriptions).where(and(eq(subscriptions.id, id), eq(subscriptions.userId, userId))).returning();
      if (!gone.length) return false;
      await ctx.events.emit(SUBSCRIPTION_EVENTS.deleted, { subscriptionId: s.id, userId, planId: s.planId, previousStatus: gone[0].status }, tx);
      return true;
    });
  }

  // ---- provider events ----

  /** Records a provider event id in `tx`; false when it was already applied (or is being applied). */
  async function firstDelivery(tx: Tx, provider: Provider, eventId: string, eventType: string): Promise<boolean> {
    const rows = await tx.insert(webhookEvents).values({ provider, eventId, eventType: eventType.slice(0, 64) }).onConflictDoNothing().returning({ id: webhookEvents.id });
    return rows.length === 1;
  }

  /**
   * Applies a Stripe subscription state once per event id. The row is found by the metadata id we set
   * at checkout, else by the Stripe id; an event older than the last applied one changes nothing
   * (Stripe does not deliver in order). Concurrent duplicates wait on the event id's unique index and
   * then find it taken.
   */
  async function applyStripe(event: { id: string; type: string; created: Date | null }, state: StripeSubscriptionState): Promise<'applied' | 'duplicate' | 'stale' | 'unknown'> {
    return db().transaction(async (tx) => {
      if (!(await firstDelivery(tx, 'stripe', event.id, event.type))) return 'duplicate';
      let [s] = state.localId !== null ? await tx.select().from(subscriptions).where(eq(subscriptions.id, state.localId)).for('update') : [];
      if (!s) [s] = await tx.select().from(subscriptions).where(eq(subscriptions.externalSubscriptionId, state.id)).for('update');
      if (!s) return 'unknown';
      // A row already bound to another running Stripe subscription is not re-pointed by a stray one.
      if (s.externalSubscriptionId && s.externalSubscriptionId !== state.id && (s.status === 'active' || s.status === 'past_due')) {
        ctx.log.warn({ subscriptionId: s.id, stripeId: state.id }, 'stripe subscription event for a row bound to another subscription; ignored');
        return 'unknown';
      }
      if (event.created && s.lastEventAt && event.created < s.lastEventAt) return 'stale';
      const [next] = await tx
        .update(subscriptions)
        .set({
          status: state.status,
          externalSubscriptionId: state.id,
          externalCustomerId: state.customerId ?? s.externalCustomerId,
          currentPeriodStart: state.periodStart ?? s.currentPeriodStart,
          currentPeriodEnd: state.periodEnd ?? s.currentPeriodEnd,
          lastEventAt: event.created ?? s.lastEventAt,
          updatedAt: new Date(),
        })
        .where(eq(subscriptions.id, s.id))
        .returning();
      if (state.customerId) {
        await tx.update(wallets).set({ externalCustomerId: state.customerId, updatedAt: new Date() }).where(and(eq(wallets.userId, s.userId), isNull(wallets.externalCustomerId)));
      }
      await emitChanged(tx, next, s.status, event.type);
      return 'applied';
    });
  }

  /** Marks a provider event as handled without a state change (e.g. a subscription we do not know). */
  async function webhookSeen(provider: Provider, eventId: string) {
    const [r] = await db().select({ id: webhookEvents.id }).from(webhookEvents).where(and(eq(webhookEvents.provider, provider), eq(webhookEvents.eventId, eventId))).limit(1);
    return Boolean(r);
  }

  return { listPlans, getPlan, createPlan, updatePlan, present, listOwn, getOwn, start, remove, applyStripe, webhookSeen };
}
