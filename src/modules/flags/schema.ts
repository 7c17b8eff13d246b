// Feature flags (admin-managed rows).
import { boolean, numeric, pgTable, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, updatedAt } from '../../platform/db/columns.js';

export const featureFlags = pgTable('feature_flags', {
  id: idColumn(),
  key: varchar('key', { length: 64 }).notNull().unique(),
  description: varchar('description', { length: 255 }).notNull().default(''),
  enabled: boolean('enabled').notNull().default(false),
  // Percentage of users (by id) that see the flag; null means everyone.
  rollout: numeric('rollout', { precision: 5, scale: 2, mode: 'number' }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
