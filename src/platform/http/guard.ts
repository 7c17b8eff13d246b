// Authentication and rate limiting for every route, driven by the route's config:
//   config.auth: 'none' (ignores any token) | 'optional' | 'user' (default) | 'staff' | 'moderator'
//   config.rateLimit: extra named buckets on top of the global ip/user/anon ones.
// Both run in onRequest, before the body is parsed or validated: a non-moderator gets its 403
// whatever it sends.
import type { FastifyReply, FastifyRequest } from 'fastify';
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

/** Looks up the token's user and session; null when either is gone, revoked or inactive. */
export type ResolveUser = (claims: TokenClaims) => Promise<SessionUser | { error: 'user_not_found' | 'user_inactive' | 'session_revoked' }>;

function tokenInvalid(message: string) {
  return new ApiError(
    401,
    { detail: 'Given token not valid for any token type', code: 'token_not_valid', messages: [{ token_class: 'AccessToken', token_type: 'access', message }] },
    { 'www-authenticate': 'Bearer realm="api"' },
  );
}

async function authenticate(req: FastifyRequest, tokens: TokenSigner, resolve: ResolveUser) {
  const header = req.headers.authorization;
  if (!header) return;
  const parts = header.trim().split(/\s+/);
  if (parts[0] !== 'Bearer') return; // another scheme: anonymous, as the original
  if (parts.length !== 2) throw unauthorized('Authorization header must contain two space-delimited values', 'bad_authorization_header');
  let claims: TokenClaims;
  try {
    claims = await tokens.verify(parts[1], 'access');
  } catch (err) {
    if (err instanceof TokenError) throw tokenInvalid(err.message);
    throw err;
  }
  const user = await resolve(claims);
  if ('error' in user) {
    if (user.error === 'user_not_found') throw unauthorized('User not found', 'user_not_found');
    if (user.error === 'user_inactive') throw unauthorized('User is inactive', 'user_inactive');
    throw tokenInvalid('Token has been revoked');
  }
  req.user = user;
  req.claims = claims;
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

  app.addHook('onRequest', async (req, reply) => {
    // API routes require a user unless they say otherwise; docs, media and health are public.
    const mode: AuthMode = req.routeOptions.config.auth ?? (req.routeOptions.url?.startsWith('/api/v1') ? 'user' : 'none');
    if (mode !== 'none') await authenticate(req, tokens, resolve);
    if (mode === 'user' && !req.user) throw unauthorized();
    if (mode === 'staff') {
      if (!req.user) throw unauthorized();
      if (!req.user.isStaff) throw forbidden();
    }
    if (mode === 'moderator') {
      if (!req.user) throw unauthorized();
      if (!isModerator(req.user)) throw forbidden();
    }

    if (!config.rateLimits.enabled || !req.routeOptions.url || req.routeOptions.config.throttle === false) return;
    const rl = config.rateLimits;
    const routeRates = req.routeOptions.config.rateLimit ?? [];
    const buckets: { name: string; key: string; spec: RateSpec }[] = [{ name: 'ip', key: `ip:${req.ip}`, spec: rl.ip }];
    const ownUserBucket = req.user && routeRates.some((r) => r.replacesUserBucket && r.by === 'user');
    if (!ownUserBucket) buckets.push(req.user ? { name: 'user', key: `user:${req.user.id}`, spec: rl.user } : { name: 'anon', key: `anon:${req.ip}`, spec: rl.anon });
    const tokenBuckets: { name: string; key: string; spec: RouteRate & { burst: number } }[] = [];
    for (const r of routeRates) {
      const who = r.by === 'user' && req.user ? `u${req.user.id}` : `ip${req.ip}`;
      if (r.burst) tokenBuckets.push({ name: r.name, key: `${r.name}:${who}`, spec: r as RouteRate & { burst: number } });
      else buckets.push({ name: r.name, key: `${r.name}:${who}`, spec: r });
    }
    // (mostly answered from this process's leases, without a round trip: no await then)
    const counted = limiter.hitMany(buckets.map((b) => ({ key: b.key, limit: b.spec.limit, windowMs: b.spec.windowMs })));
    const results = tokenBuckets.length
      ? (await Promise.all([counted, Promise.all(tokenBuckets.map((b) => limiter.take(b.key, b.spec.limit, b.spec.windowMs, b.spec.burst)))])).flat()
      : Array.isArray(counted)
        ? counted
        : await counted;
    buckets.push(...tokenBuckets);
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
  });
}
