// Tables owned by the media module: one row per stored (or announced) media file.
import { sql } from 'drizzle-orm';
import { bigint, boolean, doublePrecision, index, integer, jsonb, pgTable, varchar } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, tsColumn, updatedAt } from '../../platform/db/columns.js';
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
    /**
     * When a post or comment first used the asset (`markUsed`, or born with one); null = an upload
     * nothing has used yet, which retention purges after MEDIA_ORPHAN_HOURS. Never cleared: media
     * once published stays until its owner deletes it or the account goes (contract §6.10).
     */
    usedAt: tsColumn('used_at'),
    /** Set by retention when it takes an orphan: the row stays (hidden, unusable) until its file is gone. */
    purgingSince: tsColumn('purging_since'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('media_assets_owner_idx').on(t.ownerId, t.createdAt, t.id),
    // Retention's two scans: unused uploads by age, and rows whose file deletion is still pending.
    index('media_assets_unused_idx').on(t.createdAt, t.id).where(sql`${t.usedAt} is null and ${t.purgingSince} is null`),
    index('media_assets_purging_idx').on(t.id).where(sql`${t.purgingSince} is not null`),
  ],
);

export type MediaRow = typeof mediaAssets.$inferSelect;
