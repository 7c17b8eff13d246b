// Authentication and rate limiting for every route, driven by the route's config:
//   config.auth: 'none' (ignores any token) | 'optional' | 'user' (default) | 'staff' | 'moderator'
//   config.rateLimit: extra named buckets on top of the global ip/user/anon ones.
// Both run in onRequest, before the body is parsed or validated: a non-moderator gets its 403
// whatever it sends.
import type { FastifyContextConfig, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './app-type.js';
import type { Config, RateSpec } from '../../config.js';
import type { RateLimiter, RateResult } from '../rate-limit.js';
import { TokenError, type TokenClaims, type TokenSigner } from '../auth/tokens.js';
import { ApiError, forbidden, unauthorized } from './errors.js';

export interface SessionUser {
  id: number;
  isStaff: boolean;
  isSuperuser: boolean;
  roles: string[];
}

export type AuthMode = 'none' | 'optional' | 'user' | 'staff' | 'moderator';

/** The role that may moderate without being staff. */
export const MODERATION_ROLE = 'moderation_team';

/** Staff, superusers and holders of the moderation role. */
export const isModerator = (u: Pick<SessionUser, 'isStaff' | 'isSuperuser' | 'roles'>) => u.isStaff || u.isSuperuser || (u.roles ?? []).includes(MODERATION_ROLE);

export interface RouteRate extends RateSpec {
  name: string;
  by: 'user' | 'ip';
  /**
   * A token bucket instead of a fixed window: up to `burst` requests at once, refilled at `limit`
   * per `windowMs` (a phone flushing its offline queue is a burst, not a flood).
   */
  burst?: number;
  /** Count signed-in users against this bucket only, not the global per-user window. */
  replacesUserBucket?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: SessionUser | null;
    claims: TokenClaims | null;
  }
  interface FastifyContextConfig {
    auth?: AuthMode;
    rateLimit?: RouteRate[];
    /** false: exempt from every throttle (provider webhooks must never be rate-limited into losing a payment). */
    throttle?: boolean;
  }
}

/**
 * Looks up the token's user and session; an error when either is gone, revoked or inactive. A
 * session the process has at hand comes back without a promise (the request goes on in the same turn).
 */
type Resolution = SessionUser | { error: 'user_not_found' | 'user_inactive' | 'session_revoked' };
export type ResolveUser = (claims: TokenClaims) => Resolution | Promise<Resolution>;

function tokenInvalid(message: string) {
  return new ApiError(
    401,
    { detail: 'Given token not valid for any token type', code: 'token_not_valid', messages: [{ token_class: 'AccessToken', token_type: 'access', message }] },
    { 'www-authenticate': 'Bearer realm="api"' },
  );
}

/** Sets req.user from the bearer token, if any: at once when the session is at hand, else once it is read. */
function authenticate(req: FastifyRequest, tokens: TokenSigner, resolve: ResolveUser): void | Promise<void> {
  const header = req.headers.authorization;
  if (!header) return;
  // (the common form, "Bearer <token>", without splitting on a regular expression)
  const parts = header.startsWith('Bearer ') && header.length > 7 && header.indexOf(' ', 7) < 0 && header.indexOf('\t') < 0 ? ['Bearer', header.slice(7)] : header.trim().split(/\s+/);
  if (parts[0] !== 'Bearer') return; // another scheme: anonymous, as the original
  if (parts.length !== 2) throw unauthorized('Authorization header must contain two space-delimited values', 'bad_authorization_header');
  let claims: TokenClaims;
  try {
    claims = tokens.verifyNow(parts[1], 'access');
  } catch (err) {
    if (err instanceof TokenError) throw tokenInvalid(err.message);
    throw err;
  }
  const user = resolve(claims);
  if (user instanceof Promise) return user.then((u) => admit(req, claims, u));
  admit(req, claims, user);
}

function admit(req: FastifyRequest, claims: TokenClaims, user: Resolution) {
  if ('error' in user) {
    if (user.error === 'user_not_found') throw unauthorized('User not found', 'user_not_found');
    if (user.error === 'user_inactive') throw unauthorized('User is inactive', 'user_inactive');
    throw tokenInvalid('Token has been revoked');
  }
  req.user = user;
  req.claims = claims;
}

/** What the guard asks of a route, worked out on its first request (a route's config never changes). */
interface RoutePlan {
  mode: AuthMode;
  /** Counted against the rate limits at all. */
  throttled: boolean;
  rates: RouteRate[];
  /** A per-user route bucket replaces the global user window. */
  ownUserBucket: boolean;
}

function planOf(config: FastifyContextConfig, url: string | undefined, rateLimits: boolean): RoutePlan {
  const rates = config.rateLimit ?? [];
  return {
    // API routes require a user unless they say otherwise; docs, media and health are public.
    mode: config.auth ?? (url?.startsWith('/api/v1') ? 'user' : 'none'),
    throttled: rateLimits && url !== undefined && config.throttle !== false,
    rates,
    ownUserBucket: rates.some((r) => r.replacesUserBucket && r.by === 'user'),
  };
}

function setRateHeaders(reply: FastifyReply, r: RateResult, name: string, windowMs: number) {
  reply.header('ratelimit-limit', r.limit);
  reply.header('ratelimit-remaining', r.remaining);
  reply.header('ratelimit-reset', Math.ceil(r.resetMs / 1000));
  reply.header('ratelimit-policy', `${r.limit};w=${Math.round(windowMs / 1000)};name="${name}"`);
}

export function registerGuard(app: App, deps: { config: Config; tokens: TokenSigner; limiter: RateLimiter; resolve: ResolveUser }) {
  const { config, tokens, limiter, resolve } = deps;
  app.decorateRequest('user', null);
  app.decorateRequest('claims', null);

  const plans = new WeakMap<FastifyContextConfig, RoutePlan>();

  // Callback-style, and without a promise when the token and its session are at hand and the rate
  // limits answer from this process's leases: the common request passes in the same turn.
  app.addHook('onRequest', (req, reply, done) => {
    const route = req.routeOptions;
    let plan = plans.get(route.config);
    if (!plan) plans.set(route.config, (plan = planOf(route.config, route.url, config.rateLimits.enabled)));
    const p = plan;
    let authenticating: void | Promise<void>;
    try {
      authenticating = p.mode === 'none' ? undefined : authenticate(req, tokens, resolve);
      if (!authenticating) return guard(req, reply, p, done);
    } catch (err) {
      return done(err as Error);
    }
    authenticating.then(() => guard(req, reply, p, done), done);
  });

  /** The route's role requirement, then its rate limits; `done` once the request may go on. */
  function guard(req: FastifyRequest, reply: FastifyReply, plan: RoutePlan, done: (err?: Error) => void) {
    let counting: void | Promise<void>;
    try {
      const { mode } = plan;
      if (mode === 'user' && !req.user) throw unauthorized();
      if (mode === 'staff') {
        if (!req.user) throw unauthorized();
        if (!req.user.isStaff) throw forbidden();
      }
      if (mode === 'moderator') {
        if (!req.user) throw unauthorized();
        if (!isModerator(req.user)) throw forbidden();
      }
      counting = plan.throttled ? limit(req, reply, plan) : undefined;
    } catch (err) {
      return done(err as Error);
    }
    if (counting) counting.then(() => done(), done);
    else done();
  }

  function limit(req: FastifyRequest, reply: FastifyReply, plan: RoutePlan): void | Promise<void> {
    const rl = config.rateLimits;
    const buckets: { name: string; key: string; spec: RateSpec }[] = [{ name: 'ip', key: `ip:${req.ip}`, spec: rl.ip }];
    if (!(req.user && plan.ownUserBucket)) buckets.push(req.user ? { name: 'user', key: `user:${req.user.id}`, spec: rl.user } : { name: 'anon', key: `anon:${req.ip}`, spec: rl.anon });
    const tokenBuckets: { name: string; key: string; spec: RouteRate & { burst: number } }[] = [];
    for (const r of plan.rates) {
      const who = r.by === 'user' && req.user ? `u${req.user.id}` : `ip${req.ip}`;
      if (r.burst) tokenBuckets.push({ name: r.name, key: `${r.name}:${who}`, spec: r as RouteRate & { burst: number } });
      else buckets.push({ name: r.name, key: `${r.name}:${who}`, spec: r });
    }
    // (mostly answered from this process's leases, without a round trip: no promise then)
    const counted = limiter.hitMany(buckets.map((b) => ({ key: b.key, limit: b.spec.limit, windowMs: b.spec.windowMs })));
    if (tokenBuckets.length) {
      return Promise.all([counted, Promise.all(tokenBuckets.map((b) => limiter.take(b.key, b.spec.limit, b.spec.windowMs, b.spec.burst)))]).then(([fixed, tokened]) =>
        judge(reply, [...buckets, ...tokenBuckets], [...fixed, ...tokened]),
      );
    }
    if (Array.isArray(counted)) return judge(reply, buckets, counted);
    return counted.then((results) => judge(reply, buckets, results));
  }

  /** A 429 for the first bucket that refuses; else the tightest bucket's headers, once it is more than half used. */
  function judge(reply: FastifyReply, buckets: { name: string; spec: RateSpec }[], results: RateResult[]) {
    let tightest: { r: RateResult; name: string; windowMs: number } | null = null;
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i];
      const r = results[i];
      if (!r.allowed) {
        const wait = Math.max(1, Math.ceil(r.resetMs / 1000));
        setRateHeaders(reply, r, b.name, b.spec.windowMs);
        throw new ApiError(429, { detail: `Request was throttled. Expected available in ${wait} seconds.`, code: 'throttled' }, { 'retry-after': String(wait) });
      }
      if (!tightest || r.remaining / r.limit < tightest.r.remaining / tightest.r.limit) tightest = { r, name: b.name, windowMs: b.spec.windowMs };
    }
    // The RateLimit headers come once a bucket is more than half used (and on every 429): far from its
    // limit a client has nothing to pace, and four headers on every response were ~7 % of a cheap
    // request's CPU (docs/perf.md, "Tokens, rate limits and the access log").
    if (tightest && tightest.r.remaining * 2 < tightest.r.limit) setRateHeaders(reply, tightest.r, tightest.name, tightest.windowMs);
  }
}
