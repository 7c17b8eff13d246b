// Users: search, view, suspend / ban / unsuspend (moderation service), roles, reset sessions.
import { ApiError, badRequest, notFound } from '../../../platform/http/errors.js';
import { form, html } from '../html.js';
import { fmtDate, idParam, intField, queryStr, textField, type AdminKit } from '../routes.js';

const ROLE = /^[a-z][a-z0-9_]{0,39}$/;

export function usersPages(kit: AdminKit) {
  const { ctx } = kit;
  const users = () => ctx.services.users;
  const moderation = () => ctx.services.moderation;

  kit.get('/admin/users', async (req) => {
    const q = queryStr(req, 'q', 100);
    let rows: { id: number; email: string; handle: string; name: string; isActive: boolean; isStaff: boolean; createdAt: Date }[] = [];
    if (/^\d{1,15}$/.test(q)) {
      const u = await users().getById(Number(q));
      rows = u ? [u] : [];
    } else if (q.includes('@')) {
      const u = await users().findByEmail(q);
      rows = u ? [u] : [];
    } else {
      rows = (await users().list({ q, cursor: null, limit: 50 })).rows;
    }
    return {
      title: 'Users',
      body: html`<form method="get" action="/admin/users" class="inline"><input name="q" value="${q}" placeholder="id, e-mail, handle or name" maxlength="100" size="32"><button type="submit">Search</button></form>
<p class="muted">Search by handle or name lists active accounts; look up suspended ones by id or e-mail.</p>
<table><thead><tr><th>id</th><th>handle</th><th>name</th><th>e-mail</th><th>active</th><th>staff</th><th>joined</th></tr></thead><tbody>
${rows.map((u) => html`<tr><td><a href="/admin/users/${u.id}">${u.id}</a></td><td><a href="/admin/users/${u.id}">@${u.handle}</a></td><td>${u.name}</td><td>${u.email}</td><td>${u.isActive ? 'yes' : 'no'}</td><td>${u.isStaff ? 'yes' : ''}</td><td>${fmtDate(u.createdAt)}</td></tr>`)}
</tbody></table>${rows.length ? '' : html`<p>No users found.</p>`}`,
    };
  });

  kit.get('/admin/users/:id', async (req, staff) => {
    const id = idParam(req);
    const u = await users().getById(id);
    if (!u) throw notFound('No User matches the given query.');
    const enf = await moderation().enforcementsOn('user', id, 20);
    const csrf = staff.session.csrf;
    const base = `/admin/users/${id}`;
    return {
      title: `User @${u.handle}`,
      body: html`<table><tbody>
<tr><th>id</th><td>${u.id}</td></tr><tr><th>handle</th><td>@${u.handle}</td></tr><tr><th>name</th><td>${u.name}</td></tr>
<tr><th>e-mail</th><td>${u.email}</td></tr><tr><th>active</th><td>${u.isActive ? 'yes' : 'no (suspended, banned or deactivated)'}</td></tr>
<tr><th>staff / superuser</th><td>${u.isStaff ? 'staff' : 'no'} / ${u.isSuperuser ? 'superuser' : 'no'}</td></tr>
<tr><th>roles</th><td>${u.roles.length ? u.roles.join(', ') : '—'}</td></tr>
<tr><th>joined</th><td>${fmtDate(u.createdAt)}</td></tr><tr><th>last login</th><td>${fmtDate(u.lastLogin)}</td></tr>
<tr><th>SLC</th><td><a href="/admin/ledger?user=${u.id}">ledger</a> · <a href="/admin/rewards?user=${u.id}">rewards</a></td></tr>
</tbody></table>
<h2>Actions</h2>
<div>${form(`${base}/suspend`, csrf, html`<input name="reason" placeholder="reason" maxlength="500" required><input name="days" type="number" min="1" max="3650" placeholder="days (empty: until lifted)" size="24">`, 'Suspend', { danger: true })}</div>
<div>${form(`${base}/ban`, csrf, html`<input name="reason" placeholder="reason" maxlength="500" required>`, 'Ban', { danger: true })}</div>
<div>${form(`${base}/unsuspend`, csrf, html``, 'Unsuspend (lift suspensions and bans)')}</div>
<div>${form(`${base}/roles`, csrf, html`<input name="roles" value="${u.roles.join(', ')}" placeholder="roles, comma separated" size="40" maxlength="400">`, 'Set roles')}</div>
<div>${form(`${base}/sessions/reset`, csrf, html``, 'Reset sessions (log out everywhere)', { danger: true })}</div>
<h2>Enforcements</h2>
<table><thead><tr><th>id</th><th>action</th><th>reason</th><th>created</th><th>expires</th><th>lifted</th></tr></thead><tbody>
${enf.map((e) => html`<tr><td>${e.id}</td><td>${e.action}</td><td>${e.reason}</td><td>${fmtDate(e.createdAt)}</td><td>${fmtDate(e.expiresAt)}</td><td>${fmtDate(e.liftedAt)}</td></tr>`)}
</tbody></table>`,
    };
  });

  const back = (req: Parameters<Parameters<AdminKit['post']>[2]>[0]) => `/admin/users/${(req.params as Record<string, string>).id}`;

  for (const action of ['suspend', 'ban'] as const) {
    kit.post(
      `/admin/users/:id/${action}`,
      async (req, f, staff) => {
        const id = idParam(req);
        const reason = textField(f, 'reason', { max: 500, required: true });
        const days = action === 'suspend' ? intField(f, 'days', { min: 1, max: 3650, optional: true }) : null;
        const e = await moderation().enforce(
          { id: staff.user.id, ip: req.ip },
          { target_type: 'user', target_id: id, action, reason, expires_at: days ? new Date(Date.now() + days * 86_400_000).toISOString() : null },
        );
        return { audit: { action: `admin.user.${action}`, objectType: 'user', objectId: id, metadata: { enforcement_id: e.id, reason, days } }, back: back(req), msg: `User ${id}: ${action === 'ban' ? 'banned' : 'suspended'}.` };
      },
      back,
    );
  }

  kit.post(
    '/admin/users/:id/unsuspend',
    async (req, _f, staff) => {
      const id = idParam(req);
      const now = Date.now();
      const running = (await moderation().enforcementsOn('user', id, 200)).filter((e) => (e.action === 'suspend' || e.action === 'ban') && !e.liftedAt && (!e.expiresAt || e.expiresAt.getTime() > now));
      if (!running.length) throw badRequest('This user has no running suspension or ban.', 'nothing_to_lift');
      for (const e of running) await moderation().lift({ id: staff.user.id, ip: req.ip }, e.id);
      return { audit: { action: 'admin.user.unsuspend', objectType: 'user', objectId: id, metadata: { lifted: running.map((e) => e.id) } }, back: back(req), msg: `User ${id}: ${running.length} enforcement(s) lifted.` };
    },
    back,
  );

  kit.post(
    '/admin/users/:id/roles',
    async (req, f) => {
      const id = idParam(req);
      const roles = [...new Set(textField(f, 'roles', { max: 400 }).split(',').map((r) => r.trim().toLowerCase()).filter(Boolean))];
      if (roles.length > 10 || roles.some((r) => !ROLE.test(r))) throw new ApiError(400, { roles: ['Up to 10 roles of lower-case letters, digits and _.'] });
      const before = await users().getById(id);
      if (!before) throw notFound('No User matches the given query.');
      await users().update(id, { roles });
      return { audit: { action: 'admin.user.roles', objectType: 'user', objectId: id, metadata: { from: before.roles, to: roles } }, back: back(req), msg: `User ${id}: roles set to ${roles.join(', ') || 'none'}.` };
    },
    back,
  );

  kit.post(
    '/admin/users/:id/sessions/reset',
    async (req) => {
      const id = idParam(req);
      if (!(await users().getById(id))) throw notFound('No User matches the given query.');
      await users().revokeAllSessions(id);
      return { audit: { action: 'admin.user.sessions_reset', objectType: 'user', objectId: id }, back: back(req), msg: `User ${id}: every session revoked.` };
    },
    back,
  );
}
