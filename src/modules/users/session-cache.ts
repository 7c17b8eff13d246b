// Every authenticated request resolves its token's user and session (users.resolveSession). This
// puts a short in-process cache in front of it (SESSION_CACHE_TTL_MS, default 1 s, bounded LRU of
// SESSION_CACHE_MAX_USERS users), so a busy client costs no database round trip per request.
//
// Invalidation: the domain events that change what a cached entry holds (session.revoked on logout,
// password change, suspension and session revocation; user.deactivated / user.updated; the follow
// and post counters on the user row) are handled wherever the outbox relays them: that process
// drops the user's entries at once and publishes the user ids on the `auth:sessions` pub/sub
// channel, so every other instance drops them as soon as the message arrives. The TTL bounds staleness
// even if a pub/sub message is lost (Redis reconnecting): revocation takes effect everywhere within
// a second. An instance subscribes on its first resolution and does not use the cache until the
// subscription is confirmed.
//
// The same invalidations keep a second cache of user rows for the read paths that present users
// (getManyForDisplay: post authors, thread members, message senders), so a page of posts or threads
// does not read its authors from PostgreSQL on every request.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Ctx } from '../../context.js';
import type { TokenClaims } from '../../platform/auth/tokens.js';
import { SessionCache } from '../../platform/auth/session-cache.js';
import { userTag } from '../../platform/pages.js';
import { USER_EVENTS, type FollowEvent } from './service.js';
import type { UserRow } from './schema.js';

export const SESSION_CHANNEL = 'auth:sessions';

type Resolve<R> = (claims: TokenClaims) => R | Promise<R>;

export interface SessionCacheHandle {
  cache: SessionCache<unknown>;
  /** True once this instance listens for invalidations (the cache is bypassed before). */
  readonly ready: boolean;
  /** Subscribes (once) and resolves when the subscription is confirmed. */
  subscribed(): Promise<void>;
  /** Drops the users' entries here and on every other instance. */
  invalidate(userIds: number[]): Promise<void>;
  /** Test hook: resolves when an invalidation naming `userId` has been received through pub/sub and applied. */
  delivered(userId: number): Promise<void>;
}

const handles = new WeakMap<object, SessionCacheHandle>();

/** The session cache of this context (tests read its stats and await deliveries through it). */
export function sessionCacheOf(ctx: Ctx): SessionCacheHandle {
  const h = handles.get(ctx);
  if (!h) throw new Error('session cache not wired (users module)');
  return h;
}

type RowsById = (ids: number[]) => Promise<Map<number, UserRow>>;

interface CachedUsers {
  getMany: RowsById;
  getManyForDisplay: RowsById;
  adjustPostsCount(userId: number, ...rest: never[]): Promise<void>;
  postsCountChanged(userId: number): Promise<void>;
}

/**
 * Wraps the users service's resolveSession with the cache, and adds getManyForDisplay on the user rows;
 * called from the users module.
 */
export function withSessionCache<S extends CachedUsers & { resolveSession: Resolve<R> }, R>(ctx: Ctx, service: S): S {
  const { ttlMs, maxUsers } = ctx.config.sessionCache;
  const cache = new SessionCache<R>(ttlMs, maxUsers, Date.now, ctx.metrics.countLookups('session'));
  // One entry per user (session id 0 is never a real session's); a missing user is not kept.
  const rows = new SessionCache<UserRow | null>(ttlMs, maxUsers, Date.now, ctx.metrics.countLookups('user_rows'));
  const applied = new EventEmitter().setMaxListeners(0);
  const self = randomUUID();
  let ready = false;
  let subscribing: Promise<void> | null = null;
  // Subscribed on the first resolution, so one-shot commands (migrate, seed-demo) never subscribe.
  const subscribe = () =>
    (subscribing ??= ctx.pubsub
      .subscribe(SESSION_CHANNEL, (message) => {
        let m: { from?: unknown; users?: unknown };
        try {
          m = JSON.parse(message) as typeof m;
        } catch {
          return;
        }
        const ids = m.users;
        if (!Array.isArray(ids)) return;
        // (this instance dropped its own before publishing; loads in flight then were voided)
        if (m.from !== self) for (const id of ids) if (typeof id === 'number') dropLocal(id);
        for (const id of ids) if (typeof id === 'number') applied.emit(String(id));
      })
      .then(
        () => {
          ready = true;
        },
        (err: unknown) => ctx.log.warn({ err }, 'session cache: subscribing failed; sessions are resolved without the cache'),
      ));
  function dropLocal(userId: number) {
    cache.invalidateUser(userId);
    rows.invalidateUser(userId);
  }
  const base = (claims: TokenClaims) => Promise.resolve(service.resolveSession(claims));
  const handle: SessionCacheHandle = {
    cache: cache as SessionCache<unknown>,
    get ready() {
      return ready;
    },
    subscribed: subscribe,
    async invalidate(userIds) {
      for (const id of userIds) dropLocal(id);
      // Rendered pages show users too (as viewers, authors, members): they go with them.
      ctx.pages.drop(userIds.map(userTag));
      await ctx.pubsub.publish(SESSION_CHANNEL, JSON.stringify({ from: self, users: userIds }));
    },
    delivered(userId) {
      return new Promise((resolve) => applied.once(String(userId), () => resolve()));
    },
  };
  handles.set(ctx, handle);
  const isRow = (r: unknown): r is UserRow => Boolean(r && typeof r === 'object' && !('error' in r));
  // A session's load reads its user's row: that row becomes the user's display row too (a send then
  // presents its sender without a query), unless one is cached. Its entry opens as the load starts,
  // so an invalidation meanwhile voids both.
  const loadSession = (claims: TokenClaims): Promise<R> => {
    let fill: { resolve: (row: UserRow | null) => void; reject: (e: unknown) => void } | undefined;
    rows
      .get(claims.user_id, 0, () => new Promise<UserRow | null>((resolve, reject) => (fill = { resolve, reject })), (row) => row !== null)
      .catch(() => undefined); // (its own callers see the failure)
    const loaded = base(claims);
    const f = fill;
    if (f) {
      // A refused session (revoked, inactive) says nothing of the row: it is read as any miss is.
      loaded.then(
        (r) => (isRow(r) ? f.resolve(Object.freeze({ ...r })) : service.getMany([claims.user_id]).then((m) => f.resolve(m.has(claims.user_id) ? Object.freeze(m.get(claims.user_id)!) : null), f.reject)),
        f.reject,
      );
    }
    return loaded;
  };
  // Only answers that let the request through are kept: refusals stay uncached (and rare). A kept
  // answer comes back as it is, not in a promise: the guard then admits the request in the same turn.
  const resolveSession: Resolve<R> = (claims) => {
    if (ready) return cache.peek(claims.user_id, claims.sid) ?? cache.get(claims.user_id, claims.sid, () => loadSession(claims), isRow);
    if (ttlMs > 0) void subscribe();
    return base(claims);
  };
  // The misses of one call are read in one query: each miss's load joins the batch as the cache asks for it.
  const getManyForDisplay: RowsById = async (ids) => {
    if (!ready) return service.getMany(ids);
    const missing: number[] = [];
    let settle!: { resolve: (m: Map<number, UserRow>) => void; reject: (e: unknown) => void };
    const batch = new Promise<Map<number, UserRow>>((resolve, reject) => (settle = { resolve, reject }));
    const unique = [...new Set(ids)];
    const found = unique.map((id) =>
      rows.get(id, 0, () => {
        missing.push(id);
        // Frozen: every later caller shares the object.
        return batch.then((m) => (m.has(id) ? Object.freeze(m.get(id)!) : null));
      }, (row) => row !== null),
    );
    if (missing.length) service.getMany(missing).then(settle.resolve, settle.reject);
    else settle.resolve(new Map());
    const out = new Map<number, UserRow>();
    for (const row of await Promise.all(found)) if (row) out.set(row.id, row);
    return out;
  };
  // A post's own response presents its author with the new posts_count: the writer's process drops
  // the row as the counter changes, before post.created drops it everywhere.
  const adjustPostsCount = ((userId: number, ...rest: never[]) => {
    rows.invalidateUser(userId);
    return service.adjustPostsCount(userId, ...rest);
  }) as S['adjustPostsCount'];
  // (a statement with postsCountCte() is built once, for no one in particular: its caller reports the
  // change once it committed; the writer's next request may reach any instance)
  const postsCountChanged = async (userId: number) => {
    // (after the write committed: a failed publish must not fail it; this instance dropped its own)
    await invalidateOrWarn(ctx, handle, [userId]);
    await service.postsCountChanged(userId);
  };
  return { ...service, resolveSession, getManyForDisplay, adjustPostsCount, postsCountChanged };
}

/** Listens to the domain events that change a cached session or user row (users module's jobs hook). */
export function sessionCacheJobs(ctx: Ctx) {
  const drop = (ids: number[]) => sessionCacheOf(ctx).invalidate(ids);
  const key = (name: string) => ({ key: `users.session-cache:${name}` });
  ctx.events.on<{ userId: number }>('session.revoked', (e) => drop([e.userId]), key('session.revoked'));
  for (const name of [USER_EVENTS.deactivated, USER_EVENTS.updated]) ctx.events.on<{ userId: number }>(name, (e) => drop([e.userId]), key(name));
  // A reactivated user's posts come back on pages that never carried them: every page goes.
  ctx.events.on<{ reactivated?: boolean }>(USER_EVENTS.updated, (e) => (e.reactivated ? ctx.pages.dropAll() : undefined), { key: 'users.pages:reactivated' });
  // The user row carries the follower/following/post counters users/me/ shows.
  for (const name of [USER_EVENTS.followed, USER_EVENTS.unfollowed]) ctx.events.on<FollowEvent>(name, (e) => drop([e.followerId, e.followeeId]), key(name));
  ctx.events.on<{ authorId: number }>('post.deleted', (e) => drop([e.authorId]), key('post.deleted'));
  // The author's own instance dropped it as the post was written (postsCountChanged); this reaches
  // the others, a relay pass's authors in one message, after the response.
  ctx.events.onBatch<{ authorId: number }>('post.created', (batch) => drop([...new Set(batch.map((e) => e.payload.authorId))]), { ...key('post.created'), afterResponse: true });
}

/**
 * A refused refresh may have revoked its session (a reused refresh token is treated as theft and
 * ends the session without an event): drop the token's user from every instance's cache.
 */
export async function dropCachedSessions(ctx: Ctx, refreshToken: string) {
  let userId: number;
  try {
    userId = (await ctx.tokens.verify(refreshToken, 'refresh')).user_id;
  } catch {
    return; // not one of ours: nothing it could have revoked
  }
  await invalidateOrWarn(ctx, sessionCacheOf(ctx), [userId]);
}

/** Drops users everywhere; when the publish fails, says so: the TTL ends the other instances' entries. */
function invalidateOrWarn(ctx: Ctx, handle: SessionCacheHandle, userIds: number[]) {
  return handle.invalidate(userIds).catch((err: unknown) => ctx.log.warn({ err }, 'session cache: invalidation failed; the TTL ends the entry'));
}
