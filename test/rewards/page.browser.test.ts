// The public transparency page in a real headless browser (Debian's chromium via playwright-core),
// on a phone-sized viewport: every month with its hashes, and a CSV whose SHA-256 is the published one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { createTestApp, type TestApp } from '../support/app.js';
import { deliver, prPayload, runCommand, SECRET } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) console.warn(`[rewards page test] skipped: no chromium at ${CHROMIUM} (install it with: apt-get install -y chromium)`);

let t: TestApp;
let base: string;
let browser: Browser;
export const SCREENSHOT = path.join(os.tmpdir(), 'selflink-rewards-page.png');

describe.skipIf(!haveChromium)('transparency page in headless chromium', () => {
  beforeAll(async () => {
    t = await createTestApp({ GITHUB_WEBHOOK_SECRET: SECRET });
    for (const [login, n, month] of [
      ['alice', 1, '2025-01'],
      ['bob', 2, '2025-01'],
      ['alice', 3, '2025-02'],
    ] as const) {
      expect((await deliver(t, prPayload({ login, number: n, mergedAt: `${month}-1${n}T09:00:00Z`, labels: n === 2 ? ['size/L'] : [] }))).statusCode).toBe(202);
    }
    expect((await runCommand(t, 'rewards-snapshot', ['--month', '2025-01', '--revenue-cents', '250000', '--costs-cents', '50000'])).code).toBe(0);
    expect((await runCommand(t, 'rewards-snapshot', ['--month', '2025-02', '--revenue-cents', '1000', '--costs-cents', '0', '--pool-percent', '29'])).code).toBe(0);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address() as { port: number };
    base = `http://127.0.0.1:${addr.port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lists every month with its totals, pool, full hashes, dispute window and a CSV whose SHA-256 matches', async () => {
    const snaps = (await (await fetch(`${base}/api/v1/contrib-rewards/snapshots/`)).json()).results as { period: string; ledger_hash: string; csv_sha256: string; contributor_pool_cents: number; total_points: number }[];
    expect(snaps.map((s) => s.period).sort()).toEqual(['2025-01', '2025-02']);
    const ctxB = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true });
    const page = await ctxB.newPage();
    const res = await page.goto(`${base}/rewards/`);
    expect(res?.status()).toBe(200);
    await expect(page.title()).resolves.toMatch(/rewards/i);
    for (const s of snaps) {
      const card = page.locator(`#m-${s.period}`);
      await expect(card.locator('h2').textContent()).resolves.toBe(s.period);
      await expect(card.locator('.ledger-hash code').textContent()).resolves.toBe(s.ledger_hash);
      await expect(card.locator('.csv-sha256 code').textContent()).resolves.toBe(s.csv_sha256);
      await expect(card.locator('.points').textContent()).resolves.toBe(String(s.total_points));
      await expect(card.locator('.pool').textContent()).resolves.toContain(`(${s.contributor_pool_cents.toLocaleString('en-US')} cents)`);
      await expect(card.locator('.dispute').textContent()).resolves.toMatch(/closed on 2025-0[23]-08/);
      const href = await card.locator('a.csv').getAttribute('href');
      expect(href).toBe(`/rewards/${s.period}.csv`);
      // Fetch the CSV from inside the page, as a visitor would, and hash the exact bytes.
      const bytes = await page.evaluate(async (u) => Array.from(new Uint8Array(await (await fetch(u)).arrayBuffer())), href!);
      expect(createHash('sha256').update(Buffer.from(bytes)).digest('hex')).toBe(s.csv_sha256);
      // Long hashes wrap instead of widening the page.
      const box = await card.boundingBox();
      expect(box!.width).toBeLessThanOrEqual(390);
    }
    await expect(page.locator('.how').textContent()).resolves.toMatch(/sha256sum[\s\S]*rewards-verify/);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scrollWidth).toBeLessThanOrEqual(390);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    console.log(`[rewards page test] screenshot: ${SCREENSHOT}`);
    await ctxB.close();
  });
});
