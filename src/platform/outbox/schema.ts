// The transactional outbox: domain events written in the same transaction as the change they
// describe, relayed to their listeners after commit (src/platform/events.ts). Generic on purpose:
// the platform knows event names and JSON payloads, never a domain.
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, tsColumn } from '../db/columns.js';

export const outbox = pgTable(
  'outbox',
  {
    id: idColumn(),
    name: varchar('name', { length: 128 }).notNull(),
    payload: jsonb('payload').$type<unknown>().notNull(),
    createdAt: createdAt(),
    /** Delivery attempts so far (a claim counts as one). */
    attempts: integer('attempts').notNull().default(0),
    /** Not before this time: the retry backoff, or the lease of the relay that claimed the row. */
    nextAttemptAt: tsColumn('next_attempt_at').notNull().defaultNow(),
    deliveredAt: tsColumn('delivered_at'),
    /** Keys of the listeners that already handled the event; a retry runs only the others. */
    handled: text('handled').array().notNull().default(sql`'{}'::text[]`),
    lastError: text('last_error'),
  },
  (t) => [
    // The claim walks pending rows in id order (ORDER BY id LIMIT), next_attempt_at a filter. Not
    // indexing next_attempt_at lets a claim's lease be a HOT update (no new index entries) where the
    // page has room (fillfactor, migrations/0021).
    index('outbox_pending_id_idx').on(t.id).where(sql`${t.deliveredAt} is null`),
    index('outbox_delivered_idx').on(t.deliveredAt).where(sql`${t.deliveredAt} is not null`),
  ],
);

export type OutboxRow = typeof outbox.$inferSelect;
