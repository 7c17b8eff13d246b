// Tables owned by the media module: one row per stored (or announced) media file.
import { bigint, boolean, doublePrecision, index, integer, jsonb, pgTable, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, updatedAt } from '../../platform/db/columns.js';
import { users } from '../users/schema.js';

export const MEDIA_STATUSES = ['pending', 'processing', 'ready', 'failed'] as const;
export type MediaStatus = (typeof MEDIA_STATUSES)[number];

export const mediaAssets = pgTable(
  'media_assets',
  {
    id: idColumn(),
    ownerId: refColumn('owner_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    s3Key: varchar('s3_key', { length: 255 }).notNull(),
    mime: varchar('mime', { length: 64 }).notNull(),
    width: integer('width'),
    height: integer('height'),
    duration: doublePrecision('duration'),
    status: varchar('status', { length: 16 }).$type<MediaStatus>().notNull().default('pending'),
    checksum: varchar('checksum', { length: 128 }).notNull().default(''),
    meta: jsonb('meta').$type<Record<string, unknown>>().notNull().default({}),
    /** Bytes of the stored file; null for metadata-only records created through JSON. */
    size: bigint('size', { mode: 'number' }),
    /** True when the file lives in our storage (we uploaded it), so deleting the row deletes the file. */
    stored: boolean('stored').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('media_assets_owner_idx').on(t.ownerId, t.createdAt, t.id)],
);

export type MediaRow = typeof mediaAssets.$inferSelect;
