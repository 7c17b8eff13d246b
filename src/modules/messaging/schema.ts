// Tables owned by the messaging module: threads, memberships (with read pointers), messages,
// their attachments and reactions. Typing state is ephemeral (ctx.kv), never stored here.
import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, primaryKey, text, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, tsColumn, updatedAt } from '../../platform/db/columns.js';
import { users } from '../users/schema.js';

export const threads = pgTable(
  'msg_threads',
  {
    id: idColumn(),
    isGroup: boolean('is_group').notNull().default(false),
    title: varchar('title', { length: 120 }).notNull().default(''),
    createdById: refColumn('created_by_id').references(() => users.id, { onDelete: 'set null' }),
    // "minId:maxId" for direct threads: the unique index makes get-or-create race-free.
    directKey: varchar('direct_key', { length: 64 }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // No index on updated_at: every message sets it, and an indexed column would make that update
  // write a new entry in each of the table's indexes (not HOT). A viewer's page starts from their
  // memberships (msg_members_user_idx) and sorts those threads; no query scans threads by recency.
  // Fillfactor 70 (migration 0020) leaves a page room for the new versions of its rows.
  (t) => [uniqueIndex('msg_threads_direct_key').on(t.directKey)],
);

export const threadMembers = pgTable(
  'msg_thread_members',
  {
    id: idColumn(),
    threadId: refColumn('thread_id').notNull().references(() => threads.id, { onDelete: 'cascade' }),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    role: varchar('role', { length: 16 }).notNull().default('member'),
    // Highest message id the member has read (forward-only); plain bigint so deleting a message keeps it.
    lastReadMessageId: refColumn('last_read_message_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('msg_members_thread_user').on(t.threadId, t.userId), index('msg_members_user_idx').on(t.userId)],
);

export const messages = pgTable(
  'msg_messages',
  {
    id: idColumn(),
    threadId: refColumn('thread_id').notNull().references(() => threads.id, { onDelete: 'cascade' }),
    senderId: refColumn('sender_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    replyToId: refColumn('reply_to_id'),
    body: text('body').notNull().default(''),
    type: varchar('type', { length: 16 }).notNull().default('text'),
    meta: jsonb('meta').$type<Record<string, unknown>>().notNull().default({}),
    status: varchar('status', { length: 16 }).notNull().default('sent'),
    deliveredAt: tsColumn('delivered_at'),
    readAt: tsColumn('read_at'),
    clientUuid: varchar('client_uuid', { length: 64 }),
    editedAt: tsColumn('edited_at'),
    /** Hidden by moderation: only its sender (and staff) still see it. */
    hidden: boolean('hidden').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    // Idempotent sends: one message per (thread, sender, client_uuid); NULL uuids never collide.
    uniqueIndex('msg_messages_client_uuid').on(t.threadId, t.senderId, t.clientUuid),
    index('msg_messages_thread_idx').on(t.threadId, t.id),
    index('msg_messages_reply_idx').on(t.replyToId).where(sql`${t.replyToId} is not null`),
  ],
);

export const attachments = pgTable(
  'msg_attachments',
  {
    id: idColumn(),
    messageId: refColumn('message_id').notNull().references(() => messages.id, { onDelete: 'cascade' }),
    storageKey: varchar('storage_key', { length: 255 }).notNull(),
    type: varchar('type', { length: 8 }).notNull(),
    mimeType: varchar('mime_type', { length: 128 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('msg_attachments_message_idx').on(t.messageId), index('msg_attachments_key_idx').on(t.storageKey)],
);

export const reactions = pgTable(
  'msg_reactions',
  {
    messageId: refColumn('message_id').notNull().references(() => messages.id, { onDelete: 'cascade' }),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    emoji: varchar('emoji', { length: 16 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.messageId, t.userId, t.emoji] })],
);

export type ThreadRow = typeof threads.$inferSelect;
export type MemberRow = typeof threadMembers.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type AttachmentRow = typeof attachments.$inferSelect;
