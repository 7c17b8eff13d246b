// One query per page for everything a post page needs to know about its viewer: the post rows
// with, per post, whether the viewer liked it, follows its author, is separated from the author by
// a block, shares a conversation with the author (presence), and the version of the parts the
// presented-post cache keeps (media links and their newest edit, newest paid gift). The users and messaging modules
// write their fragments; their tables stay private.
//
// The facts travel with the row objects (a hidden property), so a page hydrated for visibility is presented
// without asking again: getVisiblePostsByIds → presentPosts in one request shares one query.
import { sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { Db } from '../../platform/db/index.js';
import { prepared } from '../../platform/db/prepared.js';
import { handOutOnce, turnBatch } from '../../platform/db/turn-batch.js';
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

// Facts and author ride on the row object itself, under symbols and not enumerable: JSON,
// spreads and equality checks never see them. (WeakMaps keyed by the rows were ~6 % of a page's CPU
// in a profile, and more in the collector, which treats each entry as an ephemeron.)
const FACTS = Symbol('pageFacts');
const AUTHOR = Symbol('pageAuthor');
type Carrier = PostRow & { [FACTS]?: PostFacts; [AUTHOR]?: UserRow };
const attach = (row: PostRow, key: symbol, value: unknown) => Object.defineProperty(row, key, { value, writable: true, configurable: true, enumerable: false });

const bool = (v: unknown) => v === true || v === 't' || v === 1;

/** The presented-post cache's version of a post: its edit time and its parts' (media links, their newest edit, gifts). */
const versionOf = (updatedAt: Date, links: string, media: string, gifts: string) => `${updatedAt.getTime()}|${links}|${media}|${gifts}`;

/** The facts loaded for this row object, when they were loaded for this viewer. */
export function factsFor(row: PostRow, viewerId: number | null): PostFacts | undefined {
  const f = (row as Carrier)[FACTS];
  return f && f.viewerId === viewerId ? f : undefined;
}
export const attachAuthor = (row: PostRow, author: UserRow) => attach(row, AUTHOR, author);

/**
 * The facts of a post without media, for its author, as it is written: known without a query (no
 * likes, gifts or media yet; no one follows, blocks or shares a thread with themselves), in the
 * page query's version format.
 */
export function attachNewPostFacts(row: PostRow) {
  const facts: PostFacts = { viewerId: row.authorId, liked: false, following: false, blocked: false, peer: false, version: versionOf(row.updatedAt, '0:0', '0', '0'), noParts: true };
  attach(row, FACTS, facts);
}
export const attachedAuthor = (row: PostRow) => (row as Carrier)[AUTHOR];

export function createPageFacts(ctx: Ctx) {
  // Qualified: drizzle writes a one-table select's columns bare, and inside a subquery on a table
  // with its own "id" a bare "id" would name that table's column.
  const postId = sql.raw('"posts"."id"');
  const authorId = sql.raw('"posts"."author_id"');
  // Each (viewer, post) pair of the batch; an anonymous viewer is null, for whom every
  // viewer fact is false (no row has a null user).
  const viewer = sql.raw('"q"."viewer"');

  /**
   * The page query, built once per database handle. It answers a whole batch of pages at once:
   * the pairs come in as two array parameters, so its text does not change with the batch's size.
   */
  const statement = prepared('social_page_facts', (db: Db) => {
    const users = ctx.services.users;
    // The batch's viewers, posts and authors as arrays. What holds per viewer and author (likes,
    // blocks, presence) is a set of pairs computed once per statement and hashed; what holds per
    // post (the cache version's parts) is computed once per post, not once per (viewer, post) row.
    // A probe per row had PostgreSQL open a scan per row and fact: on small tables a sequential
    // one, which costs a system call to size the file each time (pgbench, 10 viewers × 20 posts:
    // 4.6–5.2 ms per statement → 1.4–1.7 ms).
    const viewers = sql`${sql.placeholder('viewers')}::bigint[]`;
    const ids = sql`${sql.placeholder('ids')}::bigint[]`;
    const authors = sql`array(select pa.author_id from ${posts} pa where pa.id = any(${ids}))`;
    const perPost = sql`(select x.pid,
        (select count(*)::text || ':' || coalesce(sum(${postMedia.mediaId}), 0)::text from ${postMedia} where ${postMedia.postId} = x.pid) as links,
        ${ctx.services.media.editedAtSql(sql`select ${postMedia.mediaId} from ${postMedia} where ${postMedia.postId} = x.pid`)} as media,
        (select coalesce(max(${paidReactions.id}), 0)::text from ${paidReactions} where ${paidReactions.postId} = x.pid) as gifts
      from (select distinct unnest(${ids}) as pid) x) as pp`;
    return db
      .select({
        // The row as its own object: drizzle builds it as it maps the result (a rest spread of
        // the selection cost a tenth of a page's CPU and left the row in dictionary mode).
        post: posts,
        fViewer: sql<number | null>`${viewer}`.mapWith(Number),
        fLiked: sql<boolean>`(${postId}, ${viewer}) in (select ${postLikes.postId}, ${postLikes.userId} from ${postLikes} where ${postLikes.postId} = any(${ids}) and ${postLikes.userId} = any(${viewers}))`,
        fFollowing: sql<boolean>`${users.followsSql(viewer, authorId)}`,
        fBlocked: sql<boolean>`(${viewer}, ${authorId}) in (${users.blockedPairsSql(viewers, authors)})`,
        fPeer: sql<boolean>`(${viewer}, ${authorId}) in (${ctx.services.messaging.peerPairsSql(viewers, authors)})`,
        fLinks: sql<string>`coalesce(pp.links, '0:0')`,
        fMedia: sql<string>`coalesce(pp.media, '0')`,
        fGifts: sql<string>`coalesce(pp.gifts, '0')`,
      })
      .from(sql`unnest(${viewers}, ${ids}) as q(viewer, pid)`)
      .innerJoin(posts, sql`${postId} = "q"."pid"`)
      .leftJoin(perPost, sql`pp.pid = ${postId}`);
  });

  type Call = { viewerId: number | null; ids: number[] };
  const keyOf = (viewerId: number | null, id: number) => `${viewerId ?? ''}:${id}`;

  /** One statement for every page asked for in this turn of the event loop. */
  const loadBatch = turnBatch(async (calls: Call[]): Promise<PostRow[][]> => {
    const viewers: (number | null)[] = [];
    const ids: number[] = [];
    const asked = new Set<string>();
    for (const c of calls) {
      for (const id of c.ids) {
        const key = keyOf(c.viewerId, id);
        if (asked.has(key)) continue;
        asked.add(key);
        viewers.push(c.viewerId);
        ids.push(id);
      }
    }
    const found = new Map<string, PostRow>();
    for (const { post, fViewer, fLiked, fFollowing, fBlocked, fPeer, fLinks, fMedia, fGifts } of await statement(ctx.db).execute({ viewers, ids })) {
      attach(post, FACTS, {
        viewerId: fViewer,
        liked: bool(fLiked),
        following: bool(fFollowing),
        blocked: bool(fBlocked),
        peer: bool(fPeer),
        version: versionOf(post.updatedAt, fLinks, fMedia, fGifts),
        noParts: fLinks === '0:0' && fGifts === '0',
      });
      found.set(keyOf(fViewer, post.id), post);
    }
    // Each call gets rows of its own: two pages of one viewer in a batch never share an object (a
    // copy carries the facts again: the hidden property is not copied).
    const handOut = handOutOnce<PostRow>();
    return calls.map((c) =>
      c.ids.flatMap((id) => {
        const post = found.get(keyOf(c.viewerId, id));
        if (!post) return [];
        const mine = handOut(post);
        if (mine !== post) attach(mine, FACTS, (post as Carrier)[FACTS]);
        return [mine];
      }),
    );
  });

  /** The rows of `ids` that exist (any order), each with its facts for `viewerId` attached. */
  async function load(viewerId: number | null, ids: number[]): Promise<PostRow[]> {
    const unique = [...new Set(ids)];
    if (!unique.length) return [];
    return loadBatch({ viewerId, ids: unique });
  }

  return { load };
}

export type PageFacts = ReturnType<typeof createPageFacts>;
