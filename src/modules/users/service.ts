// The users module's rules: accounts, sessions and tokens, the follow graph, blocks, devices.
import { and, asc, desc, eq, gt, ilike, inArray, isNull, or, sql, type Column, type SQL } from 'drizzle-orm';
import { createUserFacts } from './facts.js';
import { createUserMaintenance } from './maintenance.js';
import type { Ctx } from '../../context.js';
import type { DbOrTx, Tx } from '../../platform/db/index.js';
import { isUniqueViolation } from '../../platform/db/index.js';
import { newJti, TokenError, type TokenClaims } from '../../platform/auth/tokens.js';
import { hashPassword, UNUSABLE_PASSWORD, verifyPassword } from '../../platform/auth/passwords.js';
import { ApiError, badRequest, fieldError, notFound } from '../../platform/http/errors.js';
import { olderThan, paginate, type Keyset } from '../../platform/http/pagination.js';
import { authSessions, blocks, devices, follows, mutes, userProfiles, users, type UserRow } from './schema.js';
import { handleCandidates, normalizeHandle } from './handles.js';

export interface Tokens {
  token: string;
  refreshToken: string;
}

export interface NewUser {
  email: string;
  password: string | null;
  handle?: string;
  name: string;
  isStaff?: boolean;
  isSuperuser?: boolean;
  roles?: string[];
}

export const USER_EVENTS = {
  created: 'user.created',
  followed: 'user.followed',
  unfollowed: 'user.unfollowed',
  deactivated: 'user.deactivated',
  updated: 'user.updated',
} as const;

export interface FollowEvent {
  followerId: number;
  followeeId: number;
}

const invalidCredentials = () => new ApiError(400, { non_field_errors: ['Invalid credentials'] });

// Verifying against a fixed hash when the e-mail is unknown keeps login time flat (no account probing by timing).
let dummyHash: Promise<string> | null = null;

export function createUsersService(ctx: Ctx) {
  const db = () => ctx.db;

  async function getById(id: number, tx: DbOrTx = db()): Promise<UserRow | null> {
    const [u] = await tx.select().from(users).where(eq(users.id, id)).limit(1);
    return u ?? null;
  }

  async function getActive(id: number): Promise<UserRow> {
    const u = await getById(id);
    if (!u || !u.isActive) throw notFound('No User matches the given query.');
    return u;
  }

  async function getMany(ids: number[]): Promise<Map<number, UserRow>> {
    const unique = [...new Set(ids)];
    if (!unique.length) return new Map();
    const rows = await db().select().from(users).where(inArray(users.id, unique));
    return new Map(rows.map((r) => [r.id, r]));
  }

  async function handleTaken(handle: string, tx: DbOrTx): Promise<boolean> {
    const r = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.handle}) = ${handle.toLowerCase()}`).limit(1);
    return r.length > 0;
  }

  async function emailTaken(email: string, tx: DbOrTx): Promise<boolean> {
    const r = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = ${email.toLowerCase()}`).limit(1);
    return r.length > 0;
  }

  /** Creates an account and its profile row in one transaction; duplicates are 400 field errors. */
  async function createUser(input: NewUser): Promise<UserRow> {
    const email = input.email.trim();
    const passwordHash = input.password === null ? UNUSABLE_PASSWORD : await hashPassword(input.password);
    try {
      const user = await db().transaction(async (tx) => {
        if (await emailTaken(email, tx)) throw fieldError('email', 'user with this email already exists.');
        let handle: string | undefined;
        if (input.handle !== undefined && input.handle.trim() !== '') {
          handle = normalizeHandle(input.handle);
          if (!handle) throw fieldError('handle', 'Handle must contain letters or numbers.');
          if (await handleTaken(handle, tx)) throw fieldError('handle', 'Handle is already taken.');
        } else {
          for (const c of handleCandidates(input.name, email)) {
            if (!(await handleTaken(c, tx))) {
              handle = c;
              break;
            }
          }
          if (!handle) throw badRequest('Could not generate a free handle; please choose one.', 'handle_unavailable');
        }
        const [row] = await tx
          .insert(users)
          .values({
            email,
            handle,
            name: input.name,
            password: passwordHash,
            isStaff: input.isStaff ?? false,
            isSuperuser: input.isSuperuser ?? false,
            roles: input.roles ?? [],
          })
          .returning();
        await tx.insert(userProfiles).values({ userId: row.id });
        await ctx.events.emit(USER_EVENTS.created, { userId: row.id }, tx);
        return row;
      });
      return user;
    } catch (err) {
      // A concurrent registration won the race for the same e-mail or handle.
      if (isUniqueViolation(err)) {
        const msg = String((err as { constraint?: string; cause?: { constraint?: string } }).constraint ?? (err as { cause?: { constraint?: string } }).cause?.constraint ?? '');
        if (msg.includes('handle')) throw fieldError('handle', 'Handle is already taken.');
        throw fieldError('email', 'user with this email already exists.');
      }
      throw err;
    }
  }

  async function issueTokens(userId: number, userAgent = '', tx: DbOrTx = db()): Promise<Tokens> {
    const refreshJti = newJti();
    const [session] = await tx.insert(authSessions).values({ userId, refreshJti, userAgent: userAgent.slice(0, 255) }).returning({ id: authSessions.id });
    const [token, refreshToken] = await Promise.all([ctx.tokens.sign('access', userId, session.id), ctx.tokens.sign('refresh', userId, session.id, refreshJti)]);
    return { token, refreshToken };
  }

  async function login(email: string, password: string, userAgent: string): Promise<{ user: UserRow; tokens: Tokens }> {
    const [user] = await db().select().from(users).where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`).limit(1);
    if (!user) {
      dummyHash ??= hashPassword('not-a-real-password');
      await verifyPassword(password, await dummyHash);
      throw invalidCredentials();
    }
    const v = await verifyPassword(password, user.password);
    if (!v.ok || !user.isActive) throw invalidCredentials();
    const patch: Partial<typeof users.$inferInsert> = { lastLogin: new Date() };
    if (v.needsRehash) patch.password = await hashPassword(password);
    await db().update(users).set(patch).where(eq(users.id, user.id));
    return { user, tokens: await issueTokens(user.id, userAgent) };
  }

  /** Rotates a refresh token. Reusing an already-rotated token revokes the whole session. */
  async function refresh(refreshToken: string): Promise<Tokens> {
    let claims: TokenClaims;
    try {
      claims = await ctx.tokens.verify(refreshToken, 'refresh');
    } catch (err) {
      if (err instanceof TokenError) throw new ApiError(401, { detail: err.message, code: 'token_not_valid' });
      throw err;
    }
    const nextJti = newJti();
    const rotated = await db()
      .update(authSessions)
      .set({ refreshJti: nextJti, lastUsedAt: new Date() })
      .where(and(eq(authSessions.id, claims.sid), eq(authSessions.refreshJti, claims.jti), isNull(authSessions.revokedAt)))
      .returning({ id: authSessions.id });
    if (!rotated.length) {
      await db().update(authSessions).set({ revokedAt: new Date() }).where(and(eq(authSessions.id, claims.sid), isNull(authSessions.revokedAt)));
      throw new ApiError(401, { detail: 'Token is invalid or expired', code: 'token_not_valid' });
    }
    const user = await getById(claims.user_id);
    if (!user || !user.isActive) throw new ApiError(401, { detail: 'User is inactive', code: 'user_inactive' });
    const [token, refreshTok] = await Promise.all([ctx.tokens.sign('access', claims.user_id, claims.sid), ctx.tokens.sign('refresh', claims.user_id, claims.sid, nextJti)]);
    return { token, refreshToken: refreshTok };
  }

  // 'session.revoked' lets the realtime gateway close the affected live sockets; it is written in
  // the revoking transaction, so sockets close only once the revocation committed.
  async function revokeSession(sid: number) {
    await db().transaction(async (tx) => {
      const rows = await tx.update(authSessions).set({ revokedAt: new Date() }).where(and(eq(authSessions.id, sid), isNull(authSessions.revokedAt))).returning({ userId: authSessions.userId });
      for (const r of rows) await ctx.events.emit('session.revoked', { userId: r.userId, sid }, tx);
    });
  }

  async function revokeAllSessions(userId: number, tx?: Tx) {
    const run = async (t: Tx) => {
      await t.update(authSessions).set({ revokedAt: new Date() }).where(and(eq(authSessions.userId, userId), isNull(authSessions.revokedAt)));
      await ctx.events.emit('session.revoked', { userId }, t);
    };
    if (tx) await run(tx);
    else await db().transaction(run);
  }

  // The hot path of every authenticated request, prepared once: no query building, and PostgreSQL
  // parses and plans it once per connection.
  let resolveStmt: ReturnType<typeof prepareResolve> | null = null;
  function prepareResolve() {
    return db()
      .select({ user: users, revokedAt: authSessions.revokedAt, sessionUser: authSessions.userId })
      .from(users)
      .leftJoin(authSessions, eq(authSessions.id, sql.placeholder('sid')))
      .where(eq(users.id, sql.placeholder('uid')))
      .limit(1)
      .prepare('auth_resolve_session');
  }

  /** One indexed query per authenticated request: the user row and its session's state. */
  async function resolveSession(claims: TokenClaims) {
    resolveStmt ??= prepareResolve();
    const [row] = await resolveStmt.execute({ uid: claims.user_id, sid: claims.sid });
    if (!row) return { error: 'user_not_found' as const };
    if (!row.user.isActive) return { error: 'user_inactive' as const };
    if (row.sessionUser !== claims.user_id || row.revokedAt) return { error: 'session_revoked' as const };
    return row.user;
  }

  async function changePassword(userId: number, oldPassword: string, newPassword: string, userAgent: string): Promise<Tokens> {
    const user = await getById(userId);
    if (!user) throw notFound();
    const v = await verifyPassword(oldPassword, user.password);
    if (!v.ok) throw fieldError('old_password', 'Wrong password.');
    const hash = await hashPassword(newPassword);
    return db().transaction(async (tx) => {
      await tx.update(users).set({ password: hash, updatedAt: new Date() }).where(eq(users.id, userId));
      await revokeAllSessions(userId, tx);
      return issueTokens(userId, userAgent, tx);
    });
  }

  async function setPassword(userId: number, password: string) {
    const hash = await hashPassword(password);
    await db().transaction(async (tx) => {
      await tx.update(users).set({ password: hash, updatedAt: new Date() }).where(eq(users.id, userId));
      await revokeAllSessions(userId, tx);
    });
  }

  /**
   * Suspends or restores an account (in the caller's transaction when given); suspension ends every
   * session at once. Restoring announces `user.updated`, so search indexes the user again.
   */
  async function setActive(userId: number, active: boolean, outer?: Tx) {
    const run = async (tx: Tx) => {
      await tx.update(users).set({ isActive: active, updatedAt: new Date() }).where(eq(users.id, userId));
      if (!active) await revokeAllSessions(userId, tx);
      await ctx.events.emit(active ? USER_EVENTS.updated : USER_EVENTS.deactivated, { userId }, tx);
    };
    if (outer) await run(outer);
    else await db().transaction(run);
  }

  /** The event commits with the change, in the caller's transaction when given. */
  async function update(userId: number, patch: Partial<typeof users.$inferInsert>, tx?: Tx): Promise<UserRow> {
    const run = async (t: Tx) => {
      const [row] = await t.update(users).set({ ...patch, updatedAt: new Date() }).where(eq(users.id, userId)).returning();
      if (!row) throw notFound();
      await ctx.events.emit(USER_EVENTS.updated, { userId }, t);
      return row;
    };
    return tx ? run(tx) : db().transaction(run);
  }

  async function list(opts: { q?: string; cursor: Keyset | null; limit: number; viewerId?: number | null }) {
    const conds = [eq(users.isActive, true), olderThan(users.createdAt, users.id, opts.cursor)];
    // A user blocked either way never appears in the other's directory or search.
    if (opts.viewerId != null) conds.push(notBlockedSql(opts.viewerId, users.id));
    for (const term of (opts.q ?? '').trim().split(/\s+/).filter(Boolean)) {
      const like = `%${term.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
      conds.push(or(ilike(users.handle, like), ilike(users.name, like)));
    }
    const rows = await db()
      .select()
      .from(users)
      .where(and(...conds))
      .orderBy(desc(users.createdAt), desc(users.id))
      .limit(opts.limit + 1);
    return paginate(rows, opts.limit);
  }

  // ---- follow graph ----

  /** A user who blocked you is invisible (404); one you blocked must be unblocked first (400). */
  async function assertNotBlocked(a: number, b: number, tx: DbOrTx = db()) {
    const rows = await tx
      .select({ u: blocks.userId })
      .from(blocks)
      .where(or(and(eq(blocks.userId, a), eq(blocks.targetId, b)), and(eq(blocks.userId, b), eq(blocks.targetId, a))));
    if (!rows.length) return;
    if (rows.some((r) => r.u === a)) throw badRequest('Unblock this user first.', 'blocked');
    throw notFound('No User matches the given query.');
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
    if (followerId === followeeId) throw badRequest('Cannot follow yourself', 'cannot_follow_self');
    await db().transaction(async (tx) => {
      const locked = await lockPair(tx, followerId, followeeId);
      if (!locked.find((u) => u.id === followeeId)?.isActive) throw notFound('No User matches the given query.');
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
    if (followerId === followeeId) throw badRequest('Cannot follow yourself', 'cannot_follow_self');
    const target = await getById(followeeId);
    if (!target) throw notFound('No User matches the given query.');
    await db().transaction(async (tx) => {
      await lockPair(tx, followerId, followeeId);
      await unfollowIn(tx, followerId, followeeId);
    });
    return false;
  }

  /** Of `candidates`, the ones `viewerId` follows. */
  async function followingAmong(viewerId: number, candidates: number[]): Promise<Set<number>> {
    if (!candidates.length) return new Set();
    const rows = await db()
      .select({ id: follows.followeeId })
      .from(follows)
      .where(and(eq(follows.followerId, viewerId), inArray(follows.followeeId, [...new Set(candidates)])));
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
    if (viewerId !== userId && (await isBlockedEitherWay(viewerId, userId))) throw notFound('No User matches the given query.');
    const other = side === 'followers' ? follows.followerId : follows.followeeId;
    const self = side === 'followers' ? follows.followeeId : follows.followerId;
    return db()
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
  async function* followerIdPages(userId: number, pageSize = 1000): AsyncGenerator<number[]> {
    let after = 0;
    for (;;) {
      const rows = await db()
        .select({ id: follows.followerId })
        .from(follows)
        .where(and(eq(follows.followeeId, userId), gt(follows.followerId, after)))
        .orderBy(asc(follows.followerId))
        .limit(pageSize);
      if (!rows.length) return;
      yield rows.map((r) => r.id);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1].id;
    }
  }

  // ---- SQL fragments other modules compose into their queries (the tables stay private) ----

  /** True when no block separates `viewerId` and the user in `col`. */
  function notBlockedSql(viewerId: number, col: Column | SQL): SQL {
    return sql`not exists (select 1 from ${blocks} where (${blocks.userId} = ${viewerId} and ${blocks.targetId} = ${col}) or (${blocks.userId} = ${col} and ${blocks.targetId} = ${viewerId}))`;
  }

  /** True when `viewerId` follows the user in `col`. */
  function followsSql(viewerId: number, col: Column | SQL): SQL {
    return sql`exists (select 1 from ${follows} where ${follows.followerId} = ${viewerId} and ${follows.followeeId} = ${col})`;
  }

  /** True when the user in `col` is an active account. */
  function activeSql(col: Column | SQL): SQL {
    return sql`exists (select 1 from ${users} where ${users.id} = ${col} and ${users.isActive})`;
  }

  // ---- blocks and mutes ----

  async function block(userId: number, targetId: number) {
    if (userId === targetId) throw badRequest('Cannot block yourself', 'cannot_block_self');
    await getActive(targetId);
    // One transaction: the block and the end of the follow relationship in both directions.
    await db().transaction(async (tx) => {
      await lockPair(tx, userId, targetId);
      await tx.insert(blocks).values({ userId, targetId }).onConflictDoNothing();
      await unfollowIn(tx, userId, targetId);
      await unfollowIn(tx, targetId, userId);
    });
    // Live sockets of either side re-check their post:/comment: subscriptions.
    await ctx.services.realtime.recheckUsers([userId, targetId]);
  }

  async function unblock(userId: number, targetId: number) {
    await db().delete(blocks).where(and(eq(blocks.userId, userId), eq(blocks.targetId, targetId)));
  }

  async function isBlockedEitherWay(a: number, b: number): Promise<boolean> {
    const r = await db()
      .select({ u: blocks.userId })
      .from(blocks)
      .where(or(and(eq(blocks.userId, a), eq(blocks.targetId, b)), and(eq(blocks.userId, b), eq(blocks.targetId, a))))
      .limit(1);
    return r.length > 0;
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
    if (userId === targetId) throw badRequest('Cannot mute yourself', 'cannot_mute_self');
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

  /** Keeps users.posts_count exact; the social module calls it inside its own transaction. */
  async function adjustPostsCount(userId: number, delta: number, tx: DbOrTx = db()) {
    await tx.update(users).set({ postsCount: sql`greatest(${users.postsCount} + ${delta}, 0)` }).where(eq(users.id, userId));
  }

  async function findByEmail(email: string): Promise<UserRow | null> {
    const [u] = await db().select().from(users).where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`).limit(1);
    return u ?? null;
  }

  /** Read-only: a user's push devices (the notifications module delivers to each). */
  async function listDevices(userId: number) {
    return db().select().from(devices).where(eq(devices.userId, userId)).orderBy(desc(devices.createdAt), desc(devices.id));
  }

  /**
   * Removes a device whose push token the push service reports as no longer registered. The token
   * must still match: a token re-registered meanwhile (it moves between accounts) is kept.
   */
  async function pruneDevice(deviceId: number, pushToken: string): Promise<boolean> {
    const gone = await db().delete(devices).where(and(eq(devices.id, deviceId), eq(devices.pushToken, pushToken))).returning({ id: devices.id });
    return gone.length > 0;
  }

  /** Users by handle, case-insensitively (mentions); unknown handles are simply absent. */
  async function findByHandles(handles: string[]): Promise<UserRow[]> {
    const wanted = [...new Set(handles.map((h) => h.toLowerCase()))];
    if (!wanted.length) return [];
    return db().select().from(users).where(inArray(sql`lower(${users.handle})`, wanted));
  }

  return {
    getById,
    listDevices,
    pruneDevice,
    findByHandles,
    getActive,
    getMany,
    findByEmail,
    createUser,
    issueTokens,
    login,
    refresh,
    revokeSession,
    revokeAllSessions,
    resolveSession,
    changePassword,
    setPassword,
    setActive,
    update,
    list,
    follow,
    unfollow,
    followingAmong,
    isFollowing,
    followingIds,
    followerIds,
    followersOf,
    followingOf,
    followerIdPages,
    notBlockedSql,
    followsSql,
    activeSql,
    block,
    unblock,
    isBlockedEitherWay,
    blockedIds,
    mute,
    unmute,
    hasMuted,
    adjustPostsCount,
    ...createUserFacts(ctx),
    ...createUserMaintenance(ctx),
  };
}

export type UsersService = ReturnType<typeof createUsersService> & {
  present: import('./present.js').Presenter['present'];
  presentOne: import('./present.js').Presenter['presentOne'];
  photoUrl: import('./present.js').Presenter['photoUrl'];
};
