// for_you / for_you_videos: a ranked window of recent visible posts.
//
// Pagination choice: the cursor carries the window's anchor (the newest candidate, inclusive) and
// the time scores were computed against, plus an offset into the ranked window. The ranked ids are
// also kept in ctx.kv for a while, so later pages slice exactly the list page 1 was cut from: new
// posts (newer than the anchor) never enter an open session's window, and like/comment changes
// cannot reorder it mid-scroll — no duplicates, no gaps. If the snapshot expired the window is
// recomputed from the same anchor and reference time (only engagement drift can move items then).
// A rank keyset was rejected: scores depend on live counters, so "score < x" is not stable.
import type { Ctx } from '../../context.js';
import type { Keyset } from '../../platform/http/pagination.js';
import type { PostRow } from '../social/schema.js';
import { FOR_YOU, FOR_YOU_VIDEOS, rank } from './rank.js';
import type { RankCursor } from './cursor.js';

/** Candidate window: the newest visible posts, at most this many. */
export const WINDOW = 400;
const SNAPSHOT_TTL_MS = 30 * 60_000;
/** First pages are reused this long (the candidate query is the expensive part); own actions clear it. */
const FIRST_PAGE_TTL_MS = 60_000;
const firstPageKey = (viewerId: number, videoOnly: boolean) => `feed:fy:${videoOnly ? 'v' : 'p'}:${viewerId}:first`;

export function createForYou(ctx: Ctx) {
  const social = () => ctx.services.social;

  async function candidates(viewerId: number, anchor: Keyset | null, videoOnly: boolean): Promise<PostRow[]> {
    const out: PostRow[] = [];
    let before = anchor;
    while (out.length < WINDOW) {
      const page = await social().listRecentVisible({ viewerId, before, limit: Math.min(200, WINDOW - out.length), videoOnly });
      out.push(...page.rows);
      if (!page.next) break;
      before = page.next;
    }
    return out;
  }

  async function rankedIds(viewerId: number, anchor: Keyset | null, at: number, videoOnly: boolean): Promise<{ ids: number[]; anchor: Keyset | null }> {
    const rows = await candidates(viewerId, anchor, videoOnly);
    if (!rows.length) return { ids: [], anchor };
    const followed = await ctx.services.users.followingAmong(viewerId, [...new Set(rows.map((r) => r.authorId))]);
    const ids = rank(rows, videoOnly ? FOR_YOU_VIDEOS : FOR_YOU, at, followed).map((r) => r.id);
    // Exclusive keyset bound just above the newest candidate: recomputing from it yields the same window.
    return { ids, anchor: anchor ?? { t: rows[0].createdAt.toISOString(), id: rows[0].id + 1 } };
  }

  const snapshotKey = (viewerId: number, videoOnly: boolean, c: { anchor: Keyset; at: number }) =>
    `feed:fy:${videoOnly ? 'v' : 'p'}:${viewerId}:${c.anchor.t}:${c.anchor.id}:${c.at}`;

  async function page(viewerId: number, cursor: RankCursor | null, limit: number, videoOnly = false): Promise<{ rows: PostRow[]; next: RankCursor | null }> {
    let ids: number[];
    let anchor: Keyset | null;
    let at = cursor?.at ?? Date.now();
    const offset = cursor?.offset ?? 0;
    const first = cursor ? null : await ctx.kv.get(firstPageKey(viewerId, videoOnly));
    const cached = cursor ? await ctx.kv.get(snapshotKey(viewerId, videoOnly, cursor)) : null;
    if (first) {
      ({ ids, anchor, at } = JSON.parse(first) as { ids: number[]; anchor: Keyset | null; at: number });
    } else if (cached) {
      ids = JSON.parse(cached) as number[];
      anchor = cursor!.anchor;
    } else {
      ({ ids, anchor } = await rankedIds(viewerId, cursor?.anchor ?? null, at, videoOnly));
      if (anchor && ids.length > limit) await ctx.kv.set(snapshotKey(viewerId, videoOnly, { anchor, at }), JSON.stringify(ids), SNAPSHOT_TTL_MS);
      if (!cursor) await ctx.kv.set(firstPageKey(viewerId, videoOnly), JSON.stringify({ ids, anchor, at }), FIRST_PAGE_TTL_MS);
    }
    // Visibility is re-checked on every page: a post hidden since page 1 simply drops out.
    const rows = await social().getVisiblePostsByIds(viewerId, ids.slice(offset, offset + limit));
    const end = offset + limit;
    return { rows, next: anchor && end < ids.length ? { anchor, at, offset: end } : null };
  }

  /** Drops viewers' reused first pages (after their own post, like, comment or follow change), in one command. */
  const invalidateMany = async (viewerIds: number[]) => {
    const ids = [...new Set(viewerIds)];
    if (ids.length) await ctx.kv.del(...ids.flatMap((id) => [firstPageKey(id, false), firstPageKey(id, true)]));
  };
  const invalidate = (viewerId: number) => invalidateMany([viewerId]);

  return { page, invalidate, invalidateMany };
}
