// The OpenSearch index (OPENSEARCH_ENABLED=true). Only the few client calls used are typed, so the
// request building is unit-tested with a fake client; a live cluster is not available in CI.
import type { Config } from '../../config.js';
import { queryWords, type SearchBackend, type SearchDoc } from './backend.js';

export const USERS_INDEX = 'users_v1';
export const POSTS_INDEX = 'posts_v1';

export interface OpenSearchLike {
  index(params: { index: string; id: string; body: Record<string, unknown>; refresh?: boolean | 'wait_for' }): Promise<unknown>;
  delete(params: { index: string; id: string }): Promise<unknown>;
  search(params: { index: string; body: Record<string, unknown> }): Promise<{ body: { hits: { hits: { _id: string }[] } } }>;
}

// Every query word is a prefix and all words must match, as in the PostgreSQL index ("ali" finds "alice";
// "marm toa" finds "marmalade on toast"): one `prefix` clause per word, on the analysed (lower-cased) tokens.
const allWordsPrefix = (words: string[], fields: { field: string; boost?: number }[]) =>
  words.map((w) => ({ bool: { should: fields.map((f) => ({ prefix: { [f.field]: { value: w, ...(f.boost ? { boost: f.boost } : {}) } } })), minimum_should_match: 1 } }));

const notFound = (err: unknown) => (err as { meta?: { statusCode?: number } })?.meta?.statusCode === 404;

export function createOpenSearchBackend(client: OpenSearchLike): SearchBackend {
  const ids = (r: { body: { hits: { hits: { _id: string }[] } } }) => r.body.hits.hits.map((h) => Number(h._id)).filter(Number.isSafeInteger);
  const backend: SearchBackend = {
    name: 'opensearch',
    async upsertMany(docs) {
      for (const d of docs) await backend.upsert(d);
    },
    async upsert(doc: SearchDoc) {
      const body =
        doc.type === 'user'
          ? { name: doc.name, handle: doc.handle.toLowerCase(), bio: doc.bio, owner_id: doc.ownerId, visibility: doc.visibility }
          : { text: doc.text, owner_id: doc.ownerId, visibility: doc.visibility, ref_id: doc.refId };
      await client.index({ index: doc.type === 'user' ? USERS_INDEX : POSTS_INDEX, id: String(doc.refId), body });
    },
    async remove(type, refId) {
      try {
        await client.delete({ index: type === 'user' ? USERS_INDEX : POSTS_INDEX, id: String(refId) });
      } catch (err) {
        if (!notFound(err)) throw err;
      }
    },
    async users(q, limit) {
      const words = queryWords(q);
      const r = await client.search({
        index: USERS_INDEX,
        body: {
          size: limit,
          query: {
            bool: {
              filter: [{ term: { visibility: 'public' } }],
              should: [
                ...(words.length ? [{ bool: { must: allWordsPrefix(words, [{ field: 'name', boost: 2 }, { field: 'handle' }, { field: 'bio' }]) } }] : []),
                { prefix: { handle: { value: q.toLowerCase() } } },
                { fuzzy: { handle: { value: q.toLowerCase(), fuzziness: 'AUTO' } } },
              ],
              minimum_should_match: 1,
            },
          },
        },
      });
      return ids(r);
    },
    async posts(q, viewerId, limit) {
      const words = queryWords(q);
      if (!words.length) return [];
      const r = await client.search({
        index: POSTS_INDEX,
        body: {
          size: limit,
          sort: [{ ref_id: 'desc' }],
          query: {
            bool: {
              must: allWordsPrefix(words, [{ field: 'text' }]),
              filter: [{ bool: { should: [{ terms: { visibility: ['public', 'followers'] } }, { term: { owner_id: viewerId } }], minimum_should_match: 1 } }],
            },
          },
        },
      });
      return ids(r);
    },
  };
  return backend;
}

/** Builds the real client; the package is loaded only when OpenSearch is enabled. */
export async function connectOpenSearch(cfg: Config['opensearch']): Promise<OpenSearchLike> {
  const { Client } = await import('@opensearch-project/opensearch');
  const client = new Client({ node: cfg.url, ...(cfg.username ? { auth: { username: cfg.username, password: cfg.password } } : {}) });
  return client as unknown as OpenSearchLike;
}
