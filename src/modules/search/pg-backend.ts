// The search index in PostgreSQL: full text (prefix-matched words, 'simple' configuration so any
// language works) over names, bios and post texts, plus pg_trgm similarity on handles.
import { and, eq, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { prepared } from '../../platform/db/prepared.js';
import { queryWords, type SearchBackend, type SearchDoc } from './backend.js';
import { searchDocuments, type DocType } from './schema.js';

const prefixQuery = (words: string[]) => words.map((w) => `${w}:*`).join(' & ');
const likePrefix = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c) + '%';

export function createPgBackend(ctx: Ctx): SearchBackend {
  const db = () => ctx.db;
  // Queries read through the replica when there is one (DATABASE_REPLICA_URL); index writes use the primary.

  // A batch of documents is one prepared statement over arrays: built as a multi-row VALUES, drizzle
  // merged ~7 parameters per document on every call (a quarter of the worker's CPU when posts were
  // indexed a relay batch at a time) and PostgreSQL parsed and planned each batch size anew.
  const upsertStatement = prepared('search_upsert_documents', (d) => {
    const p = (name: string, type: string) => sql`${sql.placeholder(name)}::${sql.raw(type)}[]`;
    const written = d.$with('written', { id: sql<number>`id`.as('id') }).as(
      sql`insert into ${searchDocuments} (type, ref_id, owner_id, visibility, tsv, handle, updated_at)
          select doc.type, doc.ref_id, doc.owner_id, doc.visibility,
                 case when doc.type = 'post' then to_tsvector('simple', doc.text)
                      else setweight(to_tsvector('simple', doc.name), 'A') || setweight(to_tsvector('simple', doc.handle), 'A') || setweight(to_tsvector('simple', doc.bio), 'C') end,
                 doc.handle_key, now()
          from unnest(${p('types', 'text')}, ${p('refIds', 'bigint')}, ${p('ownerIds', 'bigint')}, ${p('visibilities', 'text')}, ${p('texts', 'text')}, ${p('names', 'text')}, ${p('handles', 'text')}, ${p('bios', 'text')}, ${p('handleKeys', 'text')})
               as doc(type, ref_id, owner_id, visibility, text, name, handle, bio, handle_key)
          on conflict (type, ref_id) do update set owner_id = excluded.owner_id, visibility = excluded.visibility, tsv = excluded.tsv, handle = excluded.handle, updated_at = excluded.updated_at
          returning id`,
    );
    return d.with(written).select({ n: sql<number>`count(*)::int` }).from(written);
  });

  async function upsertMany(docs: SearchDoc[]) {
    // (one row may not be written twice by a statement: the last document of a ref wins)
    const byRef = new Map(docs.map((doc) => [`${doc.type}:${doc.refId}`, doc]));
    if (!byRef.size) return;
    const batch = [...byRef.values()];
    const user = (doc: SearchDoc) => (doc.type === 'user' ? doc : null);
    await upsertStatement(db()).execute({
      types: batch.map((doc) => doc.type),
      refIds: batch.map((doc) => doc.refId),
      ownerIds: batch.map((doc) => doc.ownerId),
      visibilities: batch.map((doc) => doc.visibility),
      texts: batch.map((doc) => (doc.type === 'post' ? doc.text : '')),
      names: batch.map((doc) => user(doc)?.name ?? ''),
      handles: batch.map((doc) => user(doc)?.handle ?? ''),
      bios: batch.map((doc) => user(doc)?.bio ?? ''),
      handleKeys: batch.map((doc) => user(doc)?.handle.toLowerCase() ?? ''),
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
