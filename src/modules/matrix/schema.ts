// Tables owned by the matrix module: the astro profile the app syncs, and the numerology data.
import { jsonb, pgTable, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, updatedAt } from '../../platform/db/columns.js';
import { users } from '../users/schema.js';

export const matrixAstroProfiles = pgTable(
  'matrix_astro_profiles',
  {
    id: idColumn(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    sun: varchar('sun', { length: 32 }).notNull().default(''),
    moon: varchar('moon', { length: 32 }).notNull().default(''),
    ascendant: varchar('ascendant', { length: 32 }).notNull().default(''),
    planets: jsonb('planets').$type<unknown>().notNull().default({}),
    aspects: jsonb('aspects').$type<unknown>().notNull().default({}),
    houses: jsonb('houses').$type<unknown>().notNull().default({}),
    rawPayload: jsonb('raw_payload').$type<unknown>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('matrix_astro_profiles_user_key').on(t.userId)],
);

export const matrixData = pgTable(
  'matrix_data',
  {
    id: idColumn(),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    lifePath: varchar('life_path', { length: 32 }).notNull().default(''),
    traits: jsonb('traits').$type<Record<string, unknown>>().notNull().default({}),
    rawPayload: jsonb('raw_payload').$type<unknown>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('matrix_data_user_key').on(t.userId)],
);
