// The staff admin at /admin/: server-rendered pages behind a staff session cookie (see session.ts).
// Every page and action goes through other modules' services; every action writes an audit entry.
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { ApiError } from '../../platform/http/errors.js';
import { COOKIE, LOGIN_COOKIE, cookie, createSessions, newToken, parseCookies, sameToken, setCookie, type AdminSession, type StaffUser } from './session.js';
import { html, page, type Html } from './html.js';
import { createOps } from './ops.js';
import { usersPages } from './pages/users.js';
import { moderationPages } from './pages/moderation.js';
import { catalogPages } from './pages/catalogue.js';
import { moneyPages } from './pages/money.js';
import { opsPages } from './pages/ops.js';

export type Form = Record<string, string>;

export interface Staff {
  user: StaffUser;
  session: AdminSession;
  token: string;
}

export interface AuditNote {
  action: string;
  objectType: string;
  objectId: string | number;
  metadata?: Record<string, unknown>;
}

/** What an action did: its audit entry and where to go back to with which message. */
export interface ActionResult {
  audit: AuditNote;
  back: string;
  msg: string;
}

export interface AdminKit {
  ctx: Ctx;
  /** A GET page for staff: `render` returns its title and body. */
  get(path: string, render: (req: FastifyRequest, staff: Staff) => Promise<{ title: string; body: Html; script?: string; nonce?: string }>): void;
  /** A POST action for staff (CSRF checked, audited, then 303 back with a message). */
  post(path: string, run: (req: FastifyRequest, form: Form, staff: Staff) => Promise<ActionResult>, fallback: (req: FastifyRequest, form: Form) => string): void;
  app: App;
  staffOnly(req: FastifyRequest, reply: FastifyReply): Promise<Staff | null>;
}

const MAX_FIELD = 2000;
const isSecure = (req: FastifyRequest) => req.protocol === 'https';

/** `?msg=`/`?err=` carried across the redirect after an action. */
export function withMessage(path: string, key: 'msg' | 'err', text: string) {
  return `${path}${path.includes('?') ? '&' : '?'}${key}=${encodeURIComponent(text.slice(0, 300))}`;
}

function sendPage(reply: FastifyReply, status: number, body: string, nonce?: string) {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'same-origin')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', `default-src 'self'; script-src ${nonce ? `'nonce-${nonce}'` : "'none'"}; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`)
    .send(body);
}

function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const b = err.body as Record<string, unknown>;
    if (typeof b.detail === 'string') return b.detail;
    return Object.entries(b)
      .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : String(v)}`)
      .join('; ');
  }
  return 'The action failed.';
}

function safeNext(v: unknown): string {
  return typeof v === 'string' && /^\/admin(\/[^\s\\]*)?$/.test(v) && !v.startsWith('//') && v.length < 500 ? v : '/admin/';
}

export async function adminRoutes(app: App, ctx: Ctx) {
  const sessions = createSessions(ctx);
  const audit = () => ctx.services.audit;

  // HTML forms post application/x-www-form-urlencoded (parsed in this scope only).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
    const out: Form = Object.create(null);
    for (const [k, v] of new URLSearchParams(body as string)) if (!(k in out)) out[k] = v.slice(0, MAX_FIELD);
    done(null, out);
  });

  const forbiddenPage = (reply: FastifyReply, why: string) =>
    sendPage(reply, 403, page({ title: 'Forbidden', body: html`<p>${why}</p><p><a href="/admin/login">Log in with a staff account</a></p>` }));

  async function staffOnly(req: FastifyRequest, reply: FastifyReply): Promise<Staff | null> {
    const s = await sessions.load(req);
    if ('error' in s) {
      if (s.error === 'not_staff') {
        await forbiddenPage(reply, 'Staff only.');
        return null;
      }
      // A Bearer token is never a staff session: an API user (even staff) is refused, not redirected.
      if (req.headers.authorization) {
        await forbiddenPage(reply, 'The admin pages need a staff session from the login page; API tokens are not accepted.');
        return null;
      }
      const url = req.url;
      if (url.split('?')[0].endsWith('.json')) {
        await reply.status(401).send({ detail: 'Staff session required.', code: 'not_authenticated' });
        return null;
      }
      await reply.redirect(`/admin/login?next=${encodeURIComponent(req.method === 'GET' ? url : '/admin/')}`, 303);
      return null;
    }
    if (req.method === 'POST') {
      const form = (req.body ?? {}) as Form;
      if (!sameToken(form.csrf, s.session.csrf)) {
        await forbiddenPage(reply, 'The form has expired or did not come from this site (CSRF token missing or wrong). Go back, reload the page and try again.');
        return null;
      }
    }
    return s;
  }

  const kit: AdminKit = {
    ctx,
    app,
    staffOnly,
    get(path, render) {
      app.get(path, { config: { auth: 'none' }, schema: { hide: true } }, async (req, reply) => {
        const staff = await staffOnly(req, reply);
        if (!staff) return reply;
        const q = req.query as Record<string, unknown>;
        try {
          const r = await render(req, staff);
          return sendPage(
            reply,
            200,
            page({ ...r, csrf: staff.session.csrf, who: staff.user.email, msg: typeof q.msg === 'string' ? q.msg.slice(0, 300) : null, err: typeof q.err === 'string' ? q.err.slice(0, 300) : null }),
            r.nonce,
          );
        } catch (err) {
          if (!(err instanceof ApiError) || err.status >= 500) throw err;
          return sendPage(reply, err.status === 404 ? 404 : 400, page({ title: 'Not available', body: html`<p>${errorText(err)}</p><p><a href="/admin/">Back to the admin home</a></p>`, csrf: staff.session.csrf, who: staff.user.email }));
        }
      });
    },
    post(path, run, fallback) {
      app.post(path, { config: { auth: 'none' }, schema: { hide: true } }, async (req, reply) => {
        const staff = await staffOnly(req, reply);
        if (!staff) return reply;
        const form = (req.body ?? {}) as Form;
        let result: ActionResult;
        try {
          result = await run(req, form, staff);
        } catch (err) {
          if (!(err instanceof ApiError) || err.status >= 500) ctx.log.warn({ err: err instanceof Error ? err.message : String(err), path }, 'admin action failed');
          return reply.redirect(withMessage(fallback(req, form), 'err', errorText(err)), 303);
        }
        await audit().record({ actorId: staff.user.id, actorIp: req.ip, action: result.audit.action, objectType: result.audit.objectType, objectId: result.audit.objectId, metadata: { via: 'admin', ...result.audit.metadata } });
        return reply.redirect(withMessage(result.back, 'msg', result.msg), 303);
      });
    },
  };

  // ---- login / logout ----

  const loginRate = ctx.config.adminConsole.loginRate;
  const loginPage = (csrf: string, next: string, err: string | null, email = '') =>
    page({
      title: 'Staff login',
      err,
      body: html`<form class="login" method="post" action="/admin/login">
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="next" value="${next}">
<label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${email}" autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">
<button type="submit">Log in</button></form>`,
    });

  const showLogin = async (req: FastifyRequest, reply: FastifyReply, status: number, err: string | null, email = '') => {
    const csrf = newToken();
    setCookie(reply, cookie(LOGIN_COOKIE, csrf, { maxAgeSec: 3600, secure: isSecure(req) }));
    const next = safeNext((req.query as Record<string, unknown>).next ?? (req.body as Form | undefined)?.next);
    return sendPage(reply, status, loginPage(csrf, next, err, email));
  };

  app.get('/admin/login', { config: { auth: 'none' }, schema: { hide: true } }, async (req, reply) => {
    const s = await sessions.load(req);
    if (!('error' in s)) return reply.redirect(safeNext((req.query as Record<string, unknown>).next), 303);
    return showLogin(req, reply, 200, null);
  });

  app.post('/admin/login', { config: { auth: 'none', rateLimit: [{ name: 'admin_login', by: 'ip', ...loginRate }] }, schema: { hide: true } }, async (req, reply) => {
    const form = (req.body ?? {}) as Form;
    if (!sameToken(form.csrf, parseCookies(req.headers.cookie)[LOGIN_COOKIE] ?? '')) return showLogin(req, reply, 403, 'The login form expired; please try again.');
    const email = (form.email ?? '').trim();
    const password = form.password ?? '';
    if (!email || !password || email.length > 254 || password.length > 256) return showLogin(req, reply, 400, 'Enter your e-mail and password.', email);
    let login;
    try {
      login = await ctx.services.users.login(email, password, String(req.headers['user-agent'] ?? 'admin').slice(0, 200));
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) {
        await audit().record({ actorId: null, actorIp: req.ip, action: 'admin.login_failed', objectType: 'admin_session', objectId: '-', metadata: {} });
        return showLogin(req, reply, 400, 'Invalid e-mail or password.', email);
      }
      throw err;
    }
    const claims = await ctx.tokens.verify(login.tokens.token, 'access');
    if (!login.user.isStaff) {
      await ctx.services.users.revokeSession(claims.sid);
      await audit().record({ actorId: login.user.id, actorIp: req.ip, action: 'admin.login_refused', objectType: 'user', objectId: login.user.id, metadata: { reason: 'not_staff' } });
      return forbiddenPage(reply, 'This account is not a staff account.');
    }
    const { token } = await sessions.create(login.user.id, claims.sid);
    await audit().record({ actorId: login.user.id, actorIp: req.ip, action: 'admin.login', objectType: 'admin_session', objectId: claims.sid, metadata: {} });
    setCookie(reply, cookie(COOKIE, token, { secure: isSecure(req) }));
    setCookie(reply, cookie(LOGIN_COOKIE, '', { maxAgeSec: 0, secure: isSecure(req) }));
    return reply.redirect(safeNext(form.next), 303);
  });

  app.post('/admin/logout', { config: { auth: 'none' }, schema: { hide: true } }, async (req, reply) => {
    const staff = await staffOnly(req, reply);
    if (!staff) return reply;
    await sessions.destroy(staff.token);
    await ctx.services.users.revokeSession(staff.session.sid);
    await audit().record({ actorId: staff.user.id, actorIp: req.ip, action: 'admin.logout', objectType: 'admin_session', objectId: staff.session.sid, metadata: {} });
    setCookie(reply, cookie(COOKIE, '', { maxAgeSec: 0, secure: isSecure(req) }));
    return reply.redirect('/admin/login', 303);
  });

  // ---- home ----

  kit.get('/admin', async () => {
    const cards: [string, string, string][] = [
      ['/admin/users', 'Users', 'Search, view, suspend, ban, unsuspend, roles, reset sessions.'],
      ['/admin/moderation', 'Moderation', 'Reports queue, enforcements, banned words.'],
      ['/admin/flags', 'Feature flags', 'List and set flags and rollouts.'],
      ['/admin/catalogue', 'Gifts & products', 'Gift types and SLC products.'],
      ['/admin/ledger', 'SLC ledger', "An account's ledger and the invariant status."],
      ['/admin/rewards', 'Contributor rewards', 'Link accounts, adjustments, payouts.'],
      ['/admin/audit', 'Audit log', 'Every staff action, hash-chained.'],
      ['/admin/ops', 'Ops', 'Request rate, p99, errors, queues, sockets, pool, caches.'],
    ];
    return {
      title: 'Admin',
      body: html`<div class="cards">${cards.map(([href, label, text]) => html`<div class="card"><a href="${href}">${label}</a><p class="muted">${text}</p></div>`)}</div>`,
    };
  });

  usersPages(kit);
  moderationPages(kit);
  catalogPages(kit);
  moneyPages(kit);
  opsPages(kit, createOps(ctx));
}

/** A fresh nonce for a page's inline script. */
export const nonce = () => randomBytes(16).toString('base64');

// ---- small form helpers shared by the pages ----

export function intField(form: Form | Record<string, unknown>, name: string, opts: { min?: number; max?: number; optional?: boolean } = {}): number | null {
  const raw = form[name];
  if ((raw === undefined || raw === '') && opts.optional) return null;
  const s = typeof raw === 'string' ? raw.trim() : '';
  if (!/^-?\d{1,15}$/.test(s)) throw new ApiError(400, { [name]: ['A valid integer is required.'] });
  const n = Number(s);
  if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) throw new ApiError(400, { [name]: [`Must be between ${opts.min ?? '-∞'} and ${opts.max ?? '∞'}.`] });
  return n;
}

export function textField(form: Form, name: string, opts: { max: number; required?: boolean }): string {
  const v = (form[name] ?? '').trim();
  if (opts.required && !v) throw new ApiError(400, { [name]: ['This field may not be blank.'] });
  if (v.length > opts.max) throw new ApiError(400, { [name]: [`Ensure this field has no more than ${opts.max} characters.`] });
  return v;
}

export function idParam(req: FastifyRequest, name = 'id'): number {
  const v = (req.params as Record<string, string>)[name];
  if (!/^[1-9]\d{0,14}$/.test(v ?? '')) throw new ApiError(404, { detail: 'Not found.', code: 'not_found' });
  return Number(v);
}

export function queryStr(req: FastifyRequest, name: string, max = 200): string {
  const v = (req.query as Record<string, unknown>)[name];
  return typeof v === 'string' ? v.slice(0, max).trim() : '';
}

export const fmtDate = (d: Date | string | null | undefined) => (d ? (typeof d === 'string' ? d : d.toISOString()).replace('T', ' ').slice(0, 19) : '—');
