// The social module's rules: posts, likes and comments with exact counters, visibility everywhere,
// and the read API the feed, search, moderation and realtime modules build on.
import { and, asc, desc, eq, inArray, notInArray, or, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { Tx } from '../../platform/db/index.js';
import { ApiError, fieldError, notFound } from '../../platform/http/errors.js';
import { olderThan, type Keyset } from '../../platform/http/pagination.js';
import type { UploadedFile } from '../../platform/http/multipart.js';
import type { StoredUpload } from '../media/service.js';
import type { UserRow } from '../users/schema.js';
import type { Viewer } from '../users/present.js';
import { commentLikes, commentMedia, comments, postLikes, postMedia, posts, type CommentRow, type PostRow, type Visibility } from './schema.js';
import { followedBySql, isVisible, viewerGraph, visibleSql } from './visibility.js';
import { createSocialPresenter } from './present.js';

export const SOCIAL_EVENTS = {
  postCreated: 'post.created',
  postUpdated: 'post.updated',
  postDeleted: 'post.deleted',
  postLiked: 'post.liked',
  commentCreated: 'comment.created',
  commentDeleted: 'comment.deleted',
  commentLiked: 'comment.liked',
} as const;

export interface PostCreatedEvent { postId: number; authorId: number; text: string; visibility: Visibility }
export interface PostUpdatedEvent { postId: number; authorId: number; text: string }
export interface PostDeletedEvent { postId: number; authorId: number }
export interface PostLikedEvent { postId: number; userId: number; authorId: number }
export interface CommentCreatedEvent { commentId: number; postId: number; authorId: number; postAuthorId: number; parentAuthorId: number | null; text: string; visibility: Visibility }
export interface CommentDeletedEvent { commentId: number; postId: number; authorId: number }
export interface CommentLikedEvent { commentId: number; userId: number; authorId: number }

export const MAX_IMAGES = 4;
export const POST_TEXT_MAX = 10_000;
export const COMMENT_TEXT_MAX = 5_000;

export interface NewPost {
  text: string;
  visibility?: Visibility;
  language?: string;
  mediaIds?: number[];
  images?: UploadedFile[];
  video?: UploadedFile | null;
}

export interface NewComment {
  postId: number;
  text: string;
  parentId?: number | null;
  images?: UploadedFile[];
}

export interface LikeState {
  liked: boolean;
  like_count: number;
}

const postNotFound = () => notFound('No Post matches the given query.');
const commentNotFound = () => notFound('No Comment matches the given query.');
const invalidPk = (field: string, id: number) => fieldError(field, `Invalid pk "${id}" - object does not exist.`);

export function createSocialService(ctx: Ctx) {
  const db = () => ctx.db;
  const users = () => ctx.services.users;
  const media = () => ctx.services.media;
  const presenter = createSocialPresenter(ctx);

  // ---- reads and visibility ----

  async function postRow(id: number): Promise<PostRow | null> {
    const [p] = await db().select().from(posts).where(eq(posts.id, id)).limit(1);
    return p ?? null;
  }

  async function commentRow(id: number): Promise<CommentRow | null> {
    const [c] = await db().select().from(comments).where(eq(comments.id, id)).limit(1);
    return c ?? null;
  }

  /** Keeps the rows the viewer may see, in their order (one users query, one follows/blocks load). */
  async function filterVisible(viewerId: number | null, rows: PostRow[], staff = false): Promise<PostRow[]> {
    if (!rows.length) return [];
    const authorIds = [...new Set(rows.map((r) => r.authorId))];
    const [authors, g] = await Promise.all([users().getMany(authorIds), viewerGraph(ctx, viewerId, authorIds)]);
    const graph = { ...g, staff: staff && viewerId !== null };
    return rows.filter((p) => isVisible(p, authors.get(p.authorId), graph));
  }

  /**
   * The post when the viewer may see it, else null (unknown, hidden, private, blocked, suspended
   * author). `staff` viewers also see posts hidden by moderation.
   */
  async function getPost(viewerId: number | null, id: number, staff = false): Promise<PostRow | null> {
    const p = await postRow(id);
    if (!p) return null;
    return (await filterVisible(viewerId, [p], staff))[0] ?? null;
  }

  async function visiblePostOr404(viewerId: number | null, id: number, staff = false): Promise<PostRow> {
    const p = await getPost(viewerId, id, staff);
    if (!p) throw postNotFound();
    return p;
  }

  async function canViewPost(viewerId: number | null, postId: number): Promise<boolean> {
    return (await getPost(viewerId, postId)) !== null;
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

  async function getVisiblePostsByIds(viewerId: number | null, ids: number[]): Promise<PostRow[]> {
    const unique = [...new Set(ids)];
    if (!unique.length) return [];
    const rows = await db().select().from(posts).where(inArray(posts.id, unique));
    const byId = new Map(rows.map((r) => [r.id, r]));
    const ordered = ids.map((id) => byId.get(id)).filter((r): r is PostRow => r !== undefined);
    const seen = new Set<number>();
    return (await filterVisible(viewerId, ordered)).filter((r) => !seen.has(r.id) && seen.add(r.id));
  }

  /**
   * Newest visible posts, keyset-paginated on (created_at, id) desc. Rows the SQL prefilter lets
   * through but the full rule drops (suspended authors) are refilled from further batches, and the
   * cursor never stops while older rows remain.
   */
  async function listRecentVisible(opts: {
    viewerId: number | null;
    authorIds?: number[];
    /** Only posts by the people this user follows and their own (the following timeline). */
    followedBy?: number;
    before?: Keyset | null;
    limit: number;
    videoOnly?: boolean;
  }): Promise<{ rows: PostRow[]; next: Keyset | null }> {
    const limit = Math.max(1, Math.min(opts.limit, 200));
    const base = [visibleSql(ctx, opts.viewerId)];
    if (opts.authorIds) base.push(inArray(posts.authorId, opts.authorIds));
    if (opts.followedBy !== undefined) base.push(followedBySql(ctx, opts.followedBy));
    if (opts.videoOnly) base.push(eq(posts.hasVideo, true));
    const found: PostRow[] = [];
    const inactive = new Set<number>();
    const active = new Set<number>();
    let cursor = opts.before ?? null;
    let exhausted = false;
    for (let round = 0; round < 5 && found.length <= limit; round++) {
      const batch = await db()
        .select()
        .from(posts)
        .where(and(...base, olderThan(posts.createdAt, posts.id, cursor), notInArray(posts.authorId, [...inactive])))
        .orderBy(desc(posts.createdAt), desc(posts.id))
        .limit(limit + 1);
      const unknown = [...new Set(batch.map((p) => p.authorId))].filter((id) => !inactive.has(id) && !active.has(id));
      for (const u of (await users().getMany(unknown)).values()) (u.isActive ? active : inactive).add(u.id);
      const playable = opts.videoOnly ? await withPlayableVideo(batch.map((p) => p.id)) : null;
      for (const p of batch) if (active.has(p.authorId) && (!playable || playable.has(p.id))) found.push(p);
      if (batch.length < limit + 1) {
        exhausted = true;
        break;
      }
      const last = batch[batch.length - 1];
      cursor = { t: last.createdAt.toISOString(), id: last.id };
    }
    if (found.length > limit) {
      const last = found[limit - 1];
      return { rows: found.slice(0, limit), next: { t: last.createdAt.toISOString(), id: last.id } };
    }
    return { rows: found, next: exhausted ? null : cursor };
  }

  /** Of these posts, the ones that still carry a video (an attached asset may have been deleted since). */
  async function withPlayableVideo(ids: number[]): Promise<Set<number>> {
    if (!ids.length) return new Set();
    const links = await db()
      .select({ postId: postMedia.postId, mediaId: postMedia.mediaId, role: postMedia.role })
      .from(postMedia)
      .where(and(inArray(postMedia.postId, ids), inArray(postMedia.role, ['video', 'attached'])));
    const assets = await media().getMany(links.filter((l) => l.role === 'attached').map((l) => l.mediaId));
    return new Set(links.filter((l) => l.role === 'video' || assets.get(l.mediaId)?.mime.startsWith('video/')).map((l) => l.postId));
  }

  const postExists = async (id: number) => (await postRow(id)) !== null;
  const commentExists = async (id: number) => (await commentRow(id)) !== null;
  const getPostOwner = async (id: number) => (await postRow(id))?.authorId ?? null;
  const getCommentOwner = async (id: number) => (await commentRow(id))?.authorId ?? null;

  // ---- posts ----

  async function createPost(author: UserRow, input: NewPost): Promise<PostRow> {
    const images = input.images ?? [];
    const video = input.video ?? null;
    if (images.length > MAX_IMAGES) throw fieldError('images', `You can upload up to ${MAX_IMAGES} images.`);
    if (images.length && video) throw fieldError('video', 'Choose either a video or images for a post in this version.');
    const attached = input.mediaIds?.length ? await media().assertOwned(author.id, input.mediaIds) : [];
    const text = input.text ?? '';
    if (!text.trim() && !images.length && !video && !attached.length) throw fieldError('text', 'This field may not be blank.');

    const stored = await media().storeUploads(author.id, [
      ...images.map((file) => ({ file, rules: { field: 'images', accept: ['image' as const], prefix: 'posts/images' } })),
      ...(video ? [{ file: video, rules: { field: 'video', accept: ['video' as const], prefix: 'posts/videos' } }] : []),
    ]);
    let post: PostRow;
    try {
      post = await db().transaction(async (tx) => {
        const [p] = await tx
          .insert(posts)
          .values({
            authorId: author.id,
            text,
            visibility: input.visibility ?? 'public',
            language: input.language || 'en',
            hasVideo: Boolean(video) || attached.some((a) => a.mime.startsWith('video/')),
          })
          .returning();
        const ids = await recordStored(tx, author.id, stored);
        if (ids.length) await tx.insert(postMedia).values(stored.map((s, i) => ({ postId: p.id, mediaId: ids[i], role: s.kind, position: s.kind === 'image' ? i : 0 })));
        if (attached.length) await tx.insert(postMedia).values(attached.map((a, i) => ({ postId: p.id, mediaId: a.id, role: 'attached' as const, position: i })));
        await users().adjustPostsCount(author.id, 1, tx);
        await ctx.events.emit<PostCreatedEvent>(SOCIAL_EVENTS.postCreated, { postId: p.id, authorId: p.authorId, text: p.text, visibility: p.visibility }, tx);
        return p;
      });
    } catch (err) {
      await media().discard(stored.map((s) => s.key));
      throw err;
    }
    return post;
  }

  /** Records stored files as media rows; their ids come back in the files' order. */
  async function recordStored(tx: Tx, ownerId: number, stored: StoredUpload[]): Promise<number[]> {
    if (!stored.length) return [];
    const rows = await media().insertStored(ownerId, stored, tx);
    const idByKey = new Map(rows.map((r) => [r.s3Key, r.id]));
    return stored.map((s) => idByKey.get(s.key)!);
  }

  async function ownPostOr404(userId: number, id: number): Promise<PostRow> {
    const p = await postRow(id);
    // Someone else's post is "not found" whether or not it is visible: no hint that it exists.
    if (!p || p.authorId !== userId) throw postNotFound();
    return p;
  }

  async function updatePost(userId: number, id: number, patch: { text?: string; visibility?: Visibility; language?: string }): Promise<PostRow> {
    const p = await ownPostOr404(userId, id);
    const narrowed = patch.visibility !== undefined && patch.visibility !== p.visibility;
    if (patch.text !== undefined && !patch.text.trim()) {
      const [{ n }] = await db().select({ n: sql<number>`count(*)::int` }).from(postMedia).where(eq(postMedia.postId, id));
      if (!n) throw fieldError('text', 'This field may not be blank.');
    }
    const saved = await db().transaction(async (tx) => {
      const [saved] = await tx
        .update(posts)
        .set({
          ...(patch.text !== undefined && { text: patch.text }),
          ...(patch.visibility !== undefined && { visibility: patch.visibility }),
          ...(patch.language !== undefined && { language: patch.language || 'en' }),
          updatedAt: new Date(),
        })
        .where(eq(posts.id, p.id))
        .returning();
      if (!saved) throw postNotFound();
      await ctx.events.emit<PostUpdatedEvent>(SOCIAL_EVENTS.postUpdated, { postId: saved.id, authorId: saved.authorId, text: saved.text }, tx);
      return saved;
    });
    // Live subscriptions to the post and its comments were authorised under the old audience.
    if (narrowed) await ctx.services.realtime.recheck({ channels: [`post:${saved.id}`], prefixes: ['comment'] });
    return saved;
  }

  /** Deletes a post with its comments, likes and the files uploaded with it; posts_count follows. */
  async function removePostRow(id: number, ownerId: number | null): Promise<PostRow | null> {
    const { post, keys } = await db().transaction(async (tx) => {
      const [p] = await tx.select().from(posts).where(eq(posts.id, id)).for('update');
      if (!p || (ownerId !== null && p.authorId !== ownerId)) return { post: null, keys: [] as string[] };
      const ownedPostMedia = await tx
        .select({ id: postMedia.mediaId })
        .from(postMedia)
        .where(and(eq(postMedia.postId, id), inArray(postMedia.role, ['image', 'video'])));
      const commentImages = await tx
        .select({ id: commentMedia.mediaId })
        .from(commentMedia)
        .innerJoin(comments, eq(comments.id, commentMedia.commentId))
        .where(eq(comments.postId, id));
      await tx.delete(posts).where(eq(posts.id, id));
      const keys = await media().deleteMany([...ownedPostMedia, ...commentImages].map((r) => r.id), tx);
      await users().adjustPostsCount(p.authorId, -1, tx);
      await ctx.events.emit<PostDeletedEvent>(SOCIAL_EVENTS.postDeleted, { postId: p.id, authorId: p.authorId }, tx);
      return { post: p, keys };
    });
    if (!post) return null;
    await media().discard(keys);
    return post;
  }

  async function deletePost(userId: number, id: number) {
    if (!(await removePostRow(id, userId))) throw postNotFound();
  }

  /** Moderation: deletes any post (same clean-up and event as the author's delete). */
  async function removePost(id: number): Promise<boolean> {
    return (await removePostRow(id, null)) !== null;
  }

  /** Moderation: hides a post from everyone but its author and staff (or shows it again). */
  async function hidePost(id: number, hidden = true): Promise<boolean> {
    const r = await db().update(posts).set({ hidden }).where(eq(posts.id, id)).returning({ id: posts.id, authorId: posts.authorId, text: posts.text });
    if (!r.length) return false;
    if (hidden) await ctx.services.realtime.recheck({ channels: [`post:${id}`], prefixes: ['comment'] });
    // The search index follows (its results are re-checked against `hidden` anyway).
    await ctx.events.emit<PostUpdatedEvent>(SOCIAL_EVENTS.postUpdated, { postId: id, authorId: r[0].authorId, text: r[0].text });
    return true;
  }

  /** Moderation: hides a comment from everyone but its author and staff (or shows it again). */
  async function hideComment(id: number, hidden = true): Promise<boolean> {
    const r = await db().update(comments).set({ hidden }).where(eq(comments.id, id)).returning({ id: comments.id });
    if (!r.length) return false;
    if (hidden) await ctx.services.realtime.recheck({ channels: [`comment:${id}`] });
    return true;
  }

  // ---- likes: the unique row and the counter change in one transaction, so counts stay exact ----

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
    await media().discard(keys);
    return true;
  }

  async function getVisibleCommentOr404(viewerId: number | null, id: number, staff = false): Promise<CommentRow> {
    const c = await getComment(viewerId, id, staff);
    if (!c) throw commentNotFound();
    return c;
  }

  return {
    // reads and visibility (used by feed, search, moderation, realtime)
    getPost,
    getCommentForViewer: getComment,
    canViewPost,
    canViewComment,
    getVisiblePostsByIds,
    listRecentVisible,
    postExists,
    commentExists,
    getPostOwner,
    getCommentOwner,
    presentPosts: (viewer: Viewer | null, rows: PostRow[], origin: string) => presenter.presentPosts(viewer, rows, origin),
    presentComments: (viewer: Viewer | null, rows: CommentRow[], origin: string) => presenter.presentComments(viewer, rows, origin),
    // moderation
    hidePost,
    hideComment,
    removePost,
    removeComment: (id: number) => deleteComment(null, id),
    // writes (routes)
    visiblePostOr404,
    getVisibleCommentOr404,
    createPost,
    updatePost,
    deletePost,
    likePost,
    unlikePost,
    listComments,
    createComment,
    updateComment,
    deleteComment: (userId: number, id: number) => deleteComment(userId, id),
    likeComment,
    unlikeComment,
  };
}

export type SocialService = ReturnType<typeof createSocialService>;

