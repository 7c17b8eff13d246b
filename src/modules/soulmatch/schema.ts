// Tables owned by the soulmatch module: v2 results (per direction, with the inputs they came from)
// and the legacy v1 profiles and scores (soulmatch/, soulmatch/refresh/).
import { doublePrecision, index, jsonb, pgTable, primaryKey, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, updatedAt } from '../../platform/db/columns.js';
import { users } from '../users/schema.js';

export const soulmatchResults = pgTable(
  'soulmatch_results',
  {
    id: idColumn(),
    viewerId: refColumn('viewer_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    targetId: refColumn('target_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    rulesVersion: varchar('rules_version', { length: 32 }).notNull(),
    /** Digest of both sides' inputs: a result is used only while they are unchanged. */
    inputsDigest: varchar('inputs_digest', { length: 64 }).notNull(),
    score: doublePrecision('score').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    computedAt: createdAt(),
  },
  (t) => [uniqueIndex('soulmatch_results_pair_key').on(t.viewerId, t.targetId, t.rulesVersion)],
);

export const soulmatchProfiles = pgTable('soulmatch_profiles', {
  userId: refColumn('user_id').primaryKey().references(() => users.id, { onDelete: 'cascade' }),
  sun: varchar('sun', { length: 32 }).notNull().default(''),
  moon: varchar('moon', { length: 32 }).notNull().default(''),
  lifePath: varchar('life_path', { length: 32 }).notNull().default(''),
  avgSentiment: doublePrecision('avg_sentiment').notNull().default(0),
  socialScore: doublePrecision('social_score').notNull().default(0),
  traits: jsonb('traits').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const soulmatchScores = pgTable(
  'soulmatch_scores',
  {
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    targetId: refColumn('target_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    score: doublePrecision('score').notNull(),
    breakdown: jsonb('breakdown').$type<Record<string, number>>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.targetId] }), index('soulmatch_scores_user_score_idx').on(t.userId, t.score)],
);
