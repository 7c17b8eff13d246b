// Tables owned by the users module: accounts, sessions, the follow graph, blocks, devices, profiles.
import { sql } from 'drizzle-orm';
import { boolean, date, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, time, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, tsColumn, updatedAt } from '../../platform/db/columns.js';

export const users = pgTable(
  'users',
  {
    id: idColumn(),
    email: varchar('email', { length: 254 }).notNull(),
    handle: varchar('handle', { length: 30 }).notNull(),
    name: varchar('name', { length: 120 }).notNull().default(''),
    bio: text('bio').notNull().default(''),
    photo: varchar('photo', { length: 500 }).notNull().default(''),
    birthDate: date('birth_date'),
    birthTime: time('birth_time'),
    birthPlace: varchar('birth_place', { length: 255 }).notNull().default(''),
    locale: varchar('locale', { length: 32 }).notNull().default('en-US'),
    flags: jsonb('flags').$type<Record<string, unknown>>().notNull().default({}),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    password: varchar('password', { length: 255 }).notNull(),
    isActive: boolean('is_active').notNull().default(true),
    isStaff: boolean('is_staff').notNull().default(false),
    isSuperuser: boolean('is_superuser').notNull().default(false),
    roles: text('roles').array().notNull().default(sql`'{}'::text[]`),
    followersCount: integer('followers_count').notNull().default(0),
    followingCount: integer('following_count').notNull().default(0),
    postsCount: integer('posts_count').notNull().default(0),
    lastLogin: tsColumn('last_login'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    uniqueIndex('users_handle_lower_key').on(sql`lower(${t.handle})`),
    index('users_created_idx').on(t.createdAt, t.id),
  ],
);

export type UserRow = typeof users.$inferSelect;

/** A session is one refresh-token family; revoking it kills its access tokens too. */
export const authSessions = pgTable(
  'auth_sessions',
  {
    id: idColumn(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    refreshJti: varchar('refresh_jti', { length: 64 }).notNull(),
    userAgent: varchar('user_agent', { length: 255 }).notNull().default(''),
    createdAt: createdAt(),
    lastUsedAt: tsColumn('last_used_at').notNull().defaultNow(),
    revokedAt: tsColumn('revoked_at'),
  },
  (t) => [index('auth_sessions_user_idx').on(t.userId)],
);

export const follows = pgTable(
  'follows',
  {
    followerId: refColumn('follower_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    followeeId: refColumn('followee_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.followerId, t.followeeId] }),
    // follower lists, newest first
    index('follows_followee_idx').on(t.followeeId, t.createdAt),
    // a post's fan-out reads its author's follower ids in keyset pages (users_follower_ids_page): without
    // it PostgreSQL walked the whole primary key for them (2 ms a post with 100,000 follows)
    index('follows_followee_follower_idx').on(t.followeeId, t.followerId),
  ],
);

export const blocks = pgTable(
  'blocks',
  {
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    targetId: refColumn('target_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.targetId] }), index('blocks_target_idx').on(t.targetId)],
);

export const mutes = pgTable(
  'mutes',
  {
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    targetId: refColumn('target_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.targetId] })],
);

export const devices = pgTable(
  'devices',
  {
    id: idColumn(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    deviceType: varchar('device_type', { length: 32 }).notNull(),
    pushToken: varchar('push_token', { length: 255 }).notNull(),
    lastSeen: tsColumn('last_seen').notNull().defaultNow(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('devices_push_token_key').on(t.pushToken), index('devices_user_idx').on(t.userId, t.createdAt)],
);

export const personalMaps = pgTable('personal_maps', {
  userId: refColumn('user_id').primaryKey().references(() => users.id, { onDelete: 'cascade' }),
  firstName: varchar('first_name', { length: 120 }).notNull().default(''),
  lastName: varchar('last_name', { length: 120 }).notNull().default(''),
  birthDate: date('birth_date'),
  birthTime: time('birth_time'),
  birthPlaceCountry: varchar('birth_place_country', { length: 120 }).notNull().default(''),
  birthPlaceCity: varchar('birth_place_city', { length: 120 }).notNull().default(''),
  birthLatitude: doublePrecision('birth_latitude'),
  birthLongitude: doublePrecision('birth_longitude'),
  avatarKey: varchar('avatar_key', { length: 255 }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const userProfiles = pgTable('user_profiles', {
  userId: refColumn('user_id').primaryKey().references(() => users.id, { onDelete: 'cascade' }),
  gender: varchar('gender', { length: 32 }).notNull().default(''),
  orientation: varchar('orientation', { length: 32 }).notNull().default(''),
  relationshipGoal: varchar('relationship_goal', { length: 32 }).notNull().default('unsure'),
  values: jsonb('values').$type<string[]>().notNull().default([]),
  preferredLifestyle: jsonb('preferred_lifestyle').$type<string[]>().notNull().default([]),
  attachmentStyle: varchar('attachment_style', { length: 32 }).notNull().default(''),
  loveLanguage: jsonb('love_language').$type<string[]>().notNull().default([]),
  birthDate: date('birth_date'),
  birthTime: time('birth_time'),
  birthCity: varchar('birth_city', { length: 128 }).notNull().default(''),
  birthCountry: varchar('birth_country', { length: 128 }).notNull().default(''),
  birthTimezone: varchar('birth_timezone', { length: 64 }).notNull().default(''),
  birthLatitude: doublePrecision('birth_latitude'),
  birthLongitude: doublePrecision('birth_longitude'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const socialAccounts = pgTable(
  'social_accounts',
  {
    id: idColumn(),
    provider: varchar('provider', { length: 16 }).notNull(),
    subject: varchar('subject', { length: 255 }).notNull(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    email: varchar('email', { length: 254 }).notNull().default(''),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('social_accounts_provider_subject_key').on(t.provider, t.subject), index('social_accounts_user_idx').on(t.userId)],
);
