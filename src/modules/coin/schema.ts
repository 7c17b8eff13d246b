// Tables owned by the coin module: accounts, the append-only double-entry ledger (events and their
// lines), idempotency records, monthly snapshots, products and entitlements.
// Update/delete refusal, the per-event balance check and the no-overdraft rule live in database
// triggers (migrations/*_coin_custom.sql), so no code path can bypass them.
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgTable, primaryKey, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, tsColumn, updatedAt } from '../../platform/db/columns.js';
import { users } from '../users/schema.js';

export const EVENT_TYPES = ['mint', 'transfer', 'spend', 'refund'] as const;
export type CoinEventType = (typeof EVENT_TYPES)[number];
export type Direction = 'DEBIT' | 'CREDIT';
export const SYSTEM_ACCOUNTS = ['system:fees', 'system:revenue', 'system:mint'] as const;

export const coinAccounts = pgTable(
  'coin_accounts',
  {
    id: idColumn(),
    userId: refColumn('user_id').references(() => users.id, { onDelete: 'restrict' }),
    accountKey: varchar('account_key', { length: 255 }).notNull(),
    label: varchar('label', { length: 255 }).notNull().default(''),
    isSystem: boolean('is_system').notNull().default(false),
    status: varchar('status', { length: 16 }).$type<'active' | 'suspended'>().notNull().default('active'),
    /** When the account was last suspended: entries before it stay valid for the invariant check. */
    suspendedAt: tsColumn('suspended_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('coin_accounts_key_uq').on(t.accountKey),
    uniqueIndex('coin_accounts_user_uq').on(t.userId),
    check('coin_accounts_status_ck', sql`${t.status} in ('active', 'suspended')`),
    check('coin_accounts_kind_ck', sql`(${t.isSystem} and ${t.userId} is null and ${t.accountKey} like 'system:%') or (not ${t.isSystem} and ${t.accountKey} = 'user:' || ${t.userId}::text)`),
  ],
);

export const coinEvents = pgTable(
  'coin_events',
  {
    id: idColumn(),
    eventType: varchar('event_type', { length: 16 }).$type<CoinEventType>().notNull(),
    occurredAt: tsColumn('occurred_at').notNull().defaultNow(),
    /** A user id without a foreign key: the row is immutable, so it cannot follow a user's deletion. */
    createdBy: bigint('created_by', { mode: 'number' }),
    idempotencyKey: varchar('idempotency_key', { length: 255 }),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    note: varchar('note', { length: 255 }).notNull().default(''),
    rulesetVersion: varchar('ruleset_version', { length: 16 }).notNull().default('v1'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('coin_events_idem_uq').on(t.idempotencyKey),
    index('coin_events_created_idx').on(t.createdAt, t.id),
    check('coin_events_type_ck', sql`${t.eventType} in ('mint', 'transfer', 'spend', 'refund')`),
  ],
);

export const coinLedgerEntries = pgTable(
  'coin_ledger_entries',
  {
    id: idColumn(),
    txId: uuid('tx_id').notNull().defaultRandom(),
    eventId: refColumn('event_id').notNull().references(() => coinEvents.id, { onDelete: 'restrict' }),
    accountKey: varchar('account_key', { length: 255 }).notNull(),
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
    currency: varchar('currency', { length: 16 }).notNull().default('SLC'),
    direction: varchar('direction', { length: 6 }).$type<Direction>().notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index('coin_entries_account_created_idx').on(t.accountKey, t.createdAt, t.id),
    index('coin_entries_event_idx').on(t.eventId),
    index('coin_entries_created_idx').on(t.createdAt, t.id),
    check('coin_amount_cents_gt_0', sql`${t.amountCents} > 0`),
    check('coin_direction_ck', sql`${t.direction} in ('DEBIT', 'CREDIT')`),
  ],
);

/** Idempotency-Key records of transfer/spend, per user: the first response is replayed. */
export const coinIdempotency = pgTable(
  'coin_idempotency',
  {
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    scope: varchar('scope', { length: 16 }).notNull(),
    key: varchar('key', { length: 255 }).notNull(),
    requestHash: varchar('request_hash', { length: 64 }).notNull(),
    eventId: refColumn('event_id').notNull(),
    response: jsonb('response').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.scope, t.key] })],
);

export const coinMonthlySnapshots = pgTable('coin_monthly_snapshots', {
  id: idColumn(),
  period: varchar('period', { length: 7 }).notNull().unique('coin_snapshots_period_uq'),
  totalEvents: integer('total_events').notNull(),
  totalEntries: integer('total_entries').notNull(),
  totalVolumeCents: bigint('total_volume_cents', { mode: 'number' }).notNull(),
  ledgerHash: varchar('ledger_hash', { length: 128 }).notNull(),
  createdAt: createdAt(),
});

export const ENTITLEMENT_KEYS = ['premium', 'premium_plus'] as const;
export type EntitlementKey = (typeof ENTITLEMENT_KEYS)[number];

export const coinProducts = pgTable('coin_products', {
  id: idColumn(),
  code: varchar('code', { length: 64 }).notNull().unique('coin_products_code_uq'),
  title: varchar('title', { length: 128 }).notNull(),
  description: varchar('description', { length: 2000 }).notNull().default(''),
  priceSlc: bigint('price_slc', { mode: 'number' }).notNull(),
  durationDays: integer('duration_days'),
  entitlementKey: varchar('entitlement_key', { length: 32 }).$type<EntitlementKey>().notNull(),
  isActive: boolean('is_active').notNull().default(true),
  sortOrder: integer('sort_order').notNull().default(0),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const userEntitlements = pgTable(
  'coin_user_entitlements',
  {
    id: idColumn(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'restrict' }),
    key: varchar('key', { length: 32 }).$type<EntitlementKey>().notNull(),
    activeUntil: tsColumn('active_until'),
    source: varchar('source', { length: 32 }).notNull().default('slc'),
    meta: jsonb('meta').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('coin_entitlements_user_key_uq').on(t.userId, t.key)],
);

export type CoinAccountRow = typeof coinAccounts.$inferSelect;
export type CoinEventRow = typeof coinEvents.$inferSelect;
export type CoinEntryRow = typeof coinLedgerEntries.$inferSelect;
export type CoinProductRow = typeof coinProducts.$inferSelect;
