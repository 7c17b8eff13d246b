// Likes of posts and comments: the unique row and the counter change in one transaction, so counts
// stay exact. Part of the one social service (service.ts).
import { and, eq, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { Posts } from './posts.js';
import type { Comments } from './comments.js';
import { commentLikes, comments, postLikes, posts } from './schema.js';
import { SOCIAL_EVENTS, type PostLikedEvent, type CommentLikedEvent } from './events.js';
import { type LikeState, commentNotFound } from './rules.js';
import { dropPostPages } from './page-tags.js';

export function createLikes(ctx: Ctx, postOps: Posts, commentOps: Comments) {
  const db = () => ctx.db;
  const { visiblePostOr404 } = postOps;
  const { canViewComment } = commentOps;

  async function likePost(userId: number, postId: number): Promise<LikeState> {
    await visiblePostOr404(userId, postId);
    const r = await db().transaction(async (tx) => {
      const ins = await tx.insert(postLikes).values({ postId, userId }).onConflictDoNothing().returning({ p: postLikes.postId });
      if (ins.length) {
        const [u] = await tx.update(posts).set({ likeCount: sql`${posts.likeCount} + 1` }).where(eq(posts.id, postId)).returning({ n: posts.likeCount, author: posts.authorId });
        await ctx.events.emit<PostLikedEvent>(SOCIAL_EVENTS.postLiked, { postId, userId, authorId: u.author }, tx);
        return { created: true, n: u.n, author: u.author };
      }
      const [p] = await tx.select({ n: posts.likeCount, author: posts.authorId }).from(posts).where(eq(posts.id, postId));
      return { created: false, n: p.n, author: p.author };
    });
    if (r.created) dropPostPages(ctx, [postId]);
    return { liked: true, like_count: r.n };
  }

  async function unlikePost(userId: number, postId: number): Promise<LikeState> {
    await visiblePostOr404(userId, postId);
    const n = await db().transaction(async (tx) => {
      const del = await tx.delete(postLikes).where(and(eq(postLikes.postId, postId), eq(postLikes.userId, userId))).returning({ p: postLikes.postId });
      if (del.length) {
        const [u] = await tx.update(posts).set({ likeCount: sql`greatest(${posts.likeCount} - 1, 0)` }).where(eq(posts.id, postId)).returning({ n: posts.likeCount });
        return u.n;
      }
      const [p] = await tx.select({ n: posts.likeCount }).from(posts).where(eq(posts.id, postId));
      return p.n;
    });
    dropPostPages(ctx, [postId]);
    return { liked: false, like_count: n };
  }

  async function likeComment(userId: number, commentId: number): Promise<LikeState> {
    if (!(await canViewComment(userId, commentId))) throw commentNotFound();
    const r = await db().transaction(async (tx) => {
      const ins = await tx.insert(commentLikes).values({ commentId, userId }).onConflictDoNothing().returning({ c: commentLikes.commentId });
      if (ins.length) {
        const [u] = await tx.update(comments).set({ likeCount: sql`${comments.likeCount} + 1` }).where(eq(comments.id, commentId)).returning({ n: comments.likeCount, author: comments.authorId });
        await ctx.events.emit<CommentLikedEvent>(SOCIAL_EVENTS.commentLiked, { commentId, userId, authorId: u.author }, tx);
        return { created: true, n: u.n, author: u.author };
      }
      const [c] = await tx.select({ n: comments.likeCount, author: comments.authorId }).from(comments).where(eq(comments.id, commentId));
      return { created: false, n: c.n, author: c.author };
    });
    return { liked: true, like_count: r.n };
  }

  async function unlikeComment(userId: number, commentId: number): Promise<LikeState> {
    if (!(await canViewComment(userId, commentId))) throw commentNotFound();
    const n = await db().transaction(async (tx) => {
      const del = await tx.delete(commentLikes).where(and(eq(commentLikes.commentId, commentId), eq(commentLikes.userId, userId))).returning({ c: commentLikes.commentId });
      if (del.length) {
        const [u] = await tx.update(comments).set({ likeCount: sql`greatest(${comments.likeCount} - 1, 0)` }).where(eq(comments.id, commentId)).returning({ n: comments.likeCount });
        return u.n;
      }
      const [c] = await tx.select({ n: comments.likeCount }).from(comments).where(eq(comments.id, commentId));
      return c.n;
    });
    return { liked: false, like_count: n };
  }

  return {
    likePost,
    unlikePost,
    likeComment,
    unlikeComment,
  };
}

export type Likes = ReturnType<typeof createLikes>;
