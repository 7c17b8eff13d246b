// Column helpers shared by every module's tables (wire rules: bigint ids below 10^15, ms timestamps).
import { bigint, timestamp } from 'drizzle-orm/pg-core';

export const idColumn = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity();
export const refColumn = (name: string) => bigint(name, { mode: 'number' });
// Millisecond precision so keyset cursors (JS Dates) compare exactly with stored values.
export const tsColumn = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });
export const createdAt = () => tsColumn('created_at').notNull().defaultNow();
export const updatedAt = () => tsColumn('updated_at').notNull().defaultNow();
