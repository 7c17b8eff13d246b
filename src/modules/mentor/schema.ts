// Tables owned by the mentor module: sessions and their messages, async generation tasks, daily
// tasks, the mentor profile and the per-user memory of `sessions/ask`.
import { sql } from 'drizzle-orm';
import { boolean, date, index, jsonb, pgTable, text, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, tsColumn, updatedAt } from '../../platform/db/columns.js';
import { users } from '../users/schema.js';

export const mentorSessions = pgTable(
  'mentor_sessions',
  {
    id: idColumn(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    mode: varchar('mode', { length: 32 }).notNull().default('daily_mentor'),
    language: varchar('language', { length: 8 }),
    /** "<mode>|<language>" for chat/stream sessions: one per (user, mode, language), race-free. */
    chatKey: varchar('chat_key', { length: 48 }),
    active: boolean('active').notNull().default(true),
    date: date('date'),
    question: text('question').notNull().default(''),
    answer: text('answer').notNull().default(''),
    sentiment: varchar('sentiment', { length: 16 }).notNull().default(''),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    startedAt: tsColumn('started_at').notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('mentor_sessions_chat_key').on(t.userId, t.chatKey).where(sql`${t.chatKey} is not null`),
    index('mentor_sessions_user_created_idx').on(t.userId, t.createdAt, t.id),
    index('mentor_sessions_user_mode_date_idx').on(t.userId, t.mode, t.date),
  ],
);

export const mentorMessages = pgTable(
  'mentor_messages',
  {
    id: idColumn(),
    sessionId: refColumn('session_id').notNull().references(() => mentorSessions.id, { onDelete: 'cascade' }),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    role: varchar('role', { length: 16 }).notNull(),
    content: text('content').notNull(),
    meta: jsonb('meta').$type<Record<string, unknown>>(),
    /** For a reply: the user message it answers (one reply per request message). */
    replyToId: refColumn('reply_to_id'),
    createdAt: createdAt(),
  },
  (t) => [
    index('mentor_messages_user_created_idx').on(t.userId, t.createdAt, t.id),
    index('mentor_messages_session_idx').on(t.sessionId, t.id),
    uniqueIndex('mentor_messages_reply_to_key').on(t.replyToId),
  ],
);

/** Async generations (202 + task-status): pending → ready | failed. */
export const mentorJobs = pgTable(
  'mentor_jobs',
  {
    id: varchar('id', { length: 36 }).primaryKey(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    sessionId: refColumn('session_id').notNull().references(() => mentorSessions.id, { onDelete: 'cascade' }),
    requestMessageId: refColumn('request_message_id').notNull(),
    kind: varchar('kind', { length: 16 }).notNull(),
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    status: varchar('status', { length: 16 }).notNull().default('pending'),
    replyMessageId: refColumn('reply_message_id'),
    error: varchar('error', { length: 64 }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('mentor_jobs_user_idx').on(t.userId)],
);

export const mentorDailyTasks = pgTable(
  'mentor_daily_tasks',
  {
    id: idColumn(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    task: varchar('task', { length: 255 }).notNull(),
    dueDate: date('due_date').notNull(),
    status: varchar('status', { length: 16 }).notNull().default('pending'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('mentor_daily_tasks_user_idx').on(t.userId, t.createdAt, t.id)],
);

export const mentorProfiles = pgTable(
  'mentor_profiles',
  {
    id: idColumn(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    tone: varchar('tone', { length: 32 }).notNull().default('gentle'),
    level: varchar('level', { length: 32 }).notNull().default('basic'),
    preferences: jsonb('preferences').$type<unknown>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('mentor_profiles_user_key').on(t.userId)],
);

export const mentorMemory = pgTable('mentor_memory', {
  userId: refColumn('user_id').primaryKey().references(() => users.id, { onDelete: 'cascade' }),
  notes: jsonb('notes').$type<{ entries: MemoryEntry[] }>().notNull().default({ entries: [] }),
  lastSummary: text('last_summary').notNull().default(''),
  updatedAt: updatedAt(),
});

export interface MemoryEntry {
  question: string;
  answer: string;
  sentiment: string;
  timestamp: string;
}

export type SessionRow = typeof mentorSessions.$inferSelect;
export type MessageRow = typeof mentorMessages.$inferSelect;
export type JobRow = typeof mentorJobs.$inferSelect;
export type DailyTaskRow = typeof mentorDailyTasks.$inferSelect;
export type ProfileRow = typeof mentorProfiles.$inferSelect;
