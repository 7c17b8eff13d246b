// Request plumbing shared by the mentor routes: async-mode resolution (§0.8), the user's own key,
// the per-second limits and the `mentor` throttle scope.
import type { FastifyRequest } from 'fastify';
import type { Ctx } from '../../context.js';
import type { RouteRate } from '../../platform/http/guard.js';
import { ApiError } from '../../platform/http/errors.js';

function flag(raw: unknown): boolean | undefined {
  if (Array.isArray(raw)) raw = raw[0];
  if (typeof raw !== 'string') return undefined;
  const v = raw.trim().toLowerCase();
  if (v === '1' || v === 'true' || v === 'yes') return true;
  if (v === '0' || v === 'false' || v === 'no') return false;
  return undefined;
}

/** §0.8: X-Sync truthy → sync; ?async=; X-Async; else the endpoint's default. */
export function wantsAsync(req: FastifyRequest, byDefault: boolean): boolean {
  if (flag(req.headers['x-sync']) === true) return false;
  const q = flag((req.query as Record<string, unknown> | undefined)?.async);
  if (q !== undefined) return q;
  const h = flag(req.headers['x-async']);
  if (h !== undefined) return h;
  return byDefault;
}

/** X-LLM-Key (bounded; never logged: the logger redacts the header). */
export function llmKey(req: FastifyRequest): string | null {
  const raw = req.headers['x-llm-key'];
  const v = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return v && v.length <= 512 ? v : null;
}

export function mentorScope(ctx: Ctx): RouteRate[] {
  const r = ctx.config.mentor.rate;
  return [
    { name: 'mentor', by: 'user', ...r },
    { name: 'mentor_ip', by: 'ip', ...r },
  ];
}

export interface Limited {
  detail: string;
  retryAfter: number;
}

/** The scope buckets, counted by hand (the stream answers them in SSE form). Same keys as the guard. */
export async function scopeCheck(ctx: Ctx, req: FastifyRequest, userId: number): Promise<Limited | null> {
  if (!ctx.config.rateLimits.enabled) return null;
  const r = ctx.config.mentor.rate;
  const res = await ctx.limiter.hitMany([
    { key: `mentor:u${userId}`, limit: r.limit, windowMs: r.windowMs },
    { key: `mentor_ip:ip${req.ip}`, limit: r.limit, windowMs: r.windowMs },
  ]);
  const hit = res.find((x) => !x.allowed);
  if (!hit) return null;
  const wait = Math.max(1, Math.ceil(hit.resetMs / 1000));
  return { detail: `Request was throttled. Expected available in ${wait} seconds.`, retryAfter: wait };
}

/** MENTOR_RPS_USER then MENTOR_RPS_GLOBAL, per RPS_WINDOW_MS (one second by default). */
export async function rpsCheck(ctx: Ctx, userId: number): Promise<Limited | null> {
  if (!ctx.config.rateLimits.enabled) return null;
  const m = ctx.config.mentor;
  const [u, g] = await ctx.limiter.hitMany([
    { key: `mentor:user:${userId}`, limit: m.rpsUser, windowMs: ctx.config.rateLimits.rpsWindowMs },
    { key: 'mentor:global', limit: m.rpsGlobal, windowMs: ctx.config.rateLimits.rpsWindowMs },
  ]);
  const hit = !u.allowed ? u : !g.allowed ? g : null;
  return hit ? { detail: 'Rate limit exceeded.', retryAfter: Math.max(1, Math.ceil(hit.resetMs / 1000)) } : null;
}

export async function enforceRps(ctx: Ctx, userId: number) {
  const l = await rpsCheck(ctx, userId);
  if (l) throw new ApiError(429, { detail: l.detail, code: 'throttled' }, { 'retry-after': String(l.retryAfter) });
}

export const MAX_MESSAGE = 4000;
export const MAX_MODE = 32;
export const DEFAULT_MODE = 'daily_mentor';
