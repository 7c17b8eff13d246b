// Keyset pagination with opaque cursors over (created_at, id), newest first.
import { and, eq, lt, or, sql, type SQL, type Column } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

export interface Keyset {
  t: string; // ISO timestamp of the boundary row
  id: number;
}

export function encodeCursor(k: Keyset): string {
  return Buffer.from(JSON.stringify([k.t, k.id])).toString('base64url');
}

/**
 * An instant the database can store: a parseable date-time in years 1–9999. JavaScript accepts
 * extended years (`+275760-09-13T00:00:00Z`) that PostgreSQL rejects; every date taken from a
 * client (cursors, `since`, expiries) goes through here.
 */
export function parseInstant(raw: unknown): Date | null {
  if (typeof raw !== 'string' || raw.length > 64) return null;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) return null;
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  return y >= 1 && y <= 9999 ? d : null;
}

export const invalidCursor = () => new ApiError(400, { detail: 'Invalid cursor', code: 'invalid_cursor' });

/** Accepts a bare cursor or the whole `next` URL the app sends back (§3.9 of mobile-usage). */
export function decodeCursor(raw: string | undefined | null): Keyset | null {
  if (raw === undefined || raw === null || raw === '') return null;
  let token = raw;
  if (/^https?:|^\/|\?/.test(raw) || raw.includes('cursor=')) {
    try {
      const u = new URL(raw, 'http://x');
      token = u.searchParams.get('cursor') ?? '';
    } catch {
      throw invalidCursor();
    }
  }
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const at = Array.isArray(v) ? parseInstant(v[0]) : null;
    if (!at || !Number.isSafeInteger(v[1])) throw new Error();
    return { t: at.toISOString(), id: v[1] };
  } catch {
    throw invalidCursor();
  }
}

/** WHERE clause for rows strictly older than the cursor in (created_at desc, id desc) order. */
export function olderThan(createdAt: Column, id: Column, k: Keyset | null): SQL | undefined {
  if (!k) return undefined;
  const t = new Date(k.t);
  return or(lt(createdAt, t), and(eq(createdAt, t), lt(id, k.id)));
}

/**
 * olderThan() for a prepared statement: the cursor goes in as the placeholders `t` (an ISO instant,
 * Keyset.t) and `id`, so first and later pages differ only by this clause.
 */
export function olderThanPlaceholders(createdAt: Column, id: Column): SQL {
  const t = sql`${sql.placeholder('t')}::timestamptz`;
  return or(lt(createdAt, t), and(eq(createdAt, t), lt(id, sql.placeholder('id'))))!;
}

export function clampPageSize(raw: unknown, def = 20, max = 100): number {
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(n) || n <= 0) return def;
  return Math.min(n, max);
}

/** The public origin: PUBLIC_BASE_URL, else what the request says (proxies honoured when trusted). */
export function originOf(req: FastifyRequest, publicBaseUrl: string | null): string {
  if (publicBaseUrl) return publicBaseUrl;
  return `${req.protocol}://${req.host}`;
}

/** Absolute URL of the current request with `cursor` replaced. */
export function pageUrl(req: FastifyRequest, publicBaseUrl: string | null, cursor: string): string {
  const u = new URL(req.url, originOf(req, publicBaseUrl));
  u.searchParams.set('cursor', cursor);
  return originOf(req, publicBaseUrl) + u.pathname + u.search;
}

export interface Page<T> {
  next: string | null;
  previous: string | null;
  results: T[];
}

/** Splits a `limit + 1` fetch into a page and its next cursor. */
export function paginate<R extends { createdAt: Date; id: number }>(rows: R[], limit: number): { rows: R[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: encodeCursor({ t: last.createdAt.toISOString(), id: last.id }) };
}

/** The `{next, previous, results}` envelope with an absolute `next` URL (previous is never offered). */
export function cursorPage<T>(req: FastifyRequest, publicBaseUrl: string | null, nextCursor: string | null, results: T[]): Page<T> {
  return { next: nextCursor ? pageUrl(req, publicBaseUrl, nextCursor) : null, previous: null, results };
}
