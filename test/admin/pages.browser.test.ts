// The staff admin in a real headless browser (Debian's chromium via playwright-core): log in by
// pressing Enter, visit every page, screenshot each (into a temp dir), watch the ops page refresh.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) console.warn(`[admin browser test] skipped: no chromium at ${CHROMIUM} (install it with: apt-get install -y chromium)`);

export const SHOTS = path.join(os.tmpdir(), 'selflink-admin-shots');

let t: TestApp;
let base: string;
let browser: Browser;
let staff: TestUser;
let member: TestUser;

const PAGES: [string, RegExp][] = [
  ['/admin/', /Admin/],
  ['/admin/users', /Users/],
  ['/admin/users/:member', /User @/],
  ['/admin/moderation', /Moderation/],
  ['/admin/flags', /Feature flags/],
  ['/admin/catalogue', /Gifts & products/],
  ['/admin/ledger?user=:member', /SLC ledger/],
  ['/admin/rewards', /Contributor rewards/],
  ['/admin/audit', /Audit log/],
  ['/admin/ops', /Ops/],
];

describe.skipIf(!haveChromium)('staff admin in headless chromium', () => {
  beforeAll(async () => {
    t = await sharedTestApp();
    staff = await t.user({ email: 'staff@example.com' });
    member = await t.user();
    await t.ctx.services.users.update(staff.id, { isStaff: true });
    await t.ctx.services.moderation.fileReport(member.id, { target_type: 'user', target_id: staff.id, reason: 'rude in comments' });
    await t.ctx.services.flags.set('new_feed', { enabled: true, rollout: 25, description: 'The new feed' });
    fs.rmSync(SHOTS, { recursive: true, force: true });
    fs.mkdirSync(SHOTS, { recursive: true });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('logs in with Enter, shows every page, acts through a form and refreshes the ops page', async () => {
    const bctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const page = await bctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });

    const first = await page.goto(`${base}/admin/`);
    expect(page.url()).toMatch(/\/admin\/login\?next=/);
    expect(first?.status()).toBe(200);
    await page.fill('input[name="email"]', staff.email);
    await page.fill('input[name="password"]', staff.password);
    await page.screenshot({ path: path.join(SHOTS, '00-login.png'), fullPage: true });
    await Promise.all([page.waitForURL(`${base}/admin/`), page.press('input[name="password"]', 'Enter')]);
    const cookies = await bctx.cookies();
    expect(cookies.find((c) => c.name === 'sl_admin')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    for (const [i, [p, title]] of PAGES.entries()) {
      const url = p.replace(':member', String(member.id));
      const res = await page.goto(`${base}${url}`);
      expect(res?.status(), url).toBe(200);
      await expect(page.locator('h1').textContent()).resolves.toMatch(title);
      const name = `${String(i + 1).padStart(2, '0')}-${url.replace(/^\/admin\/?/, '').replace(/[^a-z0-9]+/gi, '-') || 'home'}.png`;
      await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
    }

    // An action through the real form: turn the flag off; the page says so and the audit has it.
    await page.goto(`${base}/admin/flags`);
    await Promise.all([page.waitForURL(/\/admin\/flags\?msg=/), page.click('button:has-text("Turn off")')]);
    await expect(page.locator('.msg.ok').textContent()).resolves.toContain('Flag new_feed: off');
    expect(await t.ctx.services.flags.isEnabled('new_feed', 1)).toBe(false);
    expect((await t.ctx.services.audit.list({ cursor: null, limit: 1 }))[0]).toMatchObject({ action: 'admin.flag.set', actorUserId: staff.id });

    // The ops page refreshes itself from /admin/ops.json (its inline script runs under the CSP).
    await page.goto(`${base}/admin/ops`);
    await page.waitForFunction(() => Number(document.body.getAttribute('data-refreshed') ?? 0) >= 1, undefined, { timeout: 20_000 });
    await expect(page.locator('#routes tbody').textContent()).resolves.toContain('/admin');
    await page.screenshot({ path: path.join(SHOTS, '11-ops-refreshed.png'), fullPage: true });
    expect(errors).toEqual([]);
    await bctx.close();
    expect(fs.readdirSync(SHOTS).filter((f) => f.endsWith('.png')).length).toBe(PAGES.length + 2);
  }, 90_000);
});
