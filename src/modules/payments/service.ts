// Payments: checkouts, the common mint pipeline for verified provider notifications (one mint per
// checkout, whatever the number of provider events), currency conversion, plans, subscriptions
// and the legacy wallet (subscriptions.ts: plans and subscriptions). Provider protocols live in
// providers.ts and stripe-billing.ts.
import { randomUUID } from 'node:crypto';
import { and, eq, isNotNull } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { Tx } from '../../platform/db/index.js';
import { ApiError } from '../../platform/http/errors.js';
import { PaymentErrors as E } from './errors.js';
import { createGiftCatalogue } from './gifts.js';
import { createSubscriptions } from './subscriptions.js';

/** The payment providers (the `coin` command validates `--provider` against them). */
export { PROVIDERS, type Provider } from './schema.js';
import { paymentCheckouts, paymentEvents, wallets, type CheckoutRow, type PaymentEventRow, type Provider } from './schema.js';

/**
 * Minor units of `currency` → SLC cents (1 SLC cent = 1 US cent), with COIN_FX_RATES as exact
 * decimals and round-half-even. Null when the currency has no rate.
 */
export function toSlcCents(amountMinor: number, currency: string, rates: Record<string, string>): number | null {
  const rate = rates[currency.toUpperCase()];
  if (rate === undefined) return null;
  const [whole, frac = ''] = rate.split('.');
  const scale = 10n ** BigInt(frac.length);
  const num = BigInt(amountMinor) * BigInt(whole + frac);
  let q = num / scale;
  const r = num % scale;
  if (r * 2n > scale || (r * 2n === scale && q % 2n === 1n)) q += 1n;
  return Number(q);
}

export type Outcome = 'minted' | 'duplicate' | 'pending' | 'failed';

export interface Notification {
  provider: Provider;
  providerEventId: string;
  eventType: string;
  amountCents: number;
  currency: string;
  status: 'paid' | 'failed' | 'pending';
  rawBodyHash: string;
  source: string;
}

export function createPaymentsService(ctx: Ctx) {
  const db = () => ctx.db;
  const money = ctx.config.money;
  const gifts = createGiftCatalogue(ctx);
  const subscriptions = createSubscriptions(ctx);

  function providerEnabled(p: 'stripe' | 'ipay' | 'btcpay' | 'iap') {
    return money.paymentsEnabled && money.providers[p];
  }

  /** Records a purchase intent; the SLC amount is fixed now, from the rates in force. */
  async function createCheckout(provider: Provider, userId: number, amountCents: number, currency: string): Promise<CheckoutRow> {
    const slc = toSlcCents(amountCents, currency, money.fxRates);
    if (slc === null || slc <= 0) throw new ApiError(400, { currency: [`No exchange rate for ${currency}.`] });
    const [row] = await db().insert(paymentCheckouts).values({ provider, reference: randomUUID().replace(/-/g, ''), userId, amountCents, currency, slcCents: slc }).returning();
    return row;
  }

  const setProviderReference = async (id: number, ref: string) => {
    await db().update(paymentCheckouts).set({ providerReference: ref, updatedAt: new Date() }).where(eq(paymentCheckouts.id, id));
  };

  async function checkoutByReference(provider: Provider, reference: string): Promise<CheckoutRow | null> {
    const [c] = await db().select().from(paymentCheckouts).where(and(eq(paymentCheckouts.provider, provider), eq(paymentCheckouts.reference, reference))).limit(1);
    return c ?? null;
  }

  async function checkoutByProviderReference(provider: Provider, ref: string): Promise<CheckoutRow | null> {
    const [c] = await db().select().from(paymentCheckouts).where(and(eq(paymentCheckouts.provider, provider), eq(paymentCheckouts.providerReference, ref))).limit(1);
    return c ?? null;
  }

  /** Inserts the provider event once (per provider + id), then locks it; a mismatching replay is refused. */
  async function recordEvent(tx: Tx, n: Notification, userId: number, checkoutId: number | null): Promise<PaymentEventRow> {
    await tx
      .insert(paymentEvents)
      .values({
        provider: n.provider,
        providerEventId: n.providerEventId,
        eventType: n.eventType,
        userId,
        checkoutId,
        amountCents: n.amountCents,
        currency: n.currency,
        status: n.status === 'failed' ? 'failed' : 'received',
        rawBodyHash: n.rawBodyHash,
        verifiedAt: new Date(),
      })
      .onConflictDoNothing();
    const [pe] = await tx.select().from(paymentEvents).where(and(eq(paymentEvents.provider, n.provider), eq(paymentEvents.providerEventId, n.providerEventId))).for('update');
    if (pe.userId !== userId || pe.amountCents !== n.amountCents || pe.currency !== n.currency) throw E.eventMismatch();
    return pe;
  }

  async function markEvent(tx: Tx, pe: PaymentEventRow, patch: Partial<PaymentEventRow>) {
    await tx.update(paymentEvents).set({ ...patch, updatedAt: new Date() }).where(eq(paymentEvents.id, pe.id));
  }

  /**
   * The pipeline for a verified notification about a checkout. The checkout row is locked, so
   * concurrent or replayed notifications of one checkout run one at a time and mint at most once.
   */
  async function settleCheckout(checkoutId: number, n: Notification): Promise<{ outcome: Outcome; coinEventId: number | null }> {
    return db().transaction(async (tx) => {
      const [c] = await tx.select().from(paymentCheckouts).where(eq(paymentCheckouts.id, checkoutId)).for('update');
      if (c.amountCents !== n.amountCents || c.currency !== n.currency) throw E.amountMismatch();
      const pe = await recordEvent(tx, n, c.userId, c.id);
      if (c.status === 'paid' && c.mintedCoinEventId !== null) {
        if (pe.mintedCoinEventId === null && n.status === 'paid') await markEvent(tx, pe, { status: 'minted', mintedCoinEventId: c.mintedCoinEventId });
        return { outcome: 'duplicate', coinEventId: c.mintedCoinEventId };
      }
      if (n.status === 'failed') {
        await markEvent(tx, pe, { status: 'failed' });
        await tx.update(paymentCheckouts).set({ status: 'failed', updatedAt: new Date() }).where(eq(paymentCheckouts.id, c.id));
        return { outcome: 'failed', coinEventId: null };
      }
      if (n.status === 'pending') return { outcome: 'pending', coinEventId: null };
      if (pe.status === 'failed') throw E.paymentFailed();
      const event = await ctx.services.coin.mint(tx, {
        userId: c.userId,
        amountCents: c.slcCents,
        idempotencyKey: `${c.provider}:checkout:${c.reference}`,
        metadata: { source: n.source, reference: c.reference, provider: n.provider, external_id: n.providerEventId, payment_amount_cents: c.amountCents, payment_currency: c.currency },
      });
      await markEvent(tx, pe, { status: 'minted', mintedCoinEventId: event.id });
      await tx.update(paymentCheckouts).set({ status: 'paid', mintedCoinEventId: event.id, updatedAt: new Date() }).where(eq(paymentCheckouts.id, c.id));
      return { outcome: 'minted', coinEventId: event.id };
    });
  }

  /** In-app purchases: no checkout; one mint per store transaction, credited to the verified caller. */
  async function settleDirect(userId: number, n: Notification, slcCents: number, extra: Record<string, unknown>): Promise<{ outcome: Outcome; coinEventId: number | null }> {
    return db().transaction(async (tx) => {
      const pe = await recordEvent(tx, n, userId, null);
      if (pe.status === 'minted' && pe.mintedCoinEventId !== null) return { outcome: 'duplicate', coinEventId: pe.mintedCoinEventId };
      if (n.status === 'failed') {
        await markEvent(tx, pe, { status: 'failed' });
        return { outcome: 'failed', coinEventId: null };
      }
      if (n.status === 'pending') return { outcome: 'pending', coinEventId: null };
      const event = await ctx.services.coin.mint(tx, {
        userId,
        amountCents: slcCents,
        idempotencyKey: `${n.provider}:${n.providerEventId}`,
        metadata: { source: n.source, provider: n.provider, external_id: n.providerEventId, payment_amount_cents: n.amountCents, payment_currency: n.currency, ...extra },
      });
      await markEvent(tx, pe, { status: 'minted', mintedCoinEventId: event.id });
      return { outcome: 'minted', coinEventId: event.id };
    });
  }

  /** Every (coin event, payment status) link, for the coin invariant check. */
  async function mintLinks(): Promise<{ coinEventId: number; status: string }[]> {
    const rows = await db().select({ id: paymentEvents.mintedCoinEventId, status: paymentEvents.status }).from(paymentEvents).where(isNotNull(paymentEvents.mintedCoinEventId));
    return rows.map((r) => ({ coinEventId: r.id!, status: r.status }));
  }

  async function paymentAudit(provider: Provider) {
    const rows = await db().select().from(paymentEvents).where(eq(paymentEvents.provider, provider));
    return { total: rows.length, unminted: rows.filter((r) => r.mintedCoinEventId === null), rows };
  }

  async function countEvents(provider?: Provider) {
    const rows = await db().select({ id: paymentEvents.id }).from(paymentEvents).where(provider ? eq(paymentEvents.provider, provider) : undefined);
    return rows.length;
  }

  async function wallet(userId: number) {
    await db().insert(wallets).values({ userId }).onConflictDoNothing();
    const [w] = await db().select().from(wallets).where(eq(wallets.userId, userId));
    return { id: w.id, balance_cents: w.balanceCents, created_at: w.createdAt.toISOString(), updated_at: w.updatedAt.toISOString() };
  }

  return {
    gifts,
    giftTypeExists: gifts.giftTypeExists,
    providerEnabled,
    createCheckout,
    setProviderReference,
    checkoutByReference,
    checkoutByProviderReference,
    settleCheckout,
    settleDirect,
    mintLinks,
    paymentAudit,
    countEvents,
    wallet,
    subscriptions,
  };
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;
