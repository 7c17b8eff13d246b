// The search index in PostgreSQL: full text (prefix-matched words, 'simple' configuration so any
// language works) over names, bios and post texts, plus pg_trgm similarity on handles.
import { and, eq, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { queryWords, type SearchBackend, type SearchDoc } from './backend.js';
import { searchDocuments, type DocType } from './schema.js';

const prefixQuery = (words: string[]) => words.map((w) => `${w}:*`).join(' & ');
const likePrefix = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c) + '%';

export function createPgBackend(ctx: Ctx): SearchBackend {
  const db = () => ctx.db;
  // Queries read through the replica when there is one (DATABASE_REPLICA_URL); index writes use the primary.

  function vector(doc: SearchDoc) {
    if (doc.type === 'post') return sql`to_tsvector('simple', ${doc.text})`;
    return sql`setweight(to_tsvector('simple', ${doc.name}), 'A') || setweight(to_tsvector('simple', ${doc.handle}), 'A') || setweight(to_tsvector('simple', ${doc.bio}), 'C')`;
  }

  const row = (doc: SearchDoc) => ({
    type: doc.type,
    refId: doc.refId,
    ownerId: doc.ownerId,
    visibility: doc.visibility,
    tsv: vector(doc) as unknown as string,
    handle: doc.type === 'user' ? doc.handle.toLowerCase() : '',
    updatedAt: new Date(),
  });

  async function upsertMany(docs: SearchDoc[]) {
    if (!docs.length) return;
    await db()
      .insert(searchDocuments)
      .values(docs.map(row))
      .onConflictDoUpdate({
        target: [searchDocuments.type, searchDocuments.refId],
        set: { ownerId: sql`excluded.owner_id`, visibility: sql`excluded.visibility`, tsv: sql`excluded.tsv`, handle: sql`excluded.handle`, updatedAt: sql`excluded.updated_at` },
      });
  }

  return {
    name: 'postgres',
    upsert: (doc) => upsertMany([doc]),
    upsertMany,

    async remove(type: DocType, refId: number) {
      await db().delete(searchDocuments).where(and(eq(searchDocuments.type, type), eq(searchDocuments.refId, refId)));
    },

    async users(q, limit) {
      const handle = q.toLowerCase();
      const words = queryWords(q);
      const tq = words.length ? sql`to_tsquery('simple', ${prefixQuery(words)})` : sql`null::tsquery`;
      const rows = await ctx.readDb
        .select({ id: searchDocuments.refId })
        .from(searchDocuments)
        .where(
          and(
            eq(searchDocuments.type, 'user'),
            eq(searchDocuments.visibility, 'public'),
            sql`(${searchDocuments.tsv} @@ ${tq} or ${searchDocuments.handle} % ${handle} or ${searchDocuments.handle} like ${likePrefix(handle)})`,
          ),
        )
        // Exact handle first, then full-text rank plus handle similarity.
        .orderBy(
          sql`(${searchDocuments.handle} = ${handle})::int desc`,
          sql`coalesce(ts_rank(${searchDocuments.tsv}, ${tq}), 0) + similarity(${searchDocuments.handle}, ${handle}) desc`,
          sql`${searchDocuments.refId} desc`,
        )
        .limit(limit);
      return rows.map((r) => Number(r.id));
    },

    async posts(q, viewerId, limit) {
      const words = queryWords(q);
      if (!words.length) return [];
      const rows = await ctx.readDb
        .select({ id: searchDocuments.refId })
        .from(searchDocuments)
        .where(
          and(
            eq(searchDocuments.type, 'post'),
            sql`${searchDocuments.tsv} @@ to_tsquery('simple', ${prefixQuery(words)})`,
            sql`(${searchDocuments.visibility} <> 'private' or ${searchDocuments.ownerId} = ${viewerId})`,
          ),
        )
        .orderBy(sql`${searchDocuments.refId} desc`)
        .limit(limit);
      return rows.map((r) => Number(r.id));
    },
  };
}
