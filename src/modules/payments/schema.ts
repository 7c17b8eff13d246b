// Tables owned by the payments module: gift types, checkouts (server-side purchase intents),
// verified provider events, plans, subscriptions and the legacy wallet.
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgTable, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, tsColumn, updatedAt } from '../../platform/db/columns.js';
import { users } from '../users/schema.js';

export const PROVIDERS = ['stripe', 'ipay', 'btcpay', 'apple_iap', 'google_iap'] as const;
export type Provider = (typeof PROVIDERS)[number];

export const giftTypes = pgTable(
  'payment_gift_types',
  {
    id: idColumn(),
    key: varchar('key', { length: 64 }),
    name: varchar('name', { length: 64 }).notNull(),
    priceCents: integer('price_cents').notNull(),
    priceSlcCents: integer('price_slc_cents').notNull().default(0),
    kind: varchar('kind', { length: 16 }).$type<'static' | 'animated'>().notNull().default('static'),
    artUrl: varchar('art_url', { length: 500 }).notNull().default(''),
    mediaUrl: varchar('media_url', { length: 500 }).notNull().default(''),
    animationUrl: varchar('animation_url', { length: 500 }).notNull().default(''),
    isActive: boolean('is_active').notNull().default(true),
    effects: jsonb('effects').$type<Record<string, unknown>>().notNull().default({}),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('payment_gift_types_key_uq').on(t.key),
    uniqueIndex('payment_gift_types_name_uq').on(t.name),
    index('payment_gift_types_created_idx').on(t.createdAt, t.id),
    check('payment_gift_types_price_ck', sql`${t.priceCents} > 0 and ${t.priceSlcCents} >= 0`),
    check('payment_gift_types_kind_ck', sql`${t.kind} in ('static', 'animated')`),
  ],
);

export const paymentCheckouts = pgTable(
  'payment_checkouts',
  {
    id: idColumn(),
    provider: varchar('provider', { length: 16 }).$type<Provider>().notNull(),
    reference: varchar('reference', { length: 64 }).notNull(),
    providerReference: varchar('provider_reference', { length: 128 }),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'restrict' }),
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
    currency: varchar('currency', { length: 8 }).notNull(),
    /** SLC cents this checkout mints, fixed at creation from COIN_FX_RATES. */
    slcCents: bigint('slc_cents', { mode: 'number' }).notNull(),
    status: varchar('status', { length: 16 }).$type<'created' | 'paid' | 'failed' | 'canceled'>().notNull().default('created'),
    mintedCoinEventId: bigint('minted_coin_event_id', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('payment_checkouts_reference_uq').on(t.reference),
    uniqueIndex('payment_checkouts_provider_ref_uq').on(t.provider, t.providerReference),
    index('payment_checkouts_user_idx').on(t.userId),
    check('payment_checkouts_amount_ck', sql`${t.amountCents} > 0 and ${t.slcCents} > 0`),
  ],
);

export const paymentEvents = pgTable(
  'payment_events',
  {
    id: idColumn(),
    provider: varchar('provider', { length: 16 }).$type<Provider>().notNull(),
    providerEventId: varchar('provider_event_id', { length: 128 }).notNull(),
    eventType: varchar('event_type', { length: 64 }).notNull(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'restrict' }),
    checkoutId: bigint('checkout_id', { mode: 'number' }),
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
    currency: varchar('currency', { length: 8 }).notNull().default('USD'),
    status: varchar('status', { length: 16 }).$type<'received' | 'minted' | 'failed'>().notNull().default('received'),
    mintedCoinEventId: bigint('minted_coin_event_id', { mode: 'number' }),
    rawBodyHash: varchar('raw_body_hash', { length: 64 }).notNull().default(''),
    verifiedAt: tsColumn('verified_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('payment_events_provider_event_uq').on(t.provider, t.providerEventId),
    index('payment_events_minted_idx').on(t.mintedCoinEventId),
    check('payment_events_amount_ck', sql`${t.amountCents} > 0`),
  ],
);

export const plans = pgTable(
  'payment_plans',
  {
    id: idColumn(),
    name: varchar('name', { length: 64 }).notNull().unique('payment_plans_name_uq'),
    priceCents: integer('price_cents').notNull(),
    interval: varchar('interval', { length: 16 }).notNull().default('month'),
    features: jsonb('features').$type<unknown>().notNull().default({}),
    isActive: boolean('is_active').notNull().default(true),
    externalPriceId: varchar('external_price_id', { length: 96 }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('payment_plans_created_idx').on(t.createdAt, t.id), check('payment_plans_price_ck', sql`${t.priceCents} > 0`)],
);

export const SUBSCRIPTION_STATUSES = ['active', 'canceled', 'incomplete', 'past_due'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const subscriptions = pgTable(
  'payment_subscriptions',
  {
    id: idColumn(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    planId: refColumn('plan_id').notNull().references(() => plans.id, { onDelete: 'restrict' }),
    status: varchar('status', { length: 16 }).$type<SubscriptionStatus>().notNull().default('incomplete'),
    currentPeriodStart: tsColumn('current_period_start'),
    currentPeriodEnd: tsColumn('current_period_end'),
    externalCustomerId: varchar('external_customer_id', { length: 96 }),
    externalSubscriptionId: varchar('external_subscription_id', { length: 96 }),
    /** `created` of the newest provider event applied: an older event delivered late changes nothing. */
    lastEventAt: tsColumn('last_event_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('payment_subscriptions_user_plan_uq').on(t.userId, t.planId),
    uniqueIndex('payment_subscriptions_external_uq').on(t.externalSubscriptionId),
    index('payment_subscriptions_user_created_idx').on(t.userId, t.createdAt, t.id),
    check('payment_subscriptions_status_ck', sql`${t.status} in ('active', 'canceled', 'incomplete', 'past_due')`),
  ],
);

/**
 * Provider webhook deliveries already applied (subscription events), one row per provider event id:
 * inserted in the transaction that applies the event, so a redelivery, even a concurrent one, changes
 * nothing a second time.
 */
export const webhookEvents = pgTable(
  'payment_webhook_events',
  {
    id: idColumn(),
    provider: varchar('provider', { length: 16 }).$type<Provider>().notNull(),
    eventId: varchar('event_id', { length: 128 }).notNull(),
    eventType: varchar('event_type', { length: 64 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('payment_webhook_events_uq').on(t.provider, t.eventId)],
);

/** The legacy wallet the app's wallet screen reads (never credited: SLC lives in the coin ledger). */
export const wallets = pgTable('payment_wallets', {
  id: idColumn(),
  userId: refColumn('user_id').notNull().unique('payment_wallets_user_uq').references(() => users.id, { onDelete: 'cascade' }),
  balanceCents: integer('balance_cents').notNull().default(0),
  externalCustomerId: varchar('external_customer_id', { length: 96 }).unique('payment_wallets_customer_uq'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export type GiftTypeRow = typeof giftTypes.$inferSelect;
export type CheckoutRow = typeof paymentCheckouts.$inferSelect;
export type PaymentEventRow = typeof paymentEvents.$inferSelect;
export type PlanRow = typeof plans.$inferSelect;
export type SubscriptionRow = typeof subscriptions.$inferSelect;
