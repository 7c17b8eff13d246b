// Tables owned by the notifications module: one row per in-app notification.
import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, tsColumn } from '../../platform/db/columns.js';
import { users } from '../users/schema.js';

export const notifications = pgTable(
  'notifications',
  {
    id: idColumn(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    type: varchar('type', { length: 64 }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    isRead: boolean('is_read').notNull().default(false),
    readAt: tsColumn('read_at'),
    // Makes event handling idempotent: a retried job or a repeated like does not notify twice.
    dedupeKey: varchar('dedupe_key', { length: 128 }),
    // Set once its e-mail went out (or was refused for good): a retried batch of e-mails skips it.
    emailedAt: tsColumn('emailed_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('notifications_user_created_idx').on(t.userId, t.createdAt, t.id),
    index('notifications_user_unread_idx').on(t.userId).where(sql`${t.isRead} = false`),
    uniqueIndex('notifications_user_dedupe_key').on(t.userId, t.dedupeKey),
  ],
);

export type NotificationRow = typeof notifications.$inferSelect;
