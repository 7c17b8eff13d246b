// Who may see a post: the one rule every read path (detail, lists, comments, likes, feeds) applies.
import { and, eq, or, type Placeholder, type SQL } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { UserRow } from '../users/schema.js';
import { posts, type PostRow } from './schema.js';

/** What the rule needs to know about the viewer; anonymous viewers have id null. */
export interface ViewerGraph {
  id: number | null;
  /** Authors the viewer follows (at least among the authors in question). */
  following: Set<number>;
  /** Users the viewer blocked or who blocked the viewer. */
  blocked: Set<number>;
  /** Staff see content hidden by moderation (detail reads pass it). */
  staff?: boolean;
}

const ANONYMOUS: ViewerGraph = { id: null, following: new Set(), blocked: new Set() };

/** Loads the viewer's follows (restricted to `authorIds` when given: cheaper) and blocks. */
export async function viewerGraph(ctx: Ctx, viewerId: number | null, authorIds?: number[]): Promise<ViewerGraph> {
  if (viewerId === null) return ANONYMOUS;
  const users = ctx.services.users;
  const [following, blocked] = await Promise.all([
    authorIds ? users.followingAmong(viewerId, authorIds) : users.followingIds(viewerId).then((ids) => new Set(ids)),
    users.blockedIds(viewerId),
  ]);
  return { id: viewerId, following, blocked };
}

/**
 * A post is visible when its author is active and, unless the viewer wrote it, it is not hidden by
 * moderation, no block separates viewer and author, and its visibility admits the viewer.
 */
export function isVisible(post: PostRow, author: Pick<UserRow, 'isActive'> | undefined, g: ViewerGraph): boolean {
  if (!author?.isActive) return false;
  if (g.id !== null && g.id === post.authorId) return true;
  if ((post.hidden && !g.staff) || g.blocked.has(post.authorId)) return false;
  if (post.visibility === 'public') return true;
  if (post.visibility === 'followers') return g.following.has(post.authorId);
  return false;
}

/**
 * The same rule as SQL, minus the author-is-active part (that lives in the users module and is
 * checked on the loaded authors): lets lists skip most hidden rows in the database. Follows and
 * blocks are correlated subqueries the users module writes, never id lists loaded into memory.
 */
export function visibleSql(ctx: Ctx, viewerId: number | Placeholder | null): SQL {
  if (viewerId === null) return and(eq(posts.hidden, false), eq(posts.visibility, 'public'))!;
  const users = ctx.services.users;
  const audience = or(eq(posts.visibility, 'public'), and(eq(posts.visibility, 'followers'), users.followsSql(viewerId, posts.authorId)))!;
  return or(eq(posts.authorId, viewerId), and(eq(posts.hidden, false), users.notBlockedSql(viewerId, posts.authorId), audience))!;
}

/** Posts by the people `userId` follows, and their own (the following timeline's sources). */
export function followedBySql(ctx: Ctx, userId: number): SQL {
  return or(eq(posts.authorId, userId), ctx.services.users.followsSql(userId, posts.authorId))!;
}
