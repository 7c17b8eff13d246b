// Home/following timelines: post ids fanned out on write into each follower's list in ctx.kv,
// hydrated and re-checked through the social service at read time.
import type { Ctx } from '../../context.js';
import type { Keyset } from '../../platform/http/pagination.js';
import type { PostRow } from '../social/schema.js';
import { userTag } from '../../platform/pages.js';

/** Entries kept per timeline; older pages come from PostgreSQL. */
export const TIMELINE_CAP = 800;
const listKey = (userId: number) => `feed:tl:${userId}`;
// Set once a timeline was (re)built from PostgreSQL: without it the list may be partial (fan-out only).
const builtKey = (userId: number) => `feed:tl:${userId}:built`;
/** Entries read before a later page's cursor entry, for pushes that landed out of order. */
const CURSOR_SLACK = 8;

const newer = (a: PostRow, b: PostRow) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id;
const keysetOf = (p: PostRow): Keyset => ({ t: p.createdAt.toISOString(), id: p.id });
const olderThanKeyset = (p: PostRow, k: Keyset | null) => {
  if (!k) return true;
  const t = Date.parse(k.t);
  const pt = p.createdAt.getTime();
  return pt < t || (pt === t && p.id < k.id);
};

export function createTimeline(ctx: Ctx) {
  const kv = () => ctx.kv;
  const social = () => ctx.services.social;

  // Each change of a timeline drops its owner's rendered pages (after the write).
  const changed = (userIds: number[]) => ctx.pages.drop(userIds.map(userTag));

  /**
   * One round trip per call; callers pass a page of followers at a time. `look`: the post may be on
   * these timelines already (a redelivered fan-out), and is not pushed again where it is.
   */
  async function push(userIds: number[], postId: number, look = true) {
    await kv().listPushMany(userIds.map(listKey), [String(postId)], TIMELINE_CAP, look);
    changed(userIds);
  }

  async function remove(userIds: number[], postId: number) {
    await kv().listRemoveMany(userIds.map(listKey), String(postId));
    changed(userIds);
  }

  /** Replaces the timeline with the newest posts of the people the user follows and their own. */
  async function rebuild(userId: number) {
    const ids: number[] = [];
    let before: Keyset | null = null;
    while (ids.length < TIMELINE_CAP) {
      const page = await social().listRecentVisible({ viewerId: userId, followedBy: userId, before, limit: 200 });
      ids.push(...page.rows.map((r) => r.id));
      if (!page.next) break;
      before = page.next;
    }
    await kv().del(listKey(userId));
    // listPush puts values[0] at the head: newest first.
    if (ids.length) await kv().listPush(listKey(userId), ids.slice(0, TIMELINE_CAP).map(String), TIMELINE_CAP);
    await kv().set(builtKey(userId), '1');
    changed([userId]);
  }

  /**
   * One page in (created_at, id) desc order strictly after `before`. Reads the cached ids when the
   * timeline was built; past the cached entries (or with a cold cache) it reads PostgreSQL, so a
   * missing or evicted cache never shows an empty or truncated feed. Returns whether it was cold.
   */
  async function page(viewerId: number, before: Keyset | null, limit: number, videoOnly = false): Promise<{ rows: PostRow[]; next: Keyset | null; cold: boolean }> {
    // Rows read per query: the page and one more (is there a next page?), with some slack for ids
    // the read-time checks drop (deleted posts, blocks).
    const chunk = limit + 1 + Math.ceil(limit / 4);
    const key = listKey(viewerId);
    // Newest first by id, whatever order the pushes landed in: fan-out jobs run side by side (and a
    // job's posts too), so a post can land below older ones. Pages are (created_at, id) keysets, and
    // ids follow creation: what was read is looked at newest first, then filtered and sorted as rows.
    const idsOf = (list: string[]) => [...new Set(list.map(Number))].filter(Number.isSafeInteger).sort((a, b) => b - a);
    // The list is newest first (rebuilds write it in (created_at, id) order, fan-out pushes at the
    // head). A first page reads its head; a later page the entries around its cursor's, found in the
    // store (a little slack before it for concurrent pushes landing out of order). Both reads are in
    // flight with the built marker: one round trip of waiting (the list of an unbuilt timeline is ignored).
    const head = 4 * chunk - 1;
    // What was read, whether it reaches the list's end, and the list's length (known once it does).
    type Read = { values: string[]; whole: boolean; total: number };
    const wholeList = async (): Promise<Read> => {
      const values = await kv().listRange(key, 0, -1);
      return { values, whole: true, total: values.length };
    };
    const [built, first] = await Promise.all([
      kv().exists(builtKey(viewerId)),
      before
        ? kv().listRangeAround(key, String(before.id), CURSOR_SLACK, chunk).then((w): Read | null => w && { values: w.values, whole: w.start + w.values.length >= w.length, total: w.length })
        : kv().listRange(key, 0, head).then((values): Read => ({ values, whole: values.length <= head, total: values.length })),
    ]);
    if (!built) return { ...(await fromDb(viewerId, before, limit, videoOnly)), cold: true };
    // (a cursor whose entry left the list, its post deleted or trimmed away: the whole list, filtered by the keyset)
    let listed = first ?? (await wholeList());
    let ids = idsOf(listed.values);
    if (!ids.length) return { ...(await fromDb(viewerId, before, limit, videoOnly)), cold: false };

    const at = before ? ids.indexOf(before.id) : -1;
    const start = at >= 0 ? Math.max(0, at - CURSOR_SLACK) : 0;
    const found: PostRow[] = [];
    const seen = new Set<number>();
    // The first read also covers the slack before the cursor, so a later page is one query too.
    for (let i = start, end = Math.max(start, at + 1) + chunk; found.length <= limit; i = end, end += chunk) {
      if (i >= ids.length) {
        if (listed.whole) break;
        // What was read ran out before the page was full (many hidden posts): read the whole list and
        // go on after the last entry looked at (results are filtered by the keyset and `seen` either way).
        const last = ids[ids.length - 1];
        listed = await wholeList();
        ids = idsOf(listed.values);
        i = ids.indexOf(last) + 1;
        end = i + chunk;
        if (i >= ids.length) break;
      }
      const rows = await social().getVisiblePostsByIds(viewerId, ids.slice(i, end));
      // (a push between the two list reads shifts the rest: an id may come round twice)
      for (const r of rows) {
        if (!olderThanKeyset(r, before) || (videoOnly && !r.hasVideo) || seen.has(r.id)) continue;
        seen.add(r.id);
        found.push(r);
      }
    }
    found.sort(newer);
    if (found.length > limit) {
      const rows = found.slice(0, limit);
      return { rows, next: keysetOf(rows[rows.length - 1]), cold: false };
    }
    // A full list was trimmed: older posts may exist beyond it, continue from the database.
    if (listed.total >= TIMELINE_CAP) {
      const from = found.length ? keysetOf(found[found.length - 1]) : before;
      const rest = await fromDb(viewerId, from, limit - found.length, videoOnly);
      const rows = [...found, ...rest.rows];
      return { rows, next: rest.next && rows.length ? keysetOf(rows[rows.length - 1]) : null, cold: false };
    }
    return { rows: found, next: null, cold: false };
  }

  async function fromDb(viewerId: number, before: Keyset | null, limit: number, videoOnly: boolean) {
    if (limit <= 0) return { rows: [] as PostRow[], next: before };
    return social().listRecentVisible({ viewerId, followedBy: viewerId, before, limit, videoOnly });
  }

  return { push, remove, rebuild, page, isBuilt: (userId: number) => kv().exists(builtKey(userId)) };
}

export type Timeline = ReturnType<typeof createTimeline>;
