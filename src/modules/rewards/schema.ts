// Contributor rewards: profiles, the append-only event ledger, monthly snapshots and payouts.
// reward_events, reward_ledger_entries and reward_snapshots are append-only (database triggers in
// the rewards_custom migration); payouts only ever change status.
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, smallint, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, tsColumn, updatedAt } from '../../platform/db/columns.js';

export const contributorProfiles = pgTable(
  'reward_contributors',
  {
    id: idColumn(),
    // Null until the GitHub author is linked to an account: their events wait, unpaid, meanwhile.
    userId: refColumn('user_id'),
    githubUsername: varchar('github_username', { length: 255 }),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('reward_contributors_user_uq').on(t.userId), uniqueIndex('reward_contributors_github_uq').on(sql`lower(${t.githubUsername})`)],
);

export const rewardEvents = pgTable(
  'reward_events',
  {
    id: idColumn(),
    contributorId: refColumn('contributor_id')
      .notNull()
      .references(() => contributorProfiles.id, { onDelete: 'restrict' }),
    eventType: varchar('event_type', { length: 32 }).notNull(),
    points: integer('points').notNull(),
    occurredAt: tsColumn('occurred_at').notNull().defaultNow(),
    reference: varchar('reference', { length: 255 }).notNull().default(''),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    notes: varchar('notes', { length: 255 }).notNull().default(''),
    rulesetVersion: varchar('ruleset_version', { length: 16 }).notNull().default('v1'),
    // Idempotency: one event per GitHub delivery and per (repository, pull request).
    deliveryId: varchar('delivery_id', { length: 128 }),
    dedupeKey: varchar('dedupe_key', { length: 400 }),
    createdBy: refColumn('created_by'),
    createdAt: createdAt(),
  },
  (t) => [
    index('reward_events_contributor_idx').on(t.contributorId, t.occurredAt),
    index('reward_events_type_idx').on(t.eventType, t.occurredAt),
    index('reward_events_occurred_idx').on(t.occurredAt, t.id),
    uniqueIndex('reward_events_delivery_uq').on(t.deliveryId),
    uniqueIndex('reward_events_dedupe_uq').on(t.dedupeKey),
    check('reward_events_type_ck', sql`${t.eventType} in ('pr_merged', 'bounty_paid', 'manual_adjustment', 'bonus', 'penalty')`),
  ],
);

export const rewardLedgerEntries = pgTable(
  'reward_ledger_entries',
  {
    id: idColumn(),
    txId: uuid('tx_id').notNull(),
    eventId: refColumn('event_id')
      .notNull()
      .references(() => rewardEvents.id, { onDelete: 'restrict' }),
    account: varchar('account', { length: 255 }).notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: varchar('currency', { length: 16 }).notNull().default('POINTS'),
    direction: varchar('direction', { length: 6 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('reward_ledger_event_idx').on(t.eventId),
    index('reward_ledger_account_idx').on(t.account, t.createdAt),
    check('reward_ledger_amount_ck', sql`${t.amount} > 0`),
    check('reward_ledger_direction_ck', sql`${t.direction} in ('DEBIT', 'CREDIT')`),
  ],
);

export const rewardSnapshots = pgTable(
  'reward_snapshots',
  {
    id: idColumn(),
    period: varchar('period', { length: 7 }).notNull().unique(),
    revenueCents: bigint('revenue_cents', { mode: 'number' }).notNull(),
    costsCents: bigint('costs_cents', { mode: 'number' }).notNull(),
    poolPercent: smallint('pool_percent').notNull(),
    contributorPoolCents: bigint('contributor_pool_cents', { mode: 'number' }).notNull(),
    totalPoints: bigint('total_points', { mode: 'number' }).notNull(),
    totalEvents: integer('total_events').notNull(),
    ledgerHash: varchar('ledger_hash', { length: 64 }).notNull(),
    csvSha256: varchar('csv_sha256', { length: 64 }).notNull(),
    // The newest event id the calculation saw: verify recomputes over exactly the same events.
    lastEventId: bigint('last_event_id', { mode: 'number' }).notNull(),
    disputeWindowEndsAt: tsColumn('dispute_window_ends_at').notNull(),
    createdBy: refColumn('created_by'),
    createdAt: createdAt(),
  },
  (t) => [
    check('reward_snapshots_money_ck', sql`${t.revenueCents} >= 0 and ${t.costsCents} >= 0 and ${t.contributorPoolCents} >= 0`),
    check('reward_snapshots_pct_ck', sql`${t.poolPercent} between 0 and 100`),
  ],
);

export const rewardPayouts = pgTable(
  'reward_payouts',
  {
    id: idColumn(),
    snapshotId: refColumn('snapshot_id')
      .notNull()
      .references(() => rewardSnapshots.id, { onDelete: 'restrict' }),
    contributorId: refColumn('contributor_id')
      .notNull()
      .references(() => contributorProfiles.id, { onDelete: 'restrict' }),
    points: bigint('points', { mode: 'number' }).notNull(),
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
    status: varchar('status', { length: 16 }).notNull().default('pending'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('reward_payouts_snapshot_contributor_uq').on(t.snapshotId, t.contributorId),
    index('reward_payouts_contributor_idx').on(t.contributorId, t.createdAt),
    check('reward_payouts_amount_ck', sql`${t.amountCents} >= 0`),
    check('reward_payouts_status_ck', sql`${t.status} in ('pending', 'processing', 'paid', 'canceled')`),
  ],
);

export type ContributorRow = typeof contributorProfiles.$inferSelect;
export type RewardEventRow = typeof rewardEvents.$inferSelect;
export type SnapshotRow = typeof rewardSnapshots.$inferSelect;
export type PayoutRow = typeof rewardPayouts.$inferSelect;
