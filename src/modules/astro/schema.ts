// Tables owned by the astro module: birth data and the natal chart (one of each per user), and the
// position cache keyed by birth-data hash + rules version (shared computation, never shared rows).
import { date, doublePrecision, jsonb, pgTable, time, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, tsColumn, updatedAt } from '../../platform/db/columns.js';
import { users } from '../users/schema.js';

export const birthData = pgTable(
  'astro_birth_data',
  {
    id: idColumn(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    dateOfBirth: date('date_of_birth').notNull(),
    timeOfBirth: time('time_of_birth', { precision: 6 }).notNull(),
    timezone: varchar('timezone', { length: 64 }).notNull(),
    city: varchar('city', { length: 128 }).notNull().default(''),
    country: varchar('country', { length: 128 }).notNull().default(''),
    latitude: doublePrecision('latitude').notNull(),
    longitude: doublePrecision('longitude').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('astro_birth_data_user_key').on(t.userId)],
);

export const natalCharts = pgTable(
  'astro_natal_charts',
  {
    id: idColumn(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    birthDataId: refColumn('birth_data_id').notNull().references(() => birthData.id, { onDelete: 'cascade' }),
    birthHash: varchar('birth_hash', { length: 64 }).notNull(),
    rulesVersion: varchar('rules_version', { length: 32 }).notNull(),
    planets: jsonb('planets').$type<Record<string, unknown>>().notNull(),
    aspects: jsonb('aspects').$type<unknown[]>().notNull(),
    /** asc, mc, ramc, obliquity, latitude: any house system is derived from these. */
    angles: jsonb('angles').$type<Record<string, number>>().notNull(),
    /** sun, moon, asc, venus, mars sign names: what matching reads, without the full chart. */
    signs: jsonb('signs').$type<Record<string, string>>().notNull(),
    calculatedAt: tsColumn('calculated_at').notNull().defaultNow(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('astro_natal_charts_user_key').on(t.userId), uniqueIndex('astro_natal_charts_birth_data_key').on(t.birthDataId)],
);

export const astrologyResults = pgTable(
  'astro_results',
  {
    id: idColumn(),
    birthDataHash: varchar('birth_data_hash', { length: 64 }).notNull(),
    rulesVersion: varchar('rules_version', { length: 32 }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    computedAt: createdAt(),
  },
  (t) => [uniqueIndex('astro_results_hash_rules_key').on(t.birthDataHash, t.rulesVersion)],
);

export type BirthDataRow = typeof birthData.$inferSelect;
export type NatalChartRow = typeof natalCharts.$inferSelect;
