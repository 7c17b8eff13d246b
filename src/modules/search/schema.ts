// The search module's own index table: documents copied from users and posts by jobs, so search
// never reads other modules' tables. Name/bio/text go into a tsvector, handles into a trigram index.
import { sql } from 'drizzle-orm';
import { customType, index, pgTable, text, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { idColumn, refColumn, updatedAt } from '../../platform/db/columns.js';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const DOC_TYPES = ['user', 'post'] as const;
export type DocType = (typeof DOC_TYPES)[number];

export const searchDocuments = pgTable(
  'search_documents',
  {
    id: idColumn(),
    type: varchar('type', { length: 8 }).$type<DocType>().notNull(),
    refId: refColumn('ref_id').notNull(),
    ownerId: refColumn('owner_id').notNull(),
    /** Posts: public/followers/private. Users: public, or inactive while suspended. */
    visibility: varchar('visibility', { length: 16 }).notNull(),
    tsv: tsvector('tsv').notNull(),
    /** Lower-cased handle (users only), for trigram similarity. */
    handle: text('handle').notNull().default(''),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('search_documents_type_ref_key').on(t.type, t.refId),
    index('search_documents_tsv_idx').using('gin', t.tsv),
    index('search_documents_handle_trgm_idx').using('gin', sql`${t.handle} gin_trgm_ops`),
  ],
);

export type SearchDocumentRow = typeof searchDocuments.$inferSelect;
