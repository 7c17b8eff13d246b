// The SLC ledger of an account with the invariant status (coin service), contributor rewards
// (rewards service) and the audit log.
import { ApiError, notFound } from '../../../platform/http/errors.js';
import { decodeCursor, encodeCursor } from '../../../platform/http/pagination.js';
import { ADJUSTMENT_TYPES, type AdjustmentType } from '../../rewards/calc.js';
import { PAYOUT_STATUSES, type PayoutStatus } from '../../rewards/service.js';
import { form, html, raw } from '../html.js';
import { fmtDate, idParam, intField, queryStr, textField, type AdminKit } from '../routes.js';

const cents = (n: number) => (n / 100).toFixed(2);

export function moneyPages(kit: AdminKit) {
  const { ctx } = kit;
  const coin = () => ctx.services.coin;
  const rewards = () => ctx.services.rewards;

  kit.get('/admin/ledger', async (req) => {
    const q = queryStr(req, 'user', 20);
    const userId = /^[1-9]\d{0,14}$/.test(q) ? Number(q) : null;
    const inv = await coin().invariantCheck();
    let account = html``;
    if (userId !== null) {
      const user = await ctx.services.users.getById(userId);
      if (!user) throw notFound('No User matches the given query.');
      const cursor = queryStr(req, 'cursor', 500) || undefined;
      const [bal, page] = await Promise.all([coin().balance(userId), coin().ledger(userId, 50, cursor)]);
      account = html`<h2>Account <code>${bal.account_key}</code> — <a href="/admin/users/${user.id}">@${user.handle}</a></h2>
<p>Balance: <strong class="fig">${cents(bal.balance_cents)} SLC</strong> <span class="muted">(${bal.balance_cents} cents)</span></p>
<table><thead><tr><th>entry</th><th>event</th><th>type</th><th>direction</th><th>amount (cents)</th><th>note</th><th>at</th></tr></thead><tbody>
${page.results.map((e) => html`<tr><td>${e.id}</td><td>${e.event_id}</td><td>${e.event_type}</td><td>${e.direction}</td><td>${e.amount_cents}</td><td>${e.note}</td><td>${fmtDate(e.occurred_at)}</td></tr>`)}
</tbody></table>${page.results.length ? '' : html`<p>No entries.</p>`}
${page.next_cursor ? html`<p><a href="/admin/ledger?user=${userId}&amp;cursor=${encodeURIComponent(page.next_cursor)}">Older entries →</a></p>` : ''}`;
    }
    return {
      title: 'SLC ledger',
      body: html`<h2>Invariants: <span class="${inv.ok ? 'msg ok' : 'msg err'}">${inv.ok ? 'OK' : 'FAILING'}</span></h2>
<table><tbody>${Object.entries(inv.checks).map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table>
${inv.failures.length ? html`<ul>${inv.failures.map((f) => html`<li>${f}</li>`)}</ul>` : ''}
<form method="get" action="/admin/ledger" class="inline"><input name="user" type="number" min="1" placeholder="user id" value="${q}"><button type="submit">Show account</button></form>
${account}`,
    };
  });

  kit.get('/admin/rewards', async (req, staff) => {
    const csrf = staff.session.csrf;
    const snapshots = await rewards().allSnapshots();
    const period = queryStr(req, 'period', 7);
    const snap = snapshots.find((s) => s.period === period) ?? snapshots[0] ?? null;
    const payouts = snap ? await rewards().payoutsOfSnapshot(snap.id) : [];
    const q = queryStr(req, 'user', 20);
    const userId = /^[1-9]\d{0,14}$/.test(q) ? Number(q) : null;
    let contributor = html``;
    if (userId !== null) {
      const events = (await rewards().listEvents(userId, { cursor: null, limit: 30 })).slice(0, 30);
      const c = events[0]?.c ?? null;
      contributor = html`<h2>User ${userId}: ${c ? html`contributor <code>${c.githubUsername ?? '—'}</code>` : 'no reward events'}</h2>
<table><thead><tr><th>event</th><th>type</th><th>points</th><th>notes</th><th>at</th></tr></thead><tbody>
${events.map(({ e }) => html`<tr><td>${e.id}</td><td>${e.eventType}</td><td>${e.points}</td><td>${e.notes}</td><td>${fmtDate(e.occurredAt)}</td></tr>`)}</tbody></table>`;
    }
    const now = Date.now();
    return {
      title: 'Contributor rewards',
      body: html`<h2>Link a GitHub account</h2>
${form('/admin/rewards/link', csrf, html`<input name="user_id" type="number" min="1" placeholder="user id" required><input name="github_username" placeholder="GitHub login" maxlength="39" required>`, 'Link')}
<h2>Adjust points</h2>
${form('/admin/rewards/adjust', csrf, html`<input name="user_id" type="number" min="1" placeholder="user id" required><select name="event_type">${raw(ADJUSTMENT_TYPES.map((t) => `<option>${t}</option>`).join(''))}</select><input name="points" type="number" placeholder="points (±)" required><input name="reason" placeholder="reason" maxlength="255" required>`, 'Adjust')}
<form method="get" action="/admin/rewards" class="inline"><input name="user" type="number" min="1" placeholder="user id" value="${q}"><button type="submit">Show contributor</button></form>
${contributor}
<h2>Snapshots</h2>
<table><thead><tr><th>period</th><th>revenue</th><th>costs</th><th>pool</th><th>points</th><th>dispute window ends</th></tr></thead><tbody>
${snapshots.map((s) => html`<tr><td><a href="/admin/rewards?period=${s.period}">${s.period}</a></td><td>${cents(s.revenueCents)}</td><td>${cents(s.costsCents)}</td><td>${cents(s.contributorPoolCents)}</td><td>${s.totalPoints}</td><td>${fmtDate(s.disputeWindowEndsAt)}${s.disputeWindowEndsAt.getTime() > now ? ' (open)' : ' (closed)'}</td></tr>`)}
</tbody></table>${snapshots.length ? '' : html`<p>No snapshots yet (selflink rewards-snapshot).</p>`}
${snap ? html`<h2>Payouts for ${snap.period}</h2><p class="muted">Payouts stay pending until the dispute window closes; then pending → processing → paid, or canceled.</p>
<table><thead><tr><th>id</th><th>contributor</th><th>points</th><th>amount</th><th>status</th><th>change</th></tr></thead><tbody>
${payouts.map(({ p, login, userId: uid }) => html`<tr><td>${p.id}</td><td><code>${login ?? '—'}</code> ${uid ? html`(<a href="/admin/users/${uid}">user ${uid}</a>)` : ''}</td><td>${p.points}</td><td>${cents(p.amountCents)}</td><td>${p.status}</td>
<td>${form(`/admin/rewards/payouts/${p.id}`, csrf, html`<select name="status">${raw(PAYOUT_STATUSES.map((s) => `<option${s === p.status ? ' selected' : ''}>${s}</option>`).join(''))}</select><input name="note" placeholder="note" maxlength="200" size="10">`, 'Set')}</td></tr>`)}
</tbody></table>` : ''}`,
    };
  });

  kit.post(
    '/admin/rewards/link',
    async (req, f, staff) => {
      const userId = intField(f, 'user_id', { min: 1 })!;
      const login = textField(f, 'github_username', { max: 39, required: true });
      const r = await rewards().link(userId, login, { actorId: staff.user.id, actorIp: req.ip, source: 'admin' });
      return { audit: { action: 'admin.rewards.link', objectType: 'contributor', objectId: r.contributor.id, metadata: { user_id: userId, github_username: login, created: r.created } }, back: `/admin/rewards?user=${userId}`, msg: `User ${userId} linked to GitHub ${login}.` };
    },
    () => '/admin/rewards',
  );

  kit.post(
    '/admin/rewards/adjust',
    async (req, f, staff) => {
      const userId = intField(f, 'user_id', { min: 1 })!;
      const eventType = f.event_type as AdjustmentType;
      if (!ADJUSTMENT_TYPES.includes(eventType)) throw new ApiError(400, { event_type: ['Not a valid choice.'] });
      const points = intField(f, 'points', { min: -1_000_000, max: 1_000_000 })!;
      const reason = textField(f, 'reason', { max: 255, required: true });
      const r = await rewards().adjust({ actorId: staff.user.id, actorIp: req.ip, userId, eventType, points, reason });
      return { audit: { action: 'admin.rewards.adjust', objectType: 'reward_event', objectId: r.event.id, metadata: { user_id: userId, event_type: eventType, points, reason } }, back: `/admin/rewards?user=${userId}`, msg: `${points} points (${eventType}) for user ${userId}.` };
    },
    () => '/admin/rewards',
  );

  kit.post(
    '/admin/rewards/payouts/:id',
    async (req, f, staff) => {
      const id = idParam(req);
      const status = f.status as PayoutStatus;
      if (!PAYOUT_STATUSES.includes(status)) throw new ApiError(400, { status: ['Not a valid choice.'] });
      const note = textField(f, 'note', { max: 200 });
      const r = await rewards().setPayoutStatus(id, status, { id: staff.user.id, ip: req.ip }, note);
      return { audit: { action: 'admin.rewards.payout', objectType: 'reward_payout', objectId: id, metadata: { status, changed: r.changed } }, back: `/admin/rewards?period=${r.period}`, msg: `Payout ${id}: ${status}.` };
    },
    () => '/admin/rewards',
  );

  kit.get('/admin/audit', async (req) => {
    const cursor = decodeCursor(queryStr(req, 'cursor', 500) || undefined);
    const rows = await ctx.services.audit.list({ cursor, limit: 50 });
    const pageRows = rows.slice(0, 50);
    const last = pageRows[pageRows.length - 1];
    const next = rows.length > 50 && last ? encodeCursor({ t: last.createdAt.toISOString(), id: last.seq }) : null;
    return {
      title: 'Audit log',
      body: html`<table><thead><tr><th>seq</th><th>at</th><th>actor</th><th>ip</th><th>action</th><th>object</th><th>metadata</th></tr></thead><tbody>
${pageRows.map((r) => html`<tr><td>${r.seq}</td><td>${fmtDate(r.createdAt)}</td><td>${r.actorUserId ? html`<a href="/admin/users/${r.actorUserId}">${r.actorUserId}</a>` : 'system'}</td><td>${r.actorIp ?? ''}</td><td><code>${r.action}</code></td><td>${r.objectType} ${r.objectId}</td><td><code>${JSON.stringify(r.metadata).slice(0, 300)}</code></td></tr>`)}
</tbody></table>${next ? html`<p><a href="/admin/audit?cursor=${encodeURIComponent(next)}">Older →</a></p>` : ''}`,
    };
  });
}
