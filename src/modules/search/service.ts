// The search module: keeps its own index (search_documents, or OpenSearch) in step with users and
// posts through jobs, and answers queries with results re-checked by the owning modules.
import type { Ctx } from '../../context.js';
import type { Viewer } from '../users/present.js';
import type { PostDoc, SearchBackend, UserDoc } from './backend.js';
import { decodeCursor, type Keyset } from '../../platform/http/pagination.js';
import type { UserRow } from '../users/schema.js';
import type { PostRow } from '../social/schema.js';
import { createPgBackend } from './pg-backend.js';
import { connectOpenSearch, createOpenSearchBackend } from './opensearch-backend.js';

/** Candidates fetched per wanted result: some are dropped by the visibility/blocks re-check. */
const OVERFETCH = 3;

export function createSearchService(ctx: Ctx) {
  let backendP: Promise<SearchBackend> | null = null;
  const backend = () =>
    (backendP ??= ctx.config.opensearch.enabled ? connectOpenSearch(ctx.config.opensearch).then(createOpenSearchBackend) : Promise.resolve(createPgBackend(ctx)));
  const users = () => ctx.services.users;
  const social = () => ctx.services.social;

  const userDoc = (u: UserRow): UserDoc => ({ type: 'user', refId: u.id, ownerId: u.id, visibility: u.isActive ? 'public' : 'inactive', name: u.name, bio: u.bio, handle: u.handle });
  const postDoc = (p: PostRow): PostDoc => ({ type: 'post', refId: p.id, ownerId: p.authorId, visibility: p.visibility, text: p.text });

  async function indexUser(userId: number) {
    const u = await users().getById(userId);
    const b = await backend();
    if (!u) return b.remove('user', userId);
    await b.upsert(userDoc(u));
  }

  async function indexPost(postId: number, authorId: number) {
    const b = await backend();
    // The author always sees their own post unless they are suspended; then keep the old document.
    const p = await social().getPost(authorId, postId);
    if (!p) {
      if (!(await social().postExists(postId))) await b.remove('post', postId);
      return;
    }
    await b.upsert(postDoc(p));
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
    removePost,
    searchUsers,
    searchPosts,
    reindex,
    /** Tests and tools may swap the index (e.g. a fake OpenSearch client). */
    useBackend: (b: SearchBackend) => void (backendP = Promise.resolve(b)),
  };
}

export type SearchService = ReturnType<typeof createSearchService>;
