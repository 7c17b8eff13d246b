// Moderation: the reports queue, enforcement on a report's target, lifting, banned words; and
// feature flags.
import { ApiError } from '../../../platform/http/errors.js';
import { ENFORCEMENT_ACTIONS, REPORT_STATUSES, TARGET_TYPES, type EnforcementAction, type ReportStatus, type TargetType } from '../../moderation/service.js';
import { form, html, raw } from '../html.js';
import { fmtDate, idParam, intField, queryStr, textField, type AdminKit, type Form } from '../routes.js';

const FLAG_KEY = /^[a-z0-9][a-z0-9_.:-]{0,63}$/;

function oneOf<T extends string>(f: Form, name: string, allowed: readonly T[]): T {
  const v = f[name];
  if (!allowed.includes(v as T)) throw new ApiError(400, { [name]: [`"${String(v ?? '')}" is not a valid choice.`] });
  return v as T;
}

const options = (values: readonly string[], selected?: string) => raw(values.map((v) => `<option value="${v}"${v === selected ? ' selected' : ''}>${v}</option>`).join(''));

export function moderationPages(kit: AdminKit) {
  const { ctx } = kit;
  const moderation = () => ctx.services.moderation;

  kit.get('/admin/moderation', async (req, staff) => {
    const status = (REPORT_STATUSES as readonly string[]).includes(queryStr(req, 'status')) ? (queryStr(req, 'status') as ReportStatus) : 'open';
    const reports = (await moderation().listReports({ status, cursor: null, limit: 50 })).rows;
    const enf = (await moderation().listEnforcements({ cursor: null, limit: 20 })).rows;
    const csrf = staff.session.csrf;
    return {
      title: 'Moderation',
      body: html`<p>${REPORT_STATUSES.map((s, i) => html`${i ? ' · ' : ''}<a href="/admin/moderation?status=${s}">${s === status ? html`<strong>${s}</strong>` : s}</a>`)}</p>
<h2>Reports (${status})</h2>
<table><thead><tr><th>id</th><th>target</th><th>reason</th><th>source</th><th>filed</th><th>review</th><th>enforce</th></tr></thead><tbody>
${reports.map(
  (r) => html`<tr><td>${r.id}</td><td>${r.targetType} ${r.targetType === 'user' ? html`<a href="/admin/users/${r.targetId}">${r.targetId}</a>` : r.targetId}</td><td>${r.reason}<div class="muted">${r.notes}</div></td><td>${r.source}</td><td>${fmtDate(r.createdAt)}</td>
<td>${form(`/admin/moderation/reports/${r.id}`, csrf, html`<select name="status">${options(REPORT_STATUSES, r.status)}</select>`, 'Set')}</td>
<td>${form('/admin/moderation/enforce', csrf, html`<input type="hidden" name="report_id" value="${r.id}"><input type="hidden" name="target_type" value="${r.targetType}"><input type="hidden" name="target_id" value="${r.targetId}"><select name="action">${options(ENFORCEMENT_ACTIONS)}</select><input name="reason" placeholder="reason" maxlength="500" size="12">`, 'Enforce', { danger: true })}</td></tr>`,
)}
</tbody></table>${reports.length ? '' : html`<p>No ${status} reports.</p>`}
<h2>Enforce on any target</h2>
${form('/admin/moderation/enforce', csrf, html`<select name="target_type">${options(TARGET_TYPES)}</select><input name="target_id" type="number" min="1" placeholder="target id" required><select name="action">${options(ENFORCEMENT_ACTIONS)}</select><input name="reason" placeholder="reason" maxlength="500">`, 'Enforce', { danger: true })}
<h2>Recent enforcements</h2>
<table><thead><tr><th>id</th><th>target</th><th>action</th><th>reason</th><th>created</th><th>expires</th><th>lifted</th></tr></thead><tbody>
${enf.map((e) => html`<tr><td>${e.id}</td><td>${e.targetType} ${e.targetId}</td><td>${e.action}</td><td>${e.reason}</td><td>${fmtDate(e.createdAt)}</td><td>${fmtDate(e.expiresAt)}</td><td>${e.liftedAt ? fmtDate(e.liftedAt) : form(`/admin/moderation/enforcements/${e.id}/lift`, csrf, html``, 'Lift')}</td></tr>`)}
</tbody></table>
<h2>Banned words</h2><p class="muted">Set by MODERATION_BANNED_WORDS; content containing one is reported automatically.</p>
<p>${moderation().bannedWords().map((w) => html`<code>${w}</code> `)}</p>`,
    };
  });

  kit.post(
    '/admin/moderation/reports/:id',
    async (req, f, staff) => {
      const id = idParam(req);
      const status = oneOf(f, 'status', REPORT_STATUSES);
      await moderation().staffUpdateReport({ id: staff.user.id, ip: req.ip }, id, { status });
      return { audit: { action: 'admin.report.status', objectType: 'report', objectId: id, metadata: { status } }, back: '/admin/moderation', msg: `Report ${id}: ${status}.` };
    },
    () => '/admin/moderation',
  );

  kit.post(
    '/admin/moderation/enforce',
    async (req, f, staff) => {
      const target_type = oneOf<TargetType>(f, 'target_type', TARGET_TYPES);
      const target_id = intField(f, 'target_id', { min: 1 })!;
      const action = oneOf<EnforcementAction>(f, 'action', ENFORCEMENT_ACTIONS);
      const reason = textField(f, 'reason', { max: 500 });
      const report_id = intField(f, 'report_id', { min: 1, optional: true });
      const e = await moderation().enforce({ id: staff.user.id, ip: req.ip }, { target_type, target_id, action, reason, report_id });
      return { audit: { action: 'admin.enforce', objectType: target_type, objectId: target_id, metadata: { enforcement_id: e.id, action, report_id } }, back: '/admin/moderation', msg: `Enforcement ${e.id}: ${action} on ${target_type} ${target_id}.` };
    },
    () => '/admin/moderation',
  );

  kit.post(
    '/admin/moderation/enforcements/:id/lift',
    async (req, _f, staff) => {
      const id = idParam(req);
      await moderation().lift({ id: staff.user.id, ip: req.ip }, id);
      return { audit: { action: 'admin.enforcement.lift', objectType: 'enforcement', objectId: id }, back: '/admin/moderation', msg: `Enforcement ${id} lifted.` };
    },
    () => '/admin/moderation',
  );

  // ---- feature flags ----

  kit.get('/admin/flags', async (_req, staff) => {
    const flags = await ctx.services.flags.list();
    const csrf = staff.session.csrf;
    return {
      title: 'Feature flags',
      body: html`<table><thead><tr><th>key</th><th>enabled</th><th>rollout %</th><th>description</th><th>updated</th><th></th></tr></thead><tbody>
${flags.map(
  (fl) => html`<tr><td><code>${fl.key}</code></td><td>${fl.enabled ? 'on' : 'off'}</td><td>${fl.rollout ?? 'everyone'}</td><td>${fl.description}</td><td>${fmtDate(fl.updatedAt)}</td>
<td>${form('/admin/flags', csrf, html`<input type="hidden" name="key" value="${fl.key}"><input type="hidden" name="enabled" value="${fl.enabled ? '' : 'on'}"><input type="hidden" name="rollout" value="${fl.rollout ?? ''}">`, fl.enabled ? 'Turn off' : 'Turn on')}
${form('/admin/flags/delete', csrf, html`<input type="hidden" name="key" value="${fl.key}">`, 'Delete', { danger: true })}</td></tr>`,
)}
</tbody></table>${flags.length ? '' : html`<p>No flags set.</p>`}
<h2>Set a flag</h2>
${form('/admin/flags', csrf, html`<input name="key" placeholder="key" required maxlength="100"><label><input type="checkbox" name="enabled" checked> enabled</label><input name="rollout" type="number" min="0" max="100" placeholder="rollout % (empty: all)"><input name="description" placeholder="description" maxlength="200">`, 'Save')}`,
    };
  });

  kit.post(
    '/admin/flags',
    async (_req, f) => {
      const key = textField(f, 'key', { max: 100, required: true });
      if (!FLAG_KEY.test(key)) throw new ApiError(400, { key: ['Lower-case letters, digits and _ . : - only.'] });
      const enabled = f.enabled === 'on' || f.enabled === 'true';
      const rollout = intField(f, 'rollout', { min: 0, max: 100, optional: true });
      const description = f.description !== undefined ? textField(f, 'description', { max: 200 }) : undefined;
      await ctx.services.flags.set(key, { enabled, rollout, description });
      return { audit: { action: 'admin.flag.set', objectType: 'feature_flag', objectId: key, metadata: { enabled, rollout } }, back: '/admin/flags', msg: `Flag ${key}: ${enabled ? 'on' : 'off'}${rollout !== null ? ` for ${rollout}%` : ''}.` };
    },
    () => '/admin/flags',
  );

  kit.post(
    '/admin/flags/delete',
    async (_req, f) => {
      const key = textField(f, 'key', { max: 100, required: true });
      await ctx.services.flags.remove(key);
      return { audit: { action: 'admin.flag.delete', objectType: 'feature_flag', objectId: key }, back: '/admin/flags', msg: `Flag ${key} deleted.` };
    },
    () => '/admin/flags',
  );
}
