// Tables owned by the social module: posts, their media links, comments, likes and plain gifts.
import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, varchar, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, refColumn, updatedAt } from '../../platform/db/columns.js';
import { users } from '../users/schema.js';
import { mediaAssets } from '../media/schema.js';

export const VISIBILITIES = ['public', 'followers', 'private'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export const posts = pgTable(
  'posts',
  {
    id: idColumn(),
    authorId: refColumn('author_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    text: text('text').notNull().default(''),
    visibility: varchar('visibility', { length: 16 }).$type<Visibility>().notNull().default('public'),
    language: varchar('language', { length: 8 }).notNull().default('en'),
    likeCount: integer('like_count').notNull().default(0),
    commentCount: integer('comment_count').notNull().default(0),
    /** Set when the post carries a video (uploaded or attached), so video feeds need no join. */
    hasVideo: boolean('has_video').notNull().default(false),
    /** Hidden by moderation: only the author still sees it. */
    hidden: boolean('hidden').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Ascending on purpose: drizzle writes DESC indexes as NULLS LAST, which `ORDER BY … DESC`
    // (NULLS FIRST) cannot use; an ascending index scanned backwards matches it exactly.
    index('posts_created_idx').on(t.createdAt, t.id),
    index('posts_author_created_idx').on(t.authorId, t.createdAt, t.id),
    index('posts_video_created_idx').on(t.createdAt, t.id).where(sql`${t.hasVideo}`),
  ],
);

/**
 * Media of a post: `image` and `video` are files uploaded with the post (deleted with it);
 * `attached` are the author's existing assets given as `media_ids` (kept when the post goes).
 */
export const MEDIA_ROLES = ['image', 'video', 'attached'] as const;
export type MediaRole = (typeof MEDIA_ROLES)[number];

export const postMedia = pgTable(
  'post_media',
  {
    postId: refColumn('post_id').notNull().references(() => posts.id, { onDelete: 'cascade' }),
    mediaId: refColumn('media_id').notNull().references(() => mediaAssets.id, { onDelete: 'cascade' }),
    role: varchar('role', { length: 16 }).$type<MediaRole>().notNull(),
    position: integer('position').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.postId, t.mediaId] }), index('post_media_media_idx').on(t.mediaId)],
);

export const postLikes = pgTable(
  'post_likes',
  {
    postId: refColumn('post_id').notNull().references(() => posts.id, { onDelete: 'cascade' }),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.postId, t.userId] }), index('post_likes_user_idx').on(t.userId)],
);

export const comments = pgTable(
  'comments',
  {
    id: idColumn(),
    postId: refColumn('post_id').notNull().references(() => posts.id, { onDelete: 'cascade' }),
    authorId: refColumn('author_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    parentId: refColumn('parent_id').references((): AnyPgColumn => comments.id, { onDelete: 'cascade' }),
    text: text('text').notNull().default(''),
    likeCount: integer('like_count').notNull().default(0),
    /** Hidden by moderation: only its author and staff still see it. */
    hidden: boolean('hidden').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('comments_post_created_idx').on(t.postId, t.createdAt, t.id),
    index('comments_parent_idx').on(t.parentId),
    index('comments_author_idx').on(t.authorId),
  ],
);

/** Images uploaded with a comment (deleted with it). */
export const commentMedia = pgTable(
  'comment_media',
  {
    commentId: refColumn('comment_id').notNull().references(() => comments.id, { onDelete: 'cascade' }),
    mediaId: refColumn('media_id').notNull().references(() => mediaAssets.id, { onDelete: 'cascade' }),
    position: integer('position').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.commentId, t.mediaId] }), index('comment_media_media_idx').on(t.mediaId)],
);

export const commentLikes = pgTable(
  'comment_likes',
  {
    commentId: refColumn('comment_id').notNull().references(() => comments.id, { onDelete: 'cascade' }),
    userId: refColumn('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.commentId, t.userId] }), index('comment_likes_user_idx').on(t.userId)],
);

/**
 * Plain gifts (no coin spend). `gift_type_id` names a gift type of the payments catalogue, which
 * lives in another module that does not exist yet: it is a plain bigint without a foreign key,
 * checked through `ctx.services.payments` once that service exists.
 */
export const gifts = pgTable(
  'gifts',
  {
    id: idColumn(),
    senderId: refColumn('sender_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    receiverId: refColumn('receiver_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    giftTypeId: bigint('gift_type_id', { mode: 'number' }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('gifts_sender_created_idx').on(t.senderId, t.createdAt, t.id), index('gifts_receiver_idx').on(t.receiverId)],
);

export type PostRow = typeof posts.$inferSelect;
export type CommentRow = typeof comments.$inferSelect;
export type GiftRow = typeof gifts.$inferSelect;

/**
 * Paid gifts on posts and comments: the charge (a coin `spend` event, by id: the ledger belongs to
 * the coin module) and this row are written in one transaction. The Idempotency-Key is unique per
 * sender; gift types belong to the payments catalogue (a plain id).
 */
export const paidReactions = pgTable(
  'paid_reactions',
  {
    id: idColumn(),
    senderId: refColumn('sender_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    targetType: varchar('target_type', { length: 8 }).$type<'post' | 'comment'>().notNull(),
    postId: refColumn('post_id').references(() => posts.id, { onDelete: 'cascade' }),
    commentId: refColumn('comment_id').references(() => comments.id, { onDelete: 'cascade' }),
    giftTypeId: bigint('gift_type_id', { mode: 'number' }).notNull(),
    quantity: integer('quantity').notNull().default(1),
    totalAmountCents: bigint('total_amount_cents', { mode: 'number' }).notNull(),
    coinEventId: bigint('coin_event_id', { mode: 'number' }).notNull(),
    idempotencyKey: varchar('idempotency_key', { length: 128 }).notNull(),
    note: varchar('note', { length: 255 }).notNull().default(''),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('paid_reactions_sender_key_uq').on(t.senderId, t.idempotencyKey),
    index('paid_reactions_post_idx').on(t.postId, t.createdAt, t.id),
    index('paid_reactions_comment_idx').on(t.commentId, t.createdAt, t.id),
  ],
);

export type PaidReactionRow = typeof paidReactions.$inferSelect;
