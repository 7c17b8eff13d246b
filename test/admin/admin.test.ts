// The staff admin over HTTP: login, session cookie, CSRF, 403 for non-staff (also with a Bearer
// token), redirects without a session, and an audit entry for every staff action.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { Browser, csrfOf } from './helpers.js';
import { GATEWAYS_KEY } from '../../src/realtime/instances.js';
import { deliver, prPayload, runCommand, SECRET } from '../rewards/helpers.js';
import { multipart, png } from '../social/helpers.js';

let t: TestApp;
let staff: TestUser;
let plain: TestUser;
let victim: TestUser;

const lastAudit = async () => (await t.ctx.services.audit.list({ cursor: null, limit: 1 }))[0];
const auditActions = async (n = 200) => (await t.ctx.services.audit.list({ cursor: null, limit: n })).map((r) => r.action);

beforeAll(async () => {
  t = await createTestApp({ ADMIN_LOGIN_RATE: '8/min', GITHUB_WEBHOOK_SECRET: SECRET });
  staff = await t.user();
  plain = await t.user();
  victim = await t.user();
  await t.ctx.services.users.update(staff.id, { isStaff: true });
});
afterAll(async () => t?.close());

describe('access', () => {
  it('redirects to the login page without a session, also for /admin/ops', async () => {
    for (const url of ['/admin/', '/admin', '/admin/ops', '/admin/users/1']) {
      const res = await t.request({ url });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toMatch(/^\/admin\/login\?next=/);
    }
    expect((await t.request({ url: '/admin/ops.json' })).statusCode).toBe(401);
  });

  it('serves a login form with an e-mail and a password field', async () => {
    const res = await t.request({ url: '/admin/login' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toMatch(/<input id="email" name="email" type="email"/);
    expect(res.body).toMatch(/<input id="password" name="password" type="password"/);
    expect(res.body).toMatch(/<button type="submit">/);
    expect(String(res.headers['set-cookie'])).toMatch(/sl_admin_login=[^;]+; Path=\/admin; HttpOnly; SameSite=Strict/);
  });

  it('answers 403 for a Bearer token, staff or not, and for a non-staff login', async () => {
    for (const token of [plain.token, staff.token]) {
      for (const url of ['/admin/', '/admin/ops', '/admin/ops.json']) expect((await t.request({ url, token })).statusCode).toBe(403);
    }
    const b = new Browser(t);
    const res = await b.login(plain.email, plain.password);
    expect(res.statusCode).toBe(403);
    expect(b.jar.cookies.has('sl_admin')).toBe(false);
    expect(await lastAudit()).toMatchObject({ action: 'admin.login_refused', actorUserId: plain.id });
  });

  it('refuses a wrong password and a login without the form CSRF', async () => {
    const b = new Browser(t);
    const bad = await b.login(staff.email, 'wrong-password-1');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Invalid e-mail or password.');
    const noCsrf = await new Browser(t).post('/admin/login', { email: staff.email, password: staff.password });
    expect(noCsrf.statusCode).toBe(403);
  });

  it('logs staff in with an HttpOnly SameSite=Strict cookie; logout revokes it', async () => {
    const b = new Browser(t);
    const res = await b.login(staff.email, staff.password);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/');
    const set = (res.headers['set-cookie'] as string[]).find((c) => c.startsWith('sl_admin='))!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(await lastAudit()).toMatchObject({ action: 'admin.login', actorUserId: staff.id });
    const home = await b.get('/admin/');
    expect(home.statusCode).toBe(200);
    for (const href of ['/admin/users', '/admin/moderation', '/admin/flags', '/admin/ledger', '/admin/rewards', '/admin/audit', '/admin/ops']) expect(home.body).toContain(`href="${href}"`);
    const stolen = b.jar.header();
    const out = await b.post('/admin/logout', { csrf: csrfOf(home.body) });
    expect(out.statusCode).toBe(303);
    expect(await lastAudit()).toMatchObject({ action: 'admin.logout' });
    // The old cookie is dead, even if replayed.
    expect((await t.request({ url: '/admin/', headers: { cookie: stolen } })).statusCode).toBe(303);
  });

  it('a session ends when the staff member loses staff or has their sessions reset', async () => {
    const other = await t.user();
    await t.ctx.services.users.update(other.id, { isStaff: true });
    const b = new Browser(t);
    expect((await b.login(other.email, other.password)).statusCode).toBe(303);
    expect((await b.get('/admin/')).statusCode).toBe(200);
    await t.ctx.services.users.update(other.id, { isStaff: false });
    expect((await b.get('/admin/')).statusCode).toBe(403);
    await t.ctx.services.users.update(other.id, { isStaff: true });
    expect((await b.get('/admin/')).statusCode).toBe(200);
    await t.ctx.services.users.revokeAllSessions(other.id);
    expect((await b.get('/admin/')).statusCode).toBe(303);
  });

  it('refuses a POST without or with a wrong CSRF token, and does nothing', async () => {
    const b = new Browser(t);
    await b.login(staff.email, staff.password);
    const before = await auditActions();
    for (const csrf of [undefined, 'forged']) {
      const res = await b.post('/admin/flags', { ...(csrf ? { csrf } : {}), key: 'csrf_probe', enabled: 'on' });
      expect(res.statusCode).toBe(403);
      expect(res.body).toMatch(/CSRF/);
    }
    expect(await t.ctx.services.flags.isEnabled('csrf_probe', 1)).toBe(false);
    expect(await auditActions()).toEqual(before);
  });
});

describe('staff actions, each audited', () => {
  let b: Browser;
  let csrf: string;
  beforeAll(async () => {
    b = new Browser(t);
    await b.login(staff.email, staff.password);
    csrf = await b.csrf();
  });

  const act = async (url: string, fields: Record<string, string | number>, action: string) => {
    const res = await b.post(url, { csrf, ...fields });
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location, String(res.headers.location)).toMatch(/[?&]msg=/);
    const a = await lastAudit();
    expect(a).toMatchObject({ action, actorUserId: staff.id });
    expect(a.metadata).toMatchObject({ via: 'admin' });
    return a;
  };

  it('users: search, view, roles, suspend, unsuspend, ban, reset sessions', async () => {
    const search = await b.get(`/admin/users?q=${victim.handle}`);
    expect(search.statusCode).toBe(200);
    expect(search.body).toContain(`@${victim.handle}`);
    expect((await b.get(`/admin/users?q=${encodeURIComponent(victim.email)}`)).body).toContain(`/admin/users/${victim.id}`);
    const view = await b.get(`/admin/users/${victim.id}`);
    expect(view.statusCode).toBe(200);
    expect(view.body).toContain(victim.email);
    expect((await b.get('/admin/users/999999999')).statusCode).toBe(404);
    expect((await b.get('/admin/users/abc')).statusCode).toBe(404);

    await act(`/admin/users/${victim.id}/roles`, { roles: 'moderation_team, support' }, 'admin.user.roles');
    expect((await t.ctx.services.users.getById(victim.id))!.roles).toEqual(['moderation_team', 'support']);
    const badRoles = await b.post(`/admin/users/${victim.id}/roles`, { csrf, roles: 'Not A Role!' });
    expect(badRoles.headers.location).toMatch(/err=/);

    await act(`/admin/users/${victim.id}/suspend`, { reason: 'spam', days: 3 }, 'admin.user.suspend');
    expect((await t.ctx.services.users.getById(victim.id))!.isActive).toBe(false);
    expect((await victim.req({ url: '/api/v1/users/me/' })).statusCode).toBe(401);
    await act(`/admin/users/${victim.id}/unsuspend`, {}, 'admin.user.unsuspend');
    expect((await t.ctx.services.users.getById(victim.id))!.isActive).toBe(true);
    const nothing = await b.post(`/admin/users/${victim.id}/unsuspend`, { csrf });
    expect(decodeURIComponent(String(nothing.headers.location))).toMatch(/err=This user has no running/);

    const fresh = await t.user();
    await act(`/admin/users/${fresh.id}/sessions/reset`, {}, 'admin.user.sessions_reset');
    expect((await fresh.req({ url: '/api/v1/users/me/' })).statusCode).toBe(401);
    await act(`/admin/users/${fresh.id}/ban`, { reason: 'fraud' }, 'admin.user.ban');
    expect((await t.ctx.services.users.getById(fresh.id))!.isActive).toBe(false);
    const missingReason = await b.post(`/admin/users/${fresh.id}/ban`, { csrf, reason: '' });
    expect(decodeURIComponent(String(missingReason.headers.location))).toMatch(/err=reason: This field may not be blank/);
  });

  it('moderation: the queue, report status, enforce from a report, lift', async () => {
    const target = await t.user();
    const { row: report } = await t.ctx.services.moderation.fileReport(plain.id, { target_type: 'user', target_id: target.id, reason: 'harassment' });
    const page = await b.get('/admin/moderation');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('harassment');
    expect(page.body).toContain('Banned words');
    await act(`/admin/moderation/reports/${report.id}`, { status: 'in_review' }, 'admin.report.status');
    expect((await t.ctx.services.moderation.getReport(report.id)).status).toBe('in_review');
    const a = await act('/admin/moderation/enforce', { target_type: 'user', target_id: target.id, action: 'warn', reason: 'first', report_id: report.id }, 'admin.enforce');
    const enfId = (a.metadata as { enforcement_id: number }).enforcement_id;
    expect((await t.ctx.services.moderation.getReport(report.id)).status).toBe('resolved');
    await act(`/admin/moderation/enforcements/${enfId}/lift`, {}, 'admin.enforcement.lift');
    const bad = await b.post('/admin/moderation/enforce', { csrf, target_type: 'planet', target_id: 1, action: 'warn' });
    expect(decodeURIComponent(String(bad.headers.location))).toMatch(/err=target_type/);
  });

  it('feature flags: set, toggle, delete', async () => {
    await act('/admin/flags', { key: 'new_feed', enabled: 'on', rollout: 25, description: 'new feed' }, 'admin.flag.set');
    expect(await t.ctx.services.flags.isEnabled('new_feed', 10)).toBe(true);
    expect(await t.ctx.services.flags.isEnabled('new_feed', 30)).toBe(false);
    expect((await b.get('/admin/flags')).body).toContain('new_feed');
    await act('/admin/flags', { key: 'new_feed', enabled: '' }, 'admin.flag.set');
    expect(await t.ctx.services.flags.isEnabled('new_feed', 10)).toBe(false);
    await act('/admin/flags/delete', { key: 'new_feed' }, 'admin.flag.delete');
    const bad = await b.post('/admin/flags', { csrf, key: 'Bad Key', enabled: 'on' });
    expect(decodeURIComponent(String(bad.headers.location))).toMatch(/err=key/);
  });

  it('gift types and products', async () => {
    await act('/admin/gifts', { key: 'rose', name: 'Rose', price_cents: 100, price_slc_cents: 150 }, 'admin.gift.create');
    const gift = (await t.ctx.services.payments.gifts.listAll(10)).find((g) => g.key === 'rose')!;
    await act(`/admin/gifts/${gift.id}`, { price_slc_cents: 200 }, 'admin.gift.update');
    expect(await t.ctx.services.payments.gifts.get(gift.id)).toMatchObject({ priceSlcCents: 200, isActive: false });
    await act('/admin/products', { code: 'admin_test_pack', title: 'Premium', price_slc: 500, duration_days: 30, entitlement_key: 'premium' }, 'admin.product.create');
    await act('/admin/products/admin_test_pack', { price_slc: 450, is_active: 'on' }, 'admin.product.update');
    expect((await t.ctx.services.coin.allProducts()).find((p) => p.code === 'admin_test_pack')).toMatchObject({ price_slc: 450, is_active: true });
    const page = await b.get('/admin/catalogue');
    expect(page.body).toContain('Rose');
    expect(page.body).toContain('admin_test_pack');
    const dup = await b.post('/admin/products', { csrf, code: 'admin_test_pack', title: 'x', price_slc: 1, entitlement_key: 'premium' });
    expect(decodeURIComponent(String(dup.headers.location))).toMatch(/err=A product with code/);
  });

  it('ledger and invariants, rewards link and adjust, audit log', async () => {
    const ledger = await b.get(`/admin/ledger?user=${victim.id}`);
    expect(ledger.statusCode).toBe(200);
    expect(ledger.body).toMatch(/Invariants: <span class="msg ok">OK/);
    expect(ledger.body).toContain('Balance:');
    await act('/admin/rewards/link', { user_id: victim.id, github_username: 'victim-gh' }, 'admin.rewards.link');
    await act('/admin/rewards/adjust', { user_id: victim.id, event_type: 'bonus', points: 5, reason: 'docs' }, 'admin.rewards.adjust');
    const rewards = await b.get(`/admin/rewards?user=${victim.id}`);
    expect(rewards.body).toContain('victim-gh');
    const bad = await b.post('/admin/rewards/adjust', { csrf, user_id: victim.id, event_type: 'penalty', points: 5, reason: 'x' });
    expect(decodeURIComponent(String(bad.headers.location))).toMatch(/err=points/);
    const audit = await b.get('/admin/audit');
    expect(audit.body).toContain('admin.rewards.adjust');
  });

  it('rewards payouts: status through the service rules, shown per snapshot', async () => {
    expect((await deliver(t, prPayload({ login: 'payee-gh', number: 1, mergedAt: '2025-01-10T09:00:00Z' }))).statusCode).toBe(202);
    expect((await runCommand(t, 'rewards-snapshot', ['--month', '2025-01', '--revenue-cents', '100000', '--costs-cents', '0'])).code).toBe(0);
    const page = await b.get('/admin/rewards?period=2025-01');
    expect(page.body).toContain('Payouts for 2025-01');
    expect(page.body).toContain('payee-gh');
    const id = Number(/action="\/admin\/rewards\/payouts\/(\d+)"/.exec(page.body)![1]);
    await act(`/admin/rewards/payouts/${id}`, { status: 'processing', note: 'batch 1' }, 'admin.rewards.payout');
    await act(`/admin/rewards/payouts/${id}`, { status: 'paid' }, 'admin.rewards.payout');
    expect((await t.ctx.services.rewards.getPayout(id, null))!.p.status).toBe('paid');
    const back = await b.post(`/admin/rewards/payouts/${id}`, { csrf, status: 'pending' });
    expect(decodeURIComponent(String(back.headers.location))).toMatch(/err=A paid payout cannot become pending/);
  });

  it('ops: figures from the metrics registry, JSON for the refresh, failed job retry', async () => {
    let runs = 0;
    t.ctx.queue.define('admin.test.flaky', async () => {
      runs++;
      if (runs === 1) throw new Error('boom');
    }, { attempts: 1 });
    await t.ctx.queue.enqueue('admin.test.flaky', {});
    await t.drain();
    // Another gateway instance reported its sockets; a stale one (long gone) is not shown.
    await t.ctx.kv.hashSet(GATEWAYS_KEY, 'rt-other:7', JSON.stringify({ open: 7, channels: 3, at: Date.now() }), 600_000);
    await t.ctx.kv.hashSet(GATEWAYS_KEY, 'rt-dead:9', JSON.stringify({ open: 99, channels: 1, at: Date.now() - 3_600_000 }), 600_000);
    const page = await b.get('/admin/ops');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('rt-other:7');
    expect(page.body).not.toContain('rt-dead:9');
    expect(page.body).toContain('p99');
    expect(page.body).toContain('Open sockets');
    expect(page.body).toContain('admin.test.flaky');
    expect(page.body).toMatch(/<script nonce="[^"]+">/);
    const json = (await b.get('/admin/ops.json')).json();
    expect(json.sockets).toContainEqual({ instance: 'rt-other:7', open: 7, channels: 3 });
    expect(json.http.groups.some((g: { group: string }) => g.group === '/admin')).toBe(true);
    expect(json.queues.find((q: { queue: string }) => q.queue === 'admin.test.flaky')).toMatchObject({ failed: 1 });
    const failed = json.failed_jobs.find((f: { queue: string }) => f.queue === 'admin.test.flaky');
    expect(failed.error).toBe('boom');
    await act('/admin/ops/jobs/retry', { queue: failed.queue, id: failed.id }, 'admin.job.retry');
    await t.drain();
    expect(runs).toBe(2);
    const gone = await b.post('/admin/ops/jobs/retry', { csrf, queue: failed.queue, id: failed.id });
    expect(decodeURIComponent(String(gone.headers.location))).toMatch(/err=/);
    const metrics = (await t.request({ url: '/metrics' })).body;
    expect(metrics).toMatch(/job_queue_jobs\{queue="admin.test.flaky",state="failed"\} 0/);
    expect(metrics).toMatch(/cache_lookups_total\{cache="admin_session",outcome="hit"\} \d+/);
  });

  it('ops: cache hit rates include the presented-post cache (multi-key reads)', async () => {
    const u = await t.user();
    // With media: a post with neither media nor gifts has nothing in that cache and is not looked up.
    for (const text of ['one', 'two']) {
      const m = multipart({}, [{ field: 'file', filename: `${text}.png`, type: 'image/png', data: png(3, 4) }]);
      const asset = (await u.req({ method: 'POST', url: '/api/v1/media/', payload: m.payload, headers: m.headers })).json();
      expect((await u.req({ method: 'POST', url: '/api/v1/posts/', body: { text, media_ids: [asset.id] } })).statusCode).toBe(201);
    }
    const page = () => u.req({ url: `/api/v1/posts/?author=${u.id}` });
    for (let i = 0; i < 3; i++) expect((await page()).statusCode).toBe(200);
    const hitRate = async (cache: string) => ((await b.get('/admin/ops.json')).json().cache as { cache: string; hits: number; misses: number }[]).find((c) => c.cache === cache);
    // The first page misses both posts and writes them; the two after read them.
    const before = await hitRate('social');
    for (let i = 0; i < 2; i++) expect((await page()).statusCode).toBe(200);
    const after = await hitRate('social');
    // Each key of a multi-key read counts once: two warm pages of two posts are four hits.
    expect(after!.hits - before!.hits).toBe(4);
    expect(after!.misses).toBe(before!.misses);
  });
});

describe('login rate limit', () => {
  it('throttles repeated login attempts from one address', async () => {
    const b = new Browser(t);
    const page = await b.get('/admin/login');
    const csrf = csrfOf(page.body);
    let last = 0;
    for (let i = 0; i < 12; i++) last = (await b.post('/admin/login', { csrf, email: staff.email, password: 'nope-nope-1' })).statusCode;
    expect(last).toBe(429);
  });
});
