// What a search index must do. The PostgreSQL index is the default; OpenSearch replaces it when
// OPENSEARCH_ENABLED=true. Both return candidate ids only: callers re-check them through the owning
// modules' services (visibility, blocks, suspended accounts) before anything is shown.
import type { DocType } from './schema.js';

export interface UserDoc { type: 'user'; refId: number; ownerId: number; visibility: 'public' | 'inactive'; name: string; bio: string; handle: string }
export interface PostDoc { type: 'post'; refId: number; ownerId: number; visibility: string; text: string }
export type SearchDoc = UserDoc | PostDoc;

export interface SearchBackend {
  readonly name: string;
  upsert(doc: SearchDoc): Promise<void>;
  /** Many documents at once (reindexing). */
  upsertMany(docs: SearchDoc[]): Promise<void>;
  remove(type: DocType, refId: number): Promise<void>;
  /** Active users matching `q`, best first. */
  users(q: string, limit: number): Promise<number[]>;
  /** Posts matching `q` that the viewer could see by visibility alone, newest first. */
  posts(q: string, viewerId: number, limit: number): Promise<number[]>;
}

/** Letters/digits words of a query, lower-cased: safe to splice into a tsquery, no operators. */
export function queryWords(q: string): string[] {
  return (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 8);
}
