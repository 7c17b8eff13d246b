// The search module: keeps its own index (search_documents, or OpenSearch) in step with users and
// posts through jobs, and answers queries with results re-checked by the owning modules.
import { isDeepStrictEqual } from 'node:util';
import type { Ctx } from '../../context.js';
import type { Viewer } from '../users/present.js';
import type { PostDoc, SearchBackend, SearchDoc, UserDoc } from './backend.js';
import { decodeCursor, type Keyset } from '../../platform/http/pagination.js';
import type { UserRow } from '../users/schema.js';
import type { PostRow } from '../social/schema.js';
import { createPgBackend } from './pg-backend.js';
import { connectOpenSearch, createOpenSearchBackend } from './opensearch-backend.js';

/** Candidates fetched per wanted result: some are dropped by the visibility/blocks re-check. */
const OVERFETCH = 3;
/** Writes one index job makes before it gives up on a row that keeps changing (and is retried). */
const CONVERGE_TRIES = 5;

export function createSearchService(ctx: Ctx) {
  let backendP: Promise<SearchBackend> | null = null;
  const backend = () =>
    (backendP ??= ctx.config.opensearch.enabled ? connectOpenSearch(ctx.config.opensearch).then(createOpenSearchBackend) : Promise.resolve(createPgBackend(ctx)));
  const users = () => ctx.services.users;
  const social = () => ctx.services.social;

  const userDoc = (u: UserRow): UserDoc => ({ type: 'user', refId: u.id, ownerId: u.id, visibility: u.isActive ? 'public' : 'inactive', name: u.name, bio: u.bio, handle: u.handle });
  const postDoc = (p: PostRow): PostDoc => ({ type: 'post', refId: p.id, ownerId: p.authorId, visibility: p.visibility, text: p.text });

  /** What the index should hold for a row now: a document, nothing, or (an unreadable row that still exists) no change. */
  type Wanted = SearchDoc | 'remove' | 'keep';

  /**
   * Writes what `read` says, then reads again and repeats if the row moved meanwhile. Two jobs for
   * one row can run at once (a sign-up's and the profile edit right after it): without the re-read
   * the one that read first could write last and leave the older document in place for good.
   * The last write is always followed by a read of the row's last state, so the index ends there.
   */
  async function converge(type: SearchDoc['type'], refId: number, read: () => Promise<Wanted>) {
    const b = await backend();
    let want = await read();
    for (let i = 0; i < CONVERGE_TRIES; i++) {
      if (want === 'keep') return;
      if (want === 'remove') await b.remove(type, refId);
      else await b.upsert(want);
      const now = await read();
      if (isDeepStrictEqual(now, want)) return;
      want = now;
    }
    // A row edited faster than it can be indexed: the job fails and its retry starts over.
    throw new Error(`search: ${type} ${refId} kept changing while being indexed`);
  }

  const indexUser = (userId: number) =>
    converge('user', userId, async () => {
      const u = await users().getById(userId);
      return u ? userDoc(u) : 'remove';
    });

  const indexPost = (postId: number, authorId: number) =>
    converge('post', postId, async () => {
      // The author always sees their own post unless they are suspended; then keep the old document.
      const p = await social().getPost(authorId, postId);
      if (p) return postDoc(p);
      return (await social().postExists(postId)) ? 'keep' : 'remove';
    });

  /**
   * New posts of one relay batch: read together (the page query answers a turn's reads at once),
   * written in one statement, read again together; a post missing or changed meanwhile goes through
   * converge() on its own.
   */
  async function indexPosts(refs: { postId: number; authorId: number }[]) {
    if (refs.length < 2) {
      for (const r of refs) await indexPost(r.postId, r.authorId);
      return;
    }
    const read = () => Promise.all(refs.map((r) => social().getPost(r.authorId, r.postId).then((p) => (p ? postDoc(p) : null))));
    const first = await read();
    await (await backend()).upsertMany(first.filter((d): d is PostDoc => d !== null));
    const again = await read();
    await Promise.all(refs.map((r, i) => (first[i] && isDeepStrictEqual(first[i], again[i]) ? undefined : indexPost(r.postId, r.authorId))));
  }

  async function removePost(postId: number) {
    await (await backend()).remove('post', postId);
  }

  async function searchUsers(viewer: Viewer, q: string, limit: number, origin: string) {
    const ids = await (await backend()).users(q, limit * OVERFETCH);
    const [rows, blocked] = await Promise.all([users().getMany(ids), users().blockedIds(viewer.id)]);
    const keep = ids.map((id) => rows.get(id)).filter((u) => u !== undefined && u.isActive && !blocked.has(u.id)).slice(0, limit);
    return users().present(viewer, keep as NonNullable<(typeof keep)[number]>[], { origin });
  }

  async function searchPosts(viewer: Viewer, q: string, limit: number, origin: string) {
    const ids = await (await backend()).posts(q, viewer.id, limit * OVERFETCH);
    const rows = (await social().getVisiblePostsByIds(viewer.id, ids)).slice(0, limit);
    return social().presentPosts(viewer, rows, origin);
  }

  /** Rebuilds the index from the users and social services (active users and their posts). */
  async function reindex(progress: (msg: string) => void = () => undefined): Promise<{ users: number; posts: number }> {
    let nUsers = 0;
    let nPosts = 0;
    const b = await backend();
    let cursor: Keyset | null = null;
    for (;;) {
      const page = await users().list({ cursor, limit: 500 });
      await b.upsertMany(page.rows.map(userDoc));
      nUsers += page.rows.length;
      for (const u of page.rows) {
        // Each author sees all their own posts: the one read that covers every visibility.
        let before: Keyset | null = null;
        for (;;) {
          const posts = await social().listRecentVisible({ viewerId: u.id, authorIds: [u.id], before, limit: 200 });
          await b.upsertMany(posts.rows.map(postDoc));
          nPosts += posts.rows.length;
          if (!posts.next) break;
          before = posts.next;
        }
      }
      progress(`indexed ${nUsers} users, ${nPosts} posts`);
      if (!page.nextCursor) break;
      cursor = decodeCursor(page.nextCursor);
    }
    return { users: nUsers, posts: nPosts };
  }

  return {
    indexUser,
    indexPost,
    indexPosts,
    removePost,
    searchUsers,
    searchPosts,
    reindex,
    /** Tests and tools may swap the index (e.g. a fake OpenSearch client). */
    useBackend: (b: SearchBackend) => void (backendP = Promise.resolve(b)),
  };
}

export type SearchService = ReturnType<typeof createSearchService>;
