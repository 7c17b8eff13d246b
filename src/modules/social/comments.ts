// Comments: visibility with their post, the paged list, create (with images), edit, delete with
// replies, and moderation. Part of the one social service (service.ts).
import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { Posts } from './posts.js';
import { ApiError, fieldError } from '../../platform/http/errors.js';
import type { UserRow } from '../users/schema.js';
import { commentMedia, comments, posts, type CommentRow } from './schema.js';
import { SOCIAL_EVENTS, type CommentCreatedEvent, type CommentDeletedEvent } from './events.js';
import { MAX_IMAGES, type NewComment, commentNotFound, invalidPk } from './rules.js';
import { dropPostPages } from './page-tags.js';

export function createComments(ctx: Ctx, postOps: Posts) {
  const db = () => ctx.db;
  const users = () => ctx.services.users;
  const media = () => ctx.services.media;
  const { getPost, visiblePostOr404, recordStored } = postOps;

  async function commentRow(id: number): Promise<CommentRow | null> {
    const [c] = await db().select().from(comments).where(eq(comments.id, id)).limit(1);
    return c ?? null;
  }

  /**
   * Comments are visible with their post, unless their own author is suspended or blocked/blocking,
   * or moderation hid them (then only their author and staff see them).
   */
  async function getComment(viewerId: number | null, id: number, staff = false): Promise<CommentRow | null> {
    const c = await commentRow(id);
    if (!c) return null;
    if (c.hidden && c.authorId !== viewerId && !(staff && viewerId !== null)) return null;
    if (!(await getPost(viewerId, c.postId, staff))) return null;
    if (c.authorId !== viewerId) {
      const author = await users().getById(c.authorId);
      if (!author?.isActive) return null;
      if (viewerId !== null && (await users().isBlockedEitherWay(viewerId, c.authorId))) return null;
    }
    return c;
  }

  async function canViewComment(viewerId: number | null, commentId: number): Promise<boolean> {
    return (await getComment(viewerId, commentId)) !== null;
  }

  const commentExists = async (id: number) => (await commentRow(id)) !== null;
  const getCommentOwner = async (id: number) => (await commentRow(id))?.authorId ?? null;

  /** Moderation: hides a comment from everyone but its author and staff (or shows it again). */
  async function hideComment(id: number, hidden = true): Promise<boolean> {
    const r = await db().update(comments).set({ hidden }).where(eq(comments.id, id)).returning({ id: comments.id });
    if (!r.length) return false;
    if (hidden) await ctx.services.realtime.recheck({ channels: [`comment:${id}`] });
    return true;
  }

  // ---- comments ----

  /**
   * One page (1-based) of a visible post's comments, oldest first, without blocked or suspended
   * authors or comments hidden by moderation (their author and staff still see them). The author
   * rules are anti-joins in the one query: no scan of the post's commenters.
   */
  async function listComments(viewerId: number | null, postId: number, page: number, pageSize: number, staff = false): Promise<{ rows: CommentRow[]; hasNext: boolean }> {
    await visiblePostOr404(viewerId, postId, staff);
    const u = users();
    const authorOk = viewerId === null ? u.activeSql(comments.authorId) : or(eq(comments.authorId, viewerId), and(u.activeSql(comments.authorId), u.notBlockedSql(viewerId, comments.authorId)));
    const shown = staff && viewerId !== null ? undefined : viewerId === null ? eq(comments.hidden, false) : or(eq(comments.hidden, false), eq(comments.authorId, viewerId));
    const rows = await db()
      .select()
      .from(comments)
      .where(and(eq(comments.postId, postId), authorOk, shown))
      .orderBy(asc(comments.createdAt), asc(comments.id))
      .limit(pageSize + 1)
      .offset((page - 1) * pageSize);
    return { rows: rows.slice(0, pageSize), hasNext: rows.length > pageSize };
  }

  async function createComment(author: UserRow, input: NewComment): Promise<CommentRow> {
    const images = input.images ?? [];
    const text = (input.text ?? '').trim();
    if (images.length > MAX_IMAGES) throw fieldError('images', `You can upload up to ${MAX_IMAGES} images.`);
    if (!text && !images.length) throw new ApiError(400, { non_field_errors: ['Write a comment or attach a photo.'] });
    // Commenting needs the post to be visible to the commenter; otherwise it does not exist for them.
    const post = await getPost(author.id, input.postId);
    if (!post) throw invalidPk('post', input.postId);

    const stored = await media().storeUploads(
      author.id,
      images.map((file) => ({ file, rules: { field: 'images', accept: ['image' as const], prefix: 'comments/images' } })),
    );
    let result: { comment: CommentRow; postAuthorId: number; parentAuthorId: number | null };
    try {
      result = await db().transaction(async (tx) => {
        // Counting first locks the post row: comment creates and deletes on one post run one at a time.
        const [locked] = await tx
          .update(posts)
          .set({ commentCount: sql`${posts.commentCount} + 1` })
          .where(eq(posts.id, input.postId))
          .returning({ author: posts.authorId });
        if (!locked) throw invalidPk('post', input.postId);
        let parentAuthorId: number | null = null;
        if (input.parentId !== undefined && input.parentId !== null) {
          const [parent] = await tx.select().from(comments).where(eq(comments.id, input.parentId)).limit(1);
          if (!parent || parent.postId !== input.postId) throw fieldError('parent', 'Parent comment must belong to the same post.');
          parentAuthorId = parent.authorId;
        }
        const [c] = await tx
          .insert(comments)
          .values({ postId: input.postId, authorId: author.id, parentId: input.parentId ?? null, text })
          .returning();
        const ids = await recordStored(tx, author.id, stored);
        if (ids.length) await tx.insert(commentMedia).values(ids.map((mediaId, i) => ({ commentId: c.id, mediaId, position: i })));
        await ctx.events.emit<CommentCreatedEvent>(
          SOCIAL_EVENTS.commentCreated,
          {
            commentId: c.id,
            postId: c.postId,
            authorId: c.authorId,
            postAuthorId: locked.author,
            parentAuthorId,
            text: c.text,
            visibility: post.visibility,
          },
          tx,
        );
        return { comment: c, postAuthorId: locked.author, parentAuthorId };
      });
    } catch (err) {
      await media().discard(stored.map((s) => s.key));
      throw err;
    }
    dropPostPages(ctx, [result.comment.postId]);
    return result.comment;
  }

  async function ownCommentOr404(userId: number, id: number): Promise<CommentRow> {
    const c = await commentRow(id);
    if (!c || c.authorId !== userId) throw commentNotFound();
    return c;
  }

  async function updateComment(userId: number, id: number, text: string): Promise<CommentRow> {
    const c = await ownCommentOr404(userId, id);
    const trimmed = text.trim();
    if (!trimmed) {
      const [{ n }] = await db().select({ n: sql<number>`count(*)::int` }).from(commentMedia).where(eq(commentMedia.commentId, id));
      if (!n) throw new ApiError(400, { non_field_errors: ['Write a comment or attach a photo.'] });
    }
    const [saved] = await db().update(comments).set({ text: trimmed, updatedAt: new Date() }).where(eq(comments.id, c.id)).returning();
    if (!saved) throw commentNotFound();
    return saved;
  }

  /** Deletes a comment and its replies; comment_count drops by exactly the number removed. */
  async function deleteComment(userId: number | null, id: number): Promise<boolean> {
    const first = await commentRow(id);
    if (!first || (userId !== null && first.authorId !== userId)) throw commentNotFound();
    const { removed, keys } = await db().transaction(async (tx) => {
      // The same row lock comment creation takes (a counter update), without blocking likes' key-share locks.
      await tx.select({ id: posts.id }).from(posts).where(eq(posts.id, first.postId)).for('no key update');
      const tree = await tx.execute(sql`
        with recursive tree as (
          select id from comments where id = ${id}
          union all
          select c.id from comments c join tree on c.parent_id = tree.id)
        select id from tree`);
      const ids = (tree as unknown as { rows: { id: number | string }[] }).rows.map((r) => Number(r.id));
      const imageRows = ids.length ? await tx.select({ id: commentMedia.mediaId }).from(commentMedia).where(inArray(commentMedia.commentId, ids)) : [];
      const removed = ids.length
        ? await tx.delete(comments).where(inArray(comments.id, ids)).returning({ id: comments.id, authorId: comments.authorId, postId: comments.postId })
        : [];
      if (removed.length) {
        await tx.update(posts).set({ commentCount: sql`greatest(${posts.commentCount} - ${removed.length}, 0)` }).where(eq(posts.id, first.postId));
      }
      const keys = await media().deleteMany(imageRows.map((r) => r.id), tx);
      for (const r of removed) await ctx.events.emit<CommentDeletedEvent>(SOCIAL_EVENTS.commentDeleted, { commentId: r.id, postId: r.postId, authorId: r.authorId }, tx);
      return { removed, keys };
    });
    if (!removed.length) throw commentNotFound();
    dropPostPages(ctx, [first.postId]);
    await media().discard(keys);
    return true;
  }

  async function getVisibleCommentOr404(viewerId: number | null, id: number, staff = false): Promise<CommentRow> {
    const c = await getComment(viewerId, id, staff);
    if (!c) throw commentNotFound();
    return c;
  }

  return {
    commentRow,
    getComment,
    canViewComment,
    commentExists,
    getCommentOwner,
    hideComment,
    listComments,
    createComment,
    updateComment,
    deleteComment,
    getVisibleCommentOr404,
  };
}

export type Comments = ReturnType<typeof createComments>;
