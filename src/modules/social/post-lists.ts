// Post lists: the newest visible posts, keyset-paginated, for posts/, the following timeline's
// sources and profiles. Part of the one social service (posts.ts composes it).
import { and, desc, eq, inArray, notInArray, sql, type SQL } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { Db } from '../../platform/db/index.js';
import { prepared } from '../../platform/db/prepared.js';
import { olderThan, olderThanPlaceholders, type Keyset } from '../../platform/http/pagination.js';
import type { UserRow } from '../users/schema.js';
import { postMedia, posts, type PostRow } from './schema.js';
import { followedBySql, visibleSql } from './visibility.js';
import { attachAuthor } from './page-facts.js';

export function createPostLists(ctx: Ctx) {
  const db = () => ctx.db;
  const users = () => ctx.services.users;
  const media = () => ctx.services.media;

  const plainList = (d: Db, after: boolean) =>
    d
      .select()
      .from(posts)
      .where(and(visibleSql(ctx, sql.placeholder('viewer')), after ? olderThanPlaceholders(posts.createdAt, posts.id) : undefined))
      .orderBy(desc(posts.createdAt), desc(posts.id))
      .limit(sql.placeholder('limit'));
  const plainFirst = prepared('social_list_first', (d) => plainList(d, false));
  const plainAfter = prepared('social_list_after', (d) => plainList(d, true));

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
    // The plain list of a signed-in viewer (posts/, what most lists are) is a prepared statement;
    // filtered lists and the rounds after one that met an inactive author are built per call.
    const viewer = opts.viewerId;
    const plain = viewer !== null && !opts.authorIds && opts.followedBy === undefined && !opts.videoOnly;
    // Built on first need, once: the prepared statement needs none of it.
    let built: (SQL | undefined)[] | null = null;
    const filters = () =>
      (built ??= [
        visibleSql(ctx, opts.viewerId),
        opts.authorIds ? inArray(posts.authorId, opts.authorIds) : undefined,
        opts.followedBy !== undefined ? followedBySql(ctx, opts.followedBy) : undefined,
        opts.videoOnly ? eq(posts.hasVideo, true) : undefined,
      ]);
    const found: PostRow[] = [];
    const inactive = new Set<number>();
    const active = new Map<number, UserRow>();
    let cursor = opts.before ?? null;
    let exhausted = false;
    for (let round = 0; round < 5 && found.length <= limit; round++) {
      // Post lists and feed pages tolerate replication lag: the read replica when there is one.
      const batch =
        plain && !inactive.size
          ? cursor
            ? await plainAfter(ctx.readDb).execute({ viewer, t: cursor.t, id: cursor.id, limit: limit + 1 })
            : await plainFirst(ctx.readDb).execute({ viewer, limit: limit + 1 })
          : await ctx.readDb
              .select()
              .from(posts)
              .where(and(...filters(), olderThan(posts.createdAt, posts.id, cursor), notInArray(posts.authorId, [...inactive])))
              .orderBy(desc(posts.createdAt), desc(posts.id))
              .limit(limit + 1);
      const unknown = [...new Set(batch.map((p) => p.authorId))].filter((id) => !inactive.has(id) && !active.has(id));
      for (const u of (await users().getManyForDisplay(unknown)).values()) {
        if (u.isActive) active.set(u.id, u);
        else inactive.add(u.id);
      }
      const playable = opts.videoOnly ? await withPlayableVideo(batch.map((p) => p.id)) : null;
      for (const p of batch) {
        if (!active.has(p.authorId) || (playable && !playable.has(p.id))) continue;
        // The author row travels with the post: presenting the page does not load it again.
        attachAuthor(p, active.get(p.authorId)!);
        found.push(p);
      }
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

  return { listRecentVisible };
}
