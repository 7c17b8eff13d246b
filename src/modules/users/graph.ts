// The social graph: follow, block and mute, with the locks that keep a follow from slipping past a
// block, and the SQL fragments other modules compose into their queries (the tables stay private).
// Part of the one users service (service.ts).
import { and, asc, desc, eq, gt, inArray, or, sql, type Column, type Placeholder, type SQL } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { DbOrTx, Tx } from '../../platform/db/index.js';
import { prepared } from '../../platform/db/prepared.js';
import { turnBatch } from '../../platform/db/turn-batch.js';
import { blocks, follows, mutes, users, type UserRow } from './schema.js';
import { USER_EVENTS, type FollowEvent } from './events.js';
import type { Accounts } from './accounts.js';
import { UserErrors } from './errors.js';
import { userTag } from '../../platform/pages.js';

/** Follower ids per page of a fan-out. */
const FOLLOWER_PAGE = 1000;

// ---- SQL fragments other modules compose into their queries (the tables stay private) ----

/** True when no block separates `viewerId` and the user in `col`. */
export function notBlockedSql(viewerId: number | Placeholder | SQL, col: Column | SQL): SQL {
  return sql`not exists (select 1 from ${blocks} where (${blocks.userId} = ${viewerId} and ${blocks.targetId} = ${col}) or (${blocks.userId} = ${col} and ${blocks.targetId} = ${viewerId}))`;
}

/**
 * The (viewer, user) pairs, of the viewers and users given as bigint arrays, that a block separates
 * (either way). Used as `(viewer, user) in (...)`, PostgreSQL runs it once per statement and hashes
 * it, instead of a probe per row of a batch.
 */
export function blockedPairsSql(viewerIds: SQL, userIds: SQL): SQL {
  return sql`select ${blocks.userId}, ${blocks.targetId} from ${blocks} where ${blocks.userId} = any(${viewerIds}) and ${blocks.targetId} = any(${userIds}) union all select ${blocks.targetId}, ${blocks.userId} from ${blocks} where ${blocks.targetId} = any(${viewerIds}) and ${blocks.userId} = any(${userIds})`;
}

/** True when `viewerId` follows the user in `col`. */
export function followsSql(viewerId: number | Placeholder | SQL, col: Column | SQL): SQL {
  return sql`exists (select 1 from ${follows} where ${follows.followerId} = ${viewerId} and ${follows.followeeId} = ${col})`;
}

/** True when the user in `col` is an active account. */
export function activeSql(col: Column | SQL): SQL {
  return sql`exists (select 1 from ${users} where ${users.id} = ${col} and ${users.isActive})`;
}

export function createGraph(ctx: Ctx, accounts: Accounts) {
  const db = () => ctx.db;
  const { getActive, getById } = accounts;

  // ---- follow graph ----

  /** A user who blocked you is invisible (404); one you blocked must be unblocked first (400). */
  async function assertNotBlocked(a: number, b: number, tx: DbOrTx = db()) {
    const rows = await tx
      .select({ u: blocks.userId })
      .from(blocks)
      .where(or(and(eq(blocks.userId, a), eq(blocks.targetId, b)), and(eq(blocks.userId, b), eq(blocks.targetId, a))));
    if (!rows.length) return;
    if (rows.some((r) => r.u === a)) throw UserErrors.blocked();
    throw UserErrors.userNotFound();
  }

  /**
   * Locks both users' rows, in id order: follow, unfollow and block on one pair run one at a time,
   * so a follow can never slip past a block committed meanwhile.
   */
  async function lockPair(tx: Tx, a: number, b: number) {
    return tx
      .select({ id: users.id, isActive: users.isActive })
      .from(users)
      .where(inArray(users.id, [a, b]))
      .orderBy(asc(users.id))
      .for('no key update');
  }

  async function follow(followerId: number, followeeId: number): Promise<boolean> {
    if (followerId === followeeId) throw UserErrors.cannotFollowSelf();
    await db().transaction(async (tx) => {
      const locked = await lockPair(tx, followerId, followeeId);
      if (!locked.find((u) => u.id === followeeId)?.isActive) throw UserErrors.userNotFound();
      await assertNotBlocked(followerId, followeeId, tx);
      const ins = await tx.insert(follows).values({ followerId, followeeId }).onConflictDoNothing().returning({ f: follows.followerId });
      if (!ins.length) return;
      await tx.update(users).set({ followingCount: sql`${users.followingCount} + 1` }).where(eq(users.id, followerId));
      await tx.update(users).set({ followersCount: sql`${users.followersCount} + 1` }).where(eq(users.id, followeeId));
      await ctx.events.emit<FollowEvent>(USER_EVENTS.followed, { followerId, followeeId }, tx);
    });
    return true;
  }

  /** Removes the follow row, its counters and records the event, in the caller's transaction. */
  async function unfollowIn(tx: Tx, followerId: number, followeeId: number): Promise<boolean> {
    const del = await tx.delete(follows).where(and(eq(follows.followerId, followerId), eq(follows.followeeId, followeeId))).returning({ f: follows.followerId });
    if (!del.length) return false;
    await tx.update(users).set({ followingCount: sql`${users.followingCount} - 1` }).where(eq(users.id, followerId));
    await tx.update(users).set({ followersCount: sql`${users.followersCount} - 1` }).where(eq(users.id, followeeId));
    await ctx.events.emit<FollowEvent>(USER_EVENTS.unfollowed, { followerId, followeeId }, tx);
    return true;
  }

  async function unfollow(followerId: number, followeeId: number): Promise<boolean> {
    if (followerId === followeeId) throw UserErrors.cannotFollowSelf();
    const target = await getById(followeeId);
    if (!target) throw UserErrors.userNotFound();
    await db().transaction(async (tx) => {
      await lockPair(tx, followerId, followeeId);
      await unfollowIn(tx, followerId, followeeId);
    });
    return false;
  }

  /** Of `candidates`, the ones `viewerId` follows. */
  // The candidates as one array parameter: one statement text whatever their number, parsed and
  // planned once per connection (an IN list was a new statement for every page size).
  const followingAmongQ = prepared('users_following_among', (d) =>
    d
      .select({ id: follows.followeeId })
      .from(follows)
      .where(and(eq(follows.followerId, sql.placeholder('viewer')), sql`${follows.followeeId} = any(${sql.placeholder('ids')}::bigint[])`)),
  );
  async function followingAmong(viewerId: number, candidates: number[]): Promise<Set<number>> {
    if (!candidates.length) return new Set();
    const rows = await followingAmongQ(db()).execute({ viewer: viewerId, ids: [...new Set(candidates)] });
    return new Set(rows.map((r) => r.id));
  }

  async function isFollowing(a: number, b: number) {
    return (await followingAmong(a, [b])).has(b);
  }

  async function followingIds(userId: number): Promise<number[]> {
    const rows = await db().select({ id: follows.followeeId }).from(follows).where(eq(follows.followerId, userId));
    return rows.map((r) => r.id);
  }

  async function followerIds(userId: number): Promise<number[]> {
    const rows = await db().select({ id: follows.followerId }).from(follows).where(eq(follows.followeeId, userId));
    return rows.map((r) => r.id);
  }

  /** Hard cap of the bare-array follower/following lists (the app reads them as arrays). */
  const GRAPH_LIST_MAX = 200;

  /**
   * `users/{id}/followers|following/` as `viewerId` sees them: 404 when a block separates the two
   * (like `users/{id}/`), without users blocked either way, active users only, newest first, capped.
   */
  async function graphList(viewerId: number, userId: number, side: 'followers' | 'following', limit = GRAPH_LIST_MAX): Promise<UserRow[]> {
    await getActive(userId);
    if (viewerId !== userId && (await isBlockedEitherWay(viewerId, userId))) throw UserErrors.userNotFound();
    const other = side === 'followers' ? follows.followerId : follows.followeeId;
    const self = side === 'followers' ? follows.followeeId : follows.followerId;
    // Read-only hot path: the replica when DATABASE_REPLICA_URL is set.
    return ctx.readDb
      .select({ u: users })
      .from(follows)
      .innerJoin(users, eq(users.id, other))
      .where(and(eq(self, userId), eq(users.isActive, true), notBlockedSql(viewerId, other)))
      .orderBy(desc(follows.createdAt), desc(other))
      .limit(Math.min(Math.max(limit, 1), GRAPH_LIST_MAX))
      .then((r) => r.map((x) => x.u));
  }

  const followersOf = (viewerId: number, userId: number, limit?: number) => graphList(viewerId, userId, 'followers', limit);
  const followingOf = (viewerId: number, userId: number, limit?: number) => graphList(viewerId, userId, 'following', limit);

  /** Follower ids of `userId` in pages (keyset on the id): fan-out never loads a whole audience. */
  // Every post's fan-out reads its author's followers: prepared.
  const followerPage = prepared('users_follower_ids_page', (d) =>
    d
      .select({ id: follows.followerId })
      .from(follows)
      .where(and(eq(follows.followeeId, sql.placeholder('userId')), gt(follows.followerId, sql.placeholder('after'))))
      .orderBy(asc(follows.followerId))
      .limit(sql.placeholder('pageSize')),
  );
  async function* followerIdPages(userId: number, pageSize = FOLLOWER_PAGE, after = 0): AsyncGenerator<number[]> {
    for (;;) {
      const rows = await followerPage(db()).execute({ userId, after, pageSize });
      if (!rows.length) return;
      yield rows.map((r) => r.id);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1].id;
    }
  }

  // The first page of each of many users' followers in one statement (a relay batch's fan-out: one
  // query per post was most of the worker's round trips), each page one row of text: ~50 rows of one
  // id each cost more to receive and map than the list.
  const firstFollowerPages = prepared('users_follower_ids_first_pages', (d) =>
    d
      .select({
        userId: sql<number>`a.user_id`.mapWith(Number),
        ids: sql<string>`(select string_agg(f.follower_id::text, ',' order by f.follower_id) from (select ${follows.followerId} from ${follows} where ${follows.followeeId} = a.user_id order by ${follows.followerId} limit ${sql.placeholder('pageSize')}) f)`,
      })
      .from(sql`unnest(${sql.placeholder('userIds')}::bigint[]) as a(user_id)`),
  );
  /**
   * Each user's followers, a page at a time, for many users: the first pages of all of them in one
   * query, the rest of a large audience through `followerIdPages`. Pages of different users interleave.
   */
  async function* followerIdPagesOfMany(userIds: number[], pageSize = FOLLOWER_PAGE): AsyncGenerator<{ userId: number; ids: number[] }> {
    const unique = [...new Set(userIds)];
    if (!unique.length) return;
    const firsts = await firstFollowerPages(db()).execute({ userIds: unique, pageSize });
    for (const { userId, ids: list } of firsts) {
      if (!list) continue;
      const ids = list.split(',').map(Number);
      yield { userId, ids };
      if (ids.length < pageSize) continue;
      for await (const more of followerIdPages(userId, pageSize, ids[ids.length - 1])) yield { userId, ids: more };
    }
  }

  // ---- blocks and mutes ----

  /** Either side's pages and reused for_you rankings may show (or now hide) the other's posts. */
  async function blocksChanged(userId: number, targetId: number) {
    ctx.pages.drop([userTag(userId), userTag(targetId)]);
    await ctx.services.feed.forYou.invalidateMany([userId, targetId]);
  }

  async function block(userId: number, targetId: number) {
    if (userId === targetId) throw UserErrors.cannotBlockSelf();
    await getActive(targetId);
    // One transaction: the block and the end of the follow relationship in both directions.
    await db().transaction(async (tx) => {
      await lockPair(tx, userId, targetId);
      await tx.insert(blocks).values({ userId, targetId }).onConflictDoNothing();
      await unfollowIn(tx, userId, targetId);
      await unfollowIn(tx, targetId, userId);
    });
    await blocksChanged(userId, targetId);
    // Live sockets of either side re-check their post:/comment: subscriptions.
    await ctx.services.realtime.recheckUsers([userId, targetId]);
  }

  async function unblock(userId: number, targetId: number) {
    await db().delete(blocks).where(and(eq(blocks.userId, userId), eq(blocks.targetId, targetId)));
    await blocksChanged(userId, targetId);
  }

  // The pairs asked about in one turn of the event loop (sends, follows, notifications, ...), answered
  // by one query: the pairs a block separates, or whose first user muted the second, come back.
  const pairRelations = prepared('users_pair_relations', (d) => {
    const [a, b] = [sql.raw('"q"."a"'), sql.raw('"q"."b"')];
    const blocked = sql`exists (select 1 from ${blocks} where (${blocks.userId} = ${a} and ${blocks.targetId} = ${b}) or (${blocks.userId} = ${b} and ${blocks.targetId} = ${a}))`;
    const muted = sql`exists (select 1 from ${mutes} where ${mutes.userId} = ${a} and ${mutes.targetId} = ${b})`;
    return d
      .select({ a: sql<number>`${a}`.mapWith(Number), b: sql<number>`${b}`.mapWith(Number), blocked: sql<boolean>`${blocked}`, muted: sql<boolean>`${muted}` })
      .from(sql`unnest(${sql.placeholder('as')}::bigint[], ${sql.placeholder('bs')}::bigint[]) as q(a, b)`)
      .where(sql`${blocked} or ${muted}`);
  });
  const NONE = { blocked: false, muted: false } as const;
  const relationInTurn = turnBatch(async (pairs: [number, number][]): Promise<{ blocked: boolean; muted: boolean }[]> => {
    const rows = await pairRelations(db()).execute({ as: pairs.map((p) => p[0]), bs: pairs.map((p) => p[1]) });
    const found = new Map(rows.map((r) => [`${r.a}:${r.b}`, { blocked: r.blocked, muted: r.muted }]));
    return pairs.map(([a, b]) => found.get(`${a}:${b}`) ?? NONE);
  });
  async function isBlockedEitherWay(a: number, b: number): Promise<boolean> {
    return (await relationInTurn([a, b])).blocked;
  }
  /** Whether `userId` should not hear from `actorId`: a block either way, or `userId` muted them. */
  async function isBlockedOrMuted(userId: number, actorId: number): Promise<boolean> {
    const r = await relationInTurn([userId, actorId]);
    return r.blocked || r.muted;
  }

  /** Users hidden from `userId`: the ones it blocked and the ones that blocked it. */
  async function blockedIds(userId: number): Promise<Set<number>> {
    const rows = await db()
      .select({ u: blocks.userId, t: blocks.targetId })
      .from(blocks)
      .where(or(eq(blocks.userId, userId), eq(blocks.targetId, userId)));
    return new Set(rows.map((r) => (r.u === userId ? r.t : r.u)));
  }

  async function mute(userId: number, targetId: number) {
    if (userId === targetId) throw UserErrors.cannotMuteSelf();
    await getActive(targetId);
    await db().insert(mutes).values({ userId, targetId }).onConflictDoNothing();
  }

  async function unmute(userId: number, targetId: number) {
    await db().delete(mutes).where(and(eq(mutes.userId, userId), eq(mutes.targetId, targetId)));
  }

  async function hasMuted(userId: number, targetId: number): Promise<boolean> {
    const r = await db().select({ u: mutes.userId }).from(mutes).where(and(eq(mutes.userId, userId), eq(mutes.targetId, targetId))).limit(1);
    return r.length > 0;
  }

  return {
    follow,
    unfollow,
    followingAmong,
    isFollowing,
    followingIds,
    followerIds,
    followersOf,
    followingOf,
    followerIdPages,
    followerIdPagesOfMany,
    notBlockedSql,
    blockedPairsSql,
    followsSql,
    activeSql,
    block,
    unblock,
    isBlockedEitherWay,
    blockedIds,
    mute,
    unmute,
    hasMuted,
    isBlockedOrMuted,
  };
}
