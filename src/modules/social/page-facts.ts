// One query per page for everything a post page needs to know about its viewer: the post rows
// with, per post, whether the viewer liked it, follows its author, is separated from the author by
// a block, shares a conversation with the author (presence), and the version of the parts the
// presented-post cache keeps (media links and their newest edit, newest paid gift). The users and messaging modules
// write their fragments; their tables stay private.
//
// The facts travel with the row objects (a WeakMap), so a page hydrated for visibility is presented
// without asking again: getVisiblePostsByIds → presentPosts in one request shares one query.
import { getTableColumns, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { Db } from '../../platform/db/index.js';
import { prepared } from '../../platform/db/prepared.js';
import type { UserRow } from '../users/schema.js';
import { paidReactions, postLikes, postMedia, posts, type PostRow } from './schema.js';

export interface PostFacts {
  viewerId: number | null;
  liked: boolean;
  following: boolean;
  blocked: boolean;
  peer: boolean;
  /** Changes whenever what the presented-post cache holds for this post changes. */
  version: string;
  /** No media links and no gifts: the cached parts are empty, nothing to query or read. */
  noParts: boolean;
}

const factsOf = new WeakMap<PostRow, PostFacts>();
const authorOf = new WeakMap<PostRow, UserRow>();

const bool = (v: unknown) => v === true || v === 't' || v === 1;

/** The facts loaded for this row object, when they were loaded for this viewer. */
export function factsFor(row: PostRow, viewerId: number | null): PostFacts | undefined {
  const f = factsOf.get(row);
  return f && f.viewerId === viewerId ? f : undefined;
}
export const attachAuthor = (row: PostRow, author: UserRow) => authorOf.set(row, author);
export const attachedAuthor = (row: PostRow) => authorOf.get(row);

export function createPageFacts(ctx: Ctx) {
  // Qualified: drizzle writes a one-table select's columns bare, and inside a subquery on a table
  // with its own "id" a bare "id" would name that table's column.
  const postId = sql.raw('"posts"."id"');
  const authorId = sql.raw('"posts"."author_id"');

  /** The page query, built once per database handle: one for a viewer, one for anonymous pages. */
  const build = (db: Db, anonymous: boolean) => {
    const users = ctx.services.users;
    const v = sql.placeholder('viewer');
    const no = sql<boolean>`false`;
    return db
      .select({
        ...getTableColumns(posts),
        fLiked: anonymous ? no : sql<boolean>`exists (select 1 from ${postLikes} where ${postLikes.postId} = ${postId} and ${postLikes.userId} = ${v})`,
        fFollowing: anonymous ? no : sql<boolean>`${users.followsSql(v, authorId)}`,
        fBlocked: anonymous ? no : sql<boolean>`not ${users.notBlockedSql(v, authorId)}`,
        fPeer: anonymous ? no : sql<boolean>`${ctx.services.messaging.sharesThreadSql(v, authorId)}`,
        fLinks: sql<string>`(select count(*)::text || ':' || coalesce(sum(${postMedia.mediaId}), 0)::text from ${postMedia} where ${postMedia.postId} = ${postId})`,
        fMedia: ctx.services.media.editedAtSql(sql`select ${postMedia.mediaId} from ${postMedia} where ${postMedia.postId} = ${postId}`),
        fGifts: sql<string>`(select coalesce(max(${paidReactions.id}), 0)::text from ${paidReactions} where ${paidReactions.postId} = ${postId})`,
      })
      .from(posts)
      // One array parameter, so the statement's text does not change with the page's size.
      .where(sql`${posts.id} = any(${sql.placeholder('ids')}::bigint[])`);
  };
  const forViewer = prepared('social_page_facts', (db) => build(db, false));
  const forAnonymous = prepared('social_page_facts_anon', (db) => build(db, true));

  /** The rows of `ids` that exist (any order), each with its facts for `viewerId` attached. */
  async function load(viewerId: number | null, ids: number[]): Promise<PostRow[]> {
    const unique = [...new Set(ids)];
    if (!unique.length) return [];
    const rows = viewerId === null ? await forAnonymous(ctx.db).execute({ ids: unique }) : await forViewer(ctx.db).execute({ viewer: viewerId, ids: unique });
    return rows.map(({ fLiked, fFollowing, fBlocked, fPeer, fLinks, fMedia, fGifts, ...row }) => {
      const post = row as PostRow;
      factsOf.set(post, {
        viewerId,
        liked: bool(fLiked),
        following: bool(fFollowing),
        blocked: bool(fBlocked),
        peer: bool(fPeer),
        version: `${post.updatedAt.getTime()}|${fLinks}|${fMedia}|${fGifts}`,
        noParts: fLinks === '0:0' && fGifts === '0',
      });
      return post;
    });
  }

  return { load };
}

export type PageFacts = ReturnType<typeof createPageFacts>;
