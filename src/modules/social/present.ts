// W-Post and W-Comment: every field the app reads, hydrated for a whole page in a few queries
// (authors, liked state, media links, media rows) instead of per item; posts through the
// presented-post cache (post-cache.ts) and one viewer query per page (page-facts.ts).
import { and, asc, eq, inArray } from 'drizzle-orm';
import { Type, type Static } from 'typebox';
import type { Ctx } from '../../context.js';
import { UserSchema, type Viewer } from '../users/present.js';
import { MediaSchema } from '../media/present.js';
import type { PresentedMedia } from '../media/service.js';
import { createPaidGifts } from './paid-gifts.js';
import { attachedAuthor, createPageFacts, factsFor, type PostFacts } from './page-facts.js';
import { createPostCache } from './post-cache.js';
import type { UserRow } from '../users/schema.js';
import { commentLikes, commentMedia, postMedia, type CommentRow, type PostRow } from './schema.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const ImageSchema = Type.Object({ id: Type.Integer(), url: Type.String(), order: Type.Integer() });
const Open = Type.Object({}, { additionalProperties: true });

export const VideoSchema = Type.Object({
  id: Type.Integer(),
  url: Type.String(),
  thumbnail_url: Nullable(Type.String()),
  duration: Nullable(Type.Number()),
  width: Nullable(Type.Integer()),
  height: Nullable(Type.Integer()),
  mime_type: Type.String(),
});

/** W-GiftType as embedded in `recent_gifts` (the payments catalogue's presentation). */
export const GiftTypeSchema = Type.Object({
  id: Type.Integer(),
  key: Type.String(),
  slug: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  price_cents: Type.Integer(),
  price_slc_cents: Type.Integer(),
  art_url: Type.String(),
  media_url: Type.String(),
  animation_url: Type.String(),
  is_active: Type.Boolean(),
  effects: Open,
  metadata: Type.Union([Open, Type.Null()]),
});
/** W-GiftRecent: one of the newest paid gifts on a post or comment. */
export const GiftRecentSchema = Type.Object({
  id: Type.Integer(),
  gift_type_id: Type.Integer(),
  gift_type: GiftTypeSchema,
  key: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  media_url: Type.String(),
  art_url: Type.String(),
  animation_url: Type.String(),
  quantity: Type.Integer(),
  count: Type.Integer(),
  total_amount_cents: Type.Integer(),
  sender_id: Type.Integer(),
  created_at: Type.String(),
});
export type GiftRecent = Static<typeof GiftRecentSchema>;
/** gift_summary: gift key → count. */
const giftFields = { recent_gifts: Type.Array(GiftRecentSchema), gift_summary: Type.Object({}, { additionalProperties: Type.Integer() }) };

export const PostSchema = Type.Object(
  {
    id: Type.Integer(),
    author: UserSchema,
    text: Type.String(),
    visibility: Type.String(),
    language: Type.String(),
    media: Type.Array(MediaSchema),
    images: Type.Array(ImageSchema),
    image_urls: Type.Array(Type.String()),
    image_url: Nullable(Type.String()),
    video: Nullable(VideoSchema),
    like_count: Type.Integer(),
    comment_count: Type.Integer(),
    liked: Type.Boolean(),
    viewer_has_liked: Type.Boolean(),
    ...giftFields,
    /** Hidden by moderation (only its author and staff still receive it). */
    hidden: Type.Boolean(),
    created_at: Type.String(),
  },
  { $id: 'Post' },
);

export const CommentSchema = Type.Object(
  {
    id: Type.Integer(),
    post: Type.Integer(),
    author: UserSchema,
    body: Type.String(),
    text: Type.String(),
    parent: Nullable(Type.Integer()),
    images: Type.Array(ImageSchema),
    image_urls: Type.Array(Type.String()),
    image_url: Nullable(Type.String()),
    media: Type.Array(MediaSchema),
    like_count: Type.Integer(),
    liked: Type.Boolean(),
    viewer_has_liked: Type.Boolean(),
    ...giftFields,
    hidden: Type.Boolean(),
    created_at: Type.String(),
  },
  { $id: 'Comment' },
);

export function createSocialPresenter(ctx: Ctx) {
  const db = () => ctx.db;
  const paid = createPaidGifts(ctx);
  const pageFacts = createPageFacts(ctx);
  const cache = createPostCache(ctx);

  async function authorsOf(viewer: Viewer | null, ids: number[], origin: string) {
    const users = ctx.services.users;
    const rows = [...(await users.getManyForDisplay(ids)).values()];
    const presented = await users.present(viewer, rows, { origin });
    return new Map(presented.map((u) => [u.id, u]));
  }

  async function mediaById(ids: number[], origin: string): Promise<Map<number, PresentedMedia>> {
    const rows = [...(await ctx.services.media.getMany(ids)).values()];
    const presented = await ctx.services.media.present(rows, origin);
    return new Map(presented.map((m) => [m.id, m]));
  }

  /**
   * The viewer-independent parts of posts that cost queries (media and gifts), built for the posts
   * the presented-post cache did not have.
   */
  async function buildParts(ids: number[], origin: string): Promise<Map<number, Record<string, unknown>>> {
    const out = new Map<number, Record<string, unknown>>();
    if (!ids.length) return out;
    const [links, giftData] = await Promise.all([
      db().select().from(postMedia).where(inArray(postMedia.postId, ids)).orderBy(asc(postMedia.position), asc(postMedia.createdAt)),
      paid.giftData('post', ids, origin),
    ]);
    const media = await mediaById(links.map((l) => l.mediaId), origin);
    for (const id of ids) {
      const own = links.filter((l) => l.postId === id && media.has(l.mediaId));
      const images = own.filter((l) => l.role === 'image').map((l) => ({ id: l.mediaId, url: media.get(l.mediaId)!.url ?? '', order: l.position }));
      const attached = own.filter((l) => l.role === 'attached').map((l) => media.get(l.mediaId)!);
      // An uploaded video wins; otherwise an attached video asset plays, so video feeds find it.
      const videoLink = own.find((l) => l.role === 'video') ?? own.find((l) => l.role === 'attached' && media.get(l.mediaId)!.mime.startsWith('video/') && media.get(l.mediaId)!.url);
      const v = videoLink ? media.get(videoLink.mediaId)! : null;
      out.set(id, {
        media: attached,
        images,
        image_urls: images.map((i) => i.url),
        image_url: images[0]?.url ?? null,
        video: v
          ? { id: v.id, url: v.url ?? '', thumbnail_url: typeof v.meta.thumbnail_url === 'string' ? v.meta.thumbnail_url : null, duration: v.duration, width: v.width, height: v.height, mime_type: v.mime }
          : null,
        recent_gifts: giftData.get(id)!.recent,
        gift_summary: giftData.get(id)!.summary,
      });
    }
    return out;
  }

  /**
   * A page of W-Posts in a bounded number of round trips whatever its size: the viewer facts (one
   * query, or none when the page was hydrated through getVisiblePostsByIds in this request), the
   * authors (one query, or none when hydration attached them), the cached parts (one cache read),
   * and only for cache misses the media and gift queries.
   */
  async function presentPosts(viewer: Viewer | null, rows: PostRow[], origin: string) {
    if (!rows.length) return [];
    const vid = viewer?.id ?? null;
    const facts = new Map<number, PostFacts>();
    const authorRows = new Map<number, UserRow>();
    for (const r of rows) {
      const f = factsFor(r, vid);
      if (f) facts.set(r.id, f);
      const a = attachedAuthor(r);
      if (a) authorRows.set(a.id, a);
    }
    const needAuthors = [...new Set(rows.map((r) => r.authorId))].filter((id) => !authorRows.has(id));
    const [loaded, fetched] = await Promise.all([
      pageFacts.load(vid, rows.filter((r) => !facts.has(r.id)).map((r) => r.id)),
      ctx.services.users.getManyForDisplay(needAuthors),
    ]);
    for (const r of loaded) facts.set(r.id, factsFor(r, vid)!);
    for (const u of fetched.values()) authorRows.set(u.id, u);

    const following = new Set<number>();
    const peers = new Set<number>();
    for (const r of rows) {
      const f = facts.get(r.id);
      if (f?.following) following.add(r.authorId);
      if (f?.peer) peers.add(r.authorId);
    }
    // A post deleted since the page was read has no facts: built fresh, never cached.
    const versioned = rows.filter((r) => facts.has(r.id)).map((r) => ({ id: r.id, version: facts.get(r.id)!.version }));
    // A version saying "no media links, no gifts" needs no query to build and no cache read (most
    // posts, new ones always).
    const bare = new Set(versioned.filter((i) => facts.get(i.id)!.noParts).map((i) => i.id));
    const [presentedAuthors, cached] = await Promise.all([
      ctx.services.users.present(viewer, [...authorRows.values()], { origin, following, peers }),
      cache.read(versioned.filter((i) => !bare.has(i.id)), origin),
    ]);
    const authors = new Map(presentedAuthors.map((u) => [u.id, u]));
    const built = await buildParts(rows.filter((r) => !cached.has(r.id) && !bare.has(r.id)).map((r) => r.id), origin);
    for (const id of bare) if (!cached.has(id)) built.set(id, { media: [], images: [], image_urls: [], image_url: null, video: null, recent_gifts: [], gift_summary: {} });
    // Entries are written from list pages (feeds, lists: what many viewers read again), not from one
    // post's create or detail answer. Not awaited: the response does not wait for the cache (a failed
    // write is logged and costs a rebuild).
    if (rows.length > 1) void cache.write(versioned.filter((i) => built.has(i.id) && !bare.has(i.id)).map((i) => ({ ...i, parts: built.get(i.id)! })), origin);

    return rows.map((p) => {
      const parts = (cached.get(p.id) ?? built.get(p.id)!) as {
        media: PresentedMedia[];
        images: { id: number; url: string; order: number }[];
        image_urls: string[];
        image_url: string | null;
        video: Static<typeof VideoSchema> | null;
        recent_gifts: GiftRecent[];
        gift_summary: Record<string, unknown>;
      };
      const isLiked = facts.get(p.id)?.liked ?? false;
      return {
        id: p.id,
        author: authors.get(p.authorId)!,
        text: p.text,
        visibility: p.visibility,
        language: p.language,
        media: parts.media,
        images: parts.images,
        image_urls: parts.image_urls,
        image_url: parts.image_url,
        video: parts.video,
        like_count: p.likeCount,
        comment_count: p.commentCount,
        liked: isLiked,
        viewer_has_liked: isLiked,
        recent_gifts: parts.recent_gifts,
        gift_summary: parts.gift_summary,
        hidden: p.hidden,
        created_at: p.createdAt.toISOString(),
      };
    });
  }

  async function presentComments(viewer: Viewer | null, rows: CommentRow[], origin: string) {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const [authors, liked, links, giftData] = await Promise.all([
      authorsOf(viewer, rows.map((r) => r.authorId), origin),
      viewer
        ? db().select({ id: commentLikes.commentId }).from(commentLikes).where(and(eq(commentLikes.userId, viewer.id), inArray(commentLikes.commentId, ids))).then((r) => new Set(r.map((x) => x.id)))
        : Promise.resolve(new Set<number>()),
      db().select().from(commentMedia).where(inArray(commentMedia.commentId, ids)).orderBy(asc(commentMedia.position)),
      paid.giftData('comment', ids, origin),
    ]);
    const media = await mediaById(links.map((l) => l.mediaId), origin);
    return rows.map((c) => {
      const images = links.filter((l) => l.commentId === c.id && media.has(l.mediaId)).map((l) => ({ id: l.mediaId, url: media.get(l.mediaId)!.url ?? '', order: l.position }));
      const isLiked = liked.has(c.id);
      return {
        id: c.id,
        post: c.postId,
        author: authors.get(c.authorId)!,
        body: c.text,
        text: c.text,
        parent: c.parentId,
        images,
        image_urls: images.map((i) => i.url),
        image_url: images[0]?.url ?? null,
        // The comment's pictures are already in `images`; repeating them here would show them twice.
        media: [] as PresentedMedia[],
        like_count: c.likeCount,
        liked: isLiked,
        viewer_has_liked: isLiked,
        recent_gifts: giftData.get(c.id)!.recent as GiftRecent[],
        gift_summary: giftData.get(c.id)!.summary as Record<string, unknown>,
        hidden: c.hidden,
        created_at: c.createdAt.toISOString(),
      };
    });
  }

  return { presentPosts, presentComments, dropCached: cache.drop };
}

export type PresentedPost = Awaited<ReturnType<ReturnType<typeof createSocialPresenter>['presentPosts']>>[number];
