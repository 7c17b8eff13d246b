// Staff sessions for the admin pages: an opaque random cookie (HttpOnly, SameSite=Strict) naming a
// server-side record in the key-value store. The record is tied to a user session (auth_sessions):
// logging out, suspending the account or resetting its sessions revokes it on the next request.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../../context.js';
import type { TokenClaims } from '../../platform/auth/tokens.js';

export const COOKIE = 'sl_admin';
/** The login form's own CSRF cookie (double submit: no session exists yet). */
export const LOGIN_COOKIE = 'sl_admin_login';

export interface AdminSession {
  uid: number;
  sid: number;
  csrf: string;
}

export interface StaffUser {
  id: number;
  email: string;
  handle: string;
  isSuperuser: boolean;
}

const storeKey = (token: string) => `admin_session:${createHash('sha256').update(token).digest('base64url')}`;

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const piece of (header ?? '').split(';')) {
    const i = piece.indexOf('=');
    if (i <= 0) continue;
    const k = piece.slice(0, i).trim();
    const v = piece.slice(i + 1).trim();
    if (k && !(k in out)) out[k] = v;
  }
  return out;
}

export function sameToken(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length || !a) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export const newToken = () => randomBytes(32).toString('base64url');

export function cookie(name: string, value: string, opts: { maxAgeSec?: number; secure: boolean }) {
  const parts = [`${name}=${value}`, 'Path=/admin', 'HttpOnly', 'SameSite=Strict'];
  if (opts.maxAgeSec !== undefined) parts.push(`Max-Age=${opts.maxAgeSec}`);
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

export function createSessions(ctx: Ctx) {
  async function create(uid: number, sid: number): Promise<{ token: string; session: AdminSession }> {
    const token = newToken();
    const session = { uid, sid, csrf: newToken() };
    await ctx.kv.set(storeKey(token), JSON.stringify(session), ctx.config.adminConsole.sessionTtlSec * 1000);
    return { token, session };
  }

  /** The staff member behind the request's cookie, or why there is none. */
  async function load(req: FastifyRequest): Promise<{ session: AdminSession; user: StaffUser; token: string } | { error: 'none' | 'not_staff' }> {
    const token = parseCookies(req.headers.cookie)[COOKIE];
    if (!token || token.length > 100) return { error: 'none' };
    const stored = await ctx.kv.get(storeKey(token));
    if (!stored) return { error: 'none' };
    const session = JSON.parse(stored) as AdminSession;
    const user = await ctx.services.users.resolveSession({ user_id: session.uid, sid: session.sid } as TokenClaims);
    if ('error' in user) {
      await ctx.kv.del(storeKey(token));
      return { error: 'none' };
    }
    if (!user.isStaff) return { error: 'not_staff' };
    return { session, token, user: { id: user.id, email: user.email, handle: user.handle, isSuperuser: user.isSuperuser } };
  }

  async function destroy(token: string) {
    await ctx.kv.del(storeKey(token));
  }

  return { create, load, destroy };
}

export function setCookie(reply: FastifyReply, value: string) {
  const prev = reply.getHeader('set-cookie');
  const list = Array.isArray(prev) ? prev.map(String) : prev ? [String(prev)] : [];
  void reply.header('set-cookie', [...list, value]);
}
