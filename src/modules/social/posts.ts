// Posts: reads with the visibility rules (also what feed, search, moderation and realtime use), and
// create, edit, delete and moderation of posts. Part of the one social service (service.ts).
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { Tx } from '../../platform/db/index.js';
import { fieldError } from '../../platform/http/errors.js';
import type { StoredUpload } from '../media/service.js';
import type { UserRow } from '../users/schema.js';
import { commentMedia, comments, postMedia, posts, type PostRow, type Visibility } from './schema.js';
import { isVisible, viewerGraph, type ViewerGraph } from './visibility.js';
import { createPostLists } from './post-lists.js';
import { attachAuthor, attachNewPostFacts, createPageFacts, factsFor } from './page-facts.js';
import { SOCIAL_EVENTS, type PostCreatedEvent, type PostUpdatedEvent, type PostDeletedEvent } from './events.js';
import { MAX_IMAGES, type NewPost, postNotFound } from './rules.js';
import { dropPostPages } from './page-tags.js';
import { createTextPosts, type TextPostValues } from './text-posts.js';

export function createPosts(ctx: Ctx) {
  const db = () => ctx.db;
  const users = () => ctx.services.users;
  const media = () => ctx.services.media;
  const pageFacts = createPageFacts(ctx);
  const { listRecentVisible } = createPostLists(ctx);
  const textPosts = createTextPosts(ctx);

  async function postRow(id: number): Promise<PostRow | null> {
    const [p] = await db().select().from(posts).where(eq(posts.id, id)).limit(1);
    return p ?? null;
  }

  /** Keeps the rows the viewer may see, in their order (one users query, one follows/blocks load). */
  async function filterVisible(viewerId: number | null, rows: PostRow[], staff = false): Promise<PostRow[]> {
    if (!rows.length) return [];
    const authorIds = [...new Set(rows.map((r) => r.authorId))];
    const [authors, g] = await Promise.all([users().getManyForDisplay(authorIds), viewerGraph(ctx, viewerId, authorIds)]);
    const graph = { ...g, staff: staff && viewerId !== null };
    return rows.filter((p) => isVisible(p, authors.get(p.authorId), graph));
  }

  /**
   * The post when the viewer may see it, else null (unknown, hidden, private, blocked, suspended
   * author). `staff` viewers also see posts hidden by moderation.
   */
  async function getPost(viewerId: number | null, id: number, staff = false): Promise<PostRow | null> {
    // The page path: one prepared query with the viewer's facts, which stay attached for presenting.
    if (!staff) return (await getVisiblePostsByIds(viewerId, [id]))[0] ?? null;
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
   * The visible posts among `ids`, in their order, in two queries whatever their number: the rows
   * with the viewer's facts (page-facts.ts: follows, blocks, likes, presence) and their authors.
   * Facts and authors stay attached to the rows, so presenting them in the same request asks again for neither.
   */
  async function getVisiblePostsByIds(viewerId: number | null, ids: number[]): Promise<PostRow[]> {
    const unique = [...new Set(ids)];
    if (!unique.length) return [];
    const rows = await pageFacts.load(viewerId, unique);
    const authors = await users().getManyForDisplay([...new Set(rows.map((r) => r.authorId))]);
    const graph: ViewerGraph = { id: viewerId, following: new Set(), blocked: new Set() };
    for (const r of rows) {
      const f = factsFor(r, viewerId)!;
      if (f.following) graph.following.add(r.authorId);
      if (f.blocked) graph.blocked.add(r.authorId);
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    const seen = new Set<number>();
    const out: PostRow[] = [];
    for (const id of ids) {
      const r = byId.get(id);
      if (!r || seen.has(id) || !isVisible(r, authors.get(r.authorId), graph)) continue;
      seen.add(id);
      attachAuthor(r, authors.get(r.authorId)!);
      out.push(r);
    }
    return out;
  }

  const postExists = async (id: number) => (await postRow(id)) !== null;
  const getPostOwner = async (id: number) => (await postRow(id))?.authorId ?? null;

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
    const values = {
      authorId: author.id,
      text,
      visibility: input.visibility ?? 'public',
      language: input.language || 'en',
      hasVideo: Boolean(video) || attached.some((a) => a.mime.startsWith('video/')),
    };
    if (!stored.length && !attached.length) return insertTextPost(values);
    let post: PostRow;
    try {
      post = await db().transaction(async (tx) => {
        // First: it locks the attached assets, so media retention cannot purge them under this post.
        await media().markUsed(author.id, attached.map((a) => a.id), tx);
        const [p] = await tx.insert(posts).values(values).returning();
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
    await authorPosted(author.id);
    return post;
  }

  /**
   * The author's next reads show their new post: their cached row (users/me's posts_count, on every
   * instance) and their reused for_you page go before the answer. post.created's listeners, the
   * followers' timelines among them, run after it (docs/events.md) and drop these again.
   */
  const authorPosted = (authorId: number) => Promise.all([users().postsCountChanged(authorId), ctx.services.feed.forYou.invalidate(authorId)]);

  async function insertTextPost(values: TextPostValues): Promise<PostRow> {
    const { post, eventId } = await textPosts.insertTextPost(values);
    ctx.events.emitted(SOCIAL_EVENTS.postCreated, [eventId]);
    await authorPosted(values.authorId);
    // (its own answer presents it without the page query)
    attachNewPostFacts(post);
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
    // A visibility change can show the post to viewers whose pages did not carry it: every page goes.
    if (patch.visibility !== undefined && patch.visibility !== p.visibility) ctx.pages.dropAll();
    else dropPostPages(ctx, [saved.id]);
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
    dropPostPages(ctx, [post.id]);
    // Its author's posts_count changed (a moderator's removal is not the author's own write, whose
    // response drops their pages anyway): as after a post, the users module drops the row everywhere.
    await users().postsCountChanged(post.authorId);
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
    // Shown again: to viewers whose pages did not carry it, so every page goes.
    if (hidden) dropPostPages(ctx, [id]);
    else ctx.pages.dropAll();
    if (hidden) await ctx.services.realtime.recheck({ channels: [`post:${id}`], prefixes: ['comment'] });
    // The search index follows (its results are re-checked against `hidden` anyway).
    await ctx.events.emit<PostUpdatedEvent>(SOCIAL_EVENTS.postUpdated, { postId: id, authorId: r[0].authorId, text: r[0].text });
    return true;
  }

  return {
    postRow,
    filterVisible,
    getPost,
    visiblePostOr404,
    canViewPost,
    getVisiblePostsByIds,
    listRecentVisible,
    postExists,
    getPostOwner,
    createPost,
    recordStored,
    updatePost,
    deletePost,
    removePost,
    hidePost,
  };
}

export type Posts = ReturnType<typeof createPosts>;
