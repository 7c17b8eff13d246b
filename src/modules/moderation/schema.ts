// Tables owned by the moderation module: user/system reports and enforcements.
import { sql } from 'drizzle-orm';
import { index, pgTable, text, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, tsColumn, updatedAt } from '../../platform/db/columns.js';
import { users } from '../users/schema.js';

export const reports = pgTable(
  'moderation_reports',
  {
    id: idColumn(),
    // Null for reports filed by the system (auto-flagging), never the offender.
    reporterId: refColumn('reporter_id').references(() => users.id, { onDelete: 'set null' }),
    targetType: varchar('target_type', { length: 32 }).notNull(),
    targetId: refColumn('target_id').notNull(),
    reason: varchar('reason', { length: 255 }).notNull(),
    status: varchar('status', { length: 32 }).notNull().default('open'),
    notes: text('notes').notNull().default(''),
    source: varchar('source', { length: 16 }).notNull().default('user'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('moderation_reports_reporter_idx').on(t.reporterId, t.createdAt, t.id),
    index('moderation_reports_created_idx').on(t.createdAt, t.id),
    // One pending report per reporter and target; one pending system report per target.
    uniqueIndex('moderation_reports_pending_user_key')
      .on(t.reporterId, t.targetType, t.targetId)
      .where(sql`${t.status} in ('open', 'in_review') and ${t.reporterId} is not null`),
    uniqueIndex('moderation_reports_pending_auto_key')
      .on(t.targetType, t.targetId)
      .where(sql`${t.status} in ('open', 'in_review') and ${t.source} = 'auto'`),
  ],
);

export const enforcements = pgTable(
  'moderation_enforcements',
  {
    id: idColumn(),
    targetType: varchar('target_type', { length: 32 }).notNull(),
    targetId: refColumn('target_id').notNull(),
    action: varchar('action', { length: 32 }).notNull(),
    reason: varchar('reason', { length: 255 }).notNull().default(''),
    expiresAt: tsColumn('expires_at'),
    liftedAt: tsColumn('lifted_at'),
    createdBy: refColumn('created_by').references(() => users.id, { onDelete: 'set null' }),
    reportId: refColumn('report_id').references(() => reports.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('moderation_enforcements_created_idx').on(t.createdAt, t.id),
    index('moderation_enforcements_target_idx').on(t.targetType, t.targetId),
    index('moderation_enforcements_due_idx').on(t.expiresAt).where(sql`${t.liftedAt} is null and ${t.expiresAt} is not null`),
  ],
);

export type ReportRow = typeof reports.$inferSelect;
export type EnforcementRow = typeof enforcements.$inferSelect;
