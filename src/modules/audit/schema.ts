// The audit log: append-only, hash-chained. Rows are never updated or deleted (a trigger enforces it).
import { bigint, index, jsonb, pgTable, uuid, varchar } from 'drizzle-orm/pg-core';
import { createdAt, refColumn } from '../../platform/db/columns.js';

export const auditEvents = pgTable(
  'audit_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Chain order; the hash chain links rows in this order.
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity().unique(),
    createdAt: createdAt(),
    // No foreign key on purpose: the record keeps the actor's id after the account is gone.
    actorUserId: refColumn('actor_user_id'),
    actorIp: varchar('actor_ip', { length: 64 }),
    action: varchar('action', { length: 128 }).notNull(),
    objectType: varchar('object_type', { length: 128 }).notNull(),
    objectId: varchar('object_id', { length: 128 }).notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    hashPrev: varchar('hash_prev', { length: 64 }).notNull(),
    hashSelf: varchar('hash_self', { length: 64 }).notNull(),
  },
  (t) => [
    index('audit_events_created_idx').on(t.createdAt, t.seq),
    index('audit_events_action_idx').on(t.action, t.createdAt),
    index('audit_events_object_idx').on(t.objectType, t.objectId),
  ],
);

export type AuditEventRow = typeof auditEvents.$inferSelect;
