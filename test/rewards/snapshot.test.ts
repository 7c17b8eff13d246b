// The one calculator: rewards-snapshot / rewards-verify, payouts, public snapshots, /rewards/ and its CSVs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { users } from '../../src/modules/users/schema.js';
import { allocate, poolCents, pyJson } from '../../src/modules/rewards/calc.js';
import { deliver, prPayload, runCommand, SECRET } from './helpers.js';

let t: TestApp;
let staff: TestUser;
let alice: TestUser;
let bob: TestUser;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rewards-snap-'));

beforeAll(async () => {
  t = await createTestApp({ GITHUB_WEBHOOK_SECRET: SECRET });
  staff = await t.user();
  alice = await t.user();
  bob = await t.user();
  await t.ctx.db.update(users).set({ isStaff: true }).where(eq(users.id, staff.id));
  for (const [u, login] of [
    [alice, 'alice'],
    [bob, 'bob'],
  ] as const) {
    expect((await staff.req({ method: 'POST', url: '/api/v1/contrib-rewards/contributors/', body: { user_id: u.id, github_username: login } })).statusCode).toBe(201);
  }
  // 2025-01: alice 10 + 13, bob 5 + 2 (a penalty later brings nobody below zero here), carol (unlinked) 1.
  const prs: [string, number, string[]][] = [
    ['alice', 1, []],
    ['alice', 2, ['size/XL']],
    ['bob', 3, ['size/M']],
    ['bob', 4, ['size/S']],
    ['carol', 5, ['size/XS']],
  ];
  for (const [login, number, labels] of prs) {
    const r = await deliver(t, prPayload({ login, number, labels, mergedAt: `2025-01-0${number}T10:00:00Z`, title: `Fix "quoted", comma, ünïcode ${number}` }));
    expect(r.statusCode).toBeLessThan(300);
  }
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const read = (f: string) => fs.readFileSync(f);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('allocation (integers only)', () => {
  it('pays the whole pool by largest remainder, ties to the lower id, never negative', () => {
    expect(poolCents(10_000n, 2_000n, 50n)).toBe(4_000n);
    expect(poolCents(100n, 0n, 29n)).toBe(29n); // 100 × 0.29 in floats is 28.999…
    expect(poolCents(1_000n, 5_000n, 50n)).toBe(0n);
    const { amounts, totalPoints } = allocate(100n, [
      { id: 3, points: 1n },
      { id: 1, points: 1n },
      { id: 2, points: 1n },
      { id: 4, points: -5n },
    ]);
    expect(totalPoints).toBe(3n);
    expect(Object.fromEntries(amounts)).toEqual({ 1: 34n, 2: 33n, 3: 33n, 4: 0n });
    const single = allocate(4_000n, [{ id: 9, points: 10n }]);
    expect(single.amounts.get(9)).toBe(4_000n);
    expect([...allocate(0n, [{ id: 1, points: 5n }]).amounts.values()]).toEqual([0n]);
  });

  it('writes JSON as Python does (sorted keys, ASCII escapes)', () => {
    expect(pyJson({ b: 1, a: ['é', { d: null, c: true }] })).toBe('{"a": ["\\u00e9", {"c": true, "d": null}], "b": 1}');
  });
});

describe('rewards-snapshot and rewards-verify', () => {
  it('refuses bad months, negative money and a percent over 100 (non-zero exit, nothing written)', async () => {
    for (const args of [
      ['--month', '2025-13'],
      ['--month', '2025-1'],
      ['--month', 'jan'],
      [],
      ['--month', '2025-01', '--revenue-cents', '-5'],
      ['--month', '2025-01', '--costs-cents', '1.5'],
      ['--month', '2025-01', '--pool-percent', '101'],
    ]) {
      const r = await runCommand(t, 'rewards-snapshot', args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.err).not.toBe('');
    }
    expect((await t.request({ url: '/api/v1/contrib-rewards/snapshots/' })).json().results).toHaveLength(0);
  });

  it('dry runs write byte-identical files and save nothing', async () => {
    const args = (dir: string) => ['--month', '2025-01', '--revenue-cents', '100000', '--costs-cents', '20000', '--dry-run', '--output', dir];
    const a = await runCommand(t, 'rewards-snapshot', args(path.join(tmp, 'a')));
    const b = await runCommand(t, 'rewards-snapshot', args(path.join(tmp, 'b')));
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    for (const f of ['snapshot.csv', 'manifest.json']) expect(read(path.join(tmp, 'a', f)).equals(read(path.join(tmp, 'b', f)))).toBe(true);
    const m = JSON.parse(read(path.join(tmp, 'a', 'manifest.json')).toString());
    expect(a.out).toContain(m.ledger_hash);
    expect(m.ledger_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(m.csv_sha256).toBe(sha(read(path.join(tmp, 'a', 'snapshot.csv'))));
    expect(m).toMatchObject({ period: '2025-01', revenue_cents: 100000, costs_cents: 20000, pool_percent: 50, contributor_pool_cents: 40000, total_points: 31, total_events: 5 });
    // 40 000 cents by 23 : 7 : 1 points → 29 677.4…, 9 032.2…, 1 290.3… → alice has the largest remainder and gets the last cent.
    const amounts = Object.fromEntries(m.payouts.map((p: { github_username: string; amount_cents: number }) => [p.github_username, p.amount_cents]));
    expect(amounts).toEqual({ alice: 29678, bob: 9032, carol: 1290 });
    const csv = read(path.join(tmp, 'a', 'snapshot.csv')).toString();
    expect(csv.split('\r\n')[0]).toBe('id,contributor_id,event_type,points,occurred_at,reference,metadata');
    expect(csv).toContain('2025-01-01T10:00:00+00:00');
    expect((await t.request({ url: '/api/v1/contrib-rewards/snapshots/' })).json().results).toHaveLength(0);
    expect((await runCommand(t, 'rewards-verify', ['--month', '2025-01'])).code).toBe(1);
  });

  it('a real run saves the snapshot and pending payouts, publishes the CSV, and refuses a second run', async () => {
    const out = path.join(tmp, 'real');
    const r = await runCommand(t, 'rewards-snapshot', ['--month', '2025-01', '--revenue-cents', '100000', '--costs-cents', '20000', '--output', out]);
    expect(r.code).toBe(0);
    const dry = JSON.parse(read(path.join(tmp, 'a', 'manifest.json')).toString());
    expect(read(path.join(out, 'manifest.json')).equals(read(path.join(tmp, 'a', 'manifest.json')))).toBe(true);
    expect(r.out.split('\n')[0]).toBe(`Ledger hash: ${dry.ledger_hash}`);

    const again = await runCommand(t, 'rewards-snapshot', ['--month', '2025-01', '--revenue-cents', '1', '--costs-cents', '0']);
    expect(again.code).not.toBe(0);
    expect(again.err).toMatch(/already exists/);

    const list = await t.request({ url: '/api/v1/contrib-rewards/snapshots/' });
    expect(list.statusCode).toBe(200);
    const [snap] = list.json().results;
    expect(snap).toMatchObject({ period: '2025-01', revenue_cents: 100000, costs_cents: 20000, contributor_pool_cents: 40000, total_points: 31, total_events: 5, ledger_hash: dry.ledger_hash, csv_sha256: dry.csv_sha256, dispute_window_ends_at: '2025-02-08T00:00:00.000Z' });
    expect((await t.request({ url: `/api/v1/contrib-rewards/snapshots/${snap.id}/` })).json().id).toBe(snap.id);
    expect((await t.request({ url: '/api/v1/contrib-rewards/snapshots/999999/' })).statusCode).toBe(404);

    const csv = await t.request({ url: '/rewards/2025-01.csv' });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(sha(csv.rawPayload)).toBe(snap.csv_sha256);
    expect((await t.request({ url: '/rewards/2025-02.csv' })).statusCode).toBe(404);
    expect((await t.request({ url: '/rewards/2025-13.csv' })).statusCode).toBe(404);

    const page = await t.request({ url: '/rewards/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    for (const s of [snap.ledger_hash, snap.csv_sha256, 'href="/rewards/2025-01.csv"', '2025-01', '$400.00', '31']) expect(page.body).toContain(s);

    expect((await runCommand(t, 'rewards-verify', ['--month', '2025-01'])).code).toBe(0);
    expect((await runCommand(t, 'rewards-verify', ['--month', '2025-13'])).code).not.toBe(0);
  });

  it('payouts: the caller’s own, pending until staff move them after the dispute window (audited)', async () => {
    const mine = await alice.req({ url: '/api/v1/contrib-rewards/payouts/' });
    expect(mine.statusCode).toBe(200);
    expect(mine.json().results).toHaveLength(1);
    const p = mine.json().results[0];
    expect(p).toMatchObject({ period: '2025-01', points: 23, amount_cents: 29678, status: 'pending' });
    expect((await bob.req({ url: `/api/v1/contrib-rewards/payouts/${p.id}/` })).statusCode).toBe(404);
    const url = `/api/v1/contrib-rewards/payouts/${p.id}/status/`;
    expect((await alice.req({ method: 'POST', url, body: { status: 'paid' } })).statusCode).toBe(403);
    expect((await staff.req({ method: 'POST', url, body: { status: 'bogus' } })).statusCode).toBe(400);
    const skip = await staff.req({ method: 'POST', url, body: { status: 'paid' } });
    expect(skip.statusCode).toBe(409);
    const proc = await staff.req({ method: 'POST', url, body: { status: 'processing' } });
    expect(proc.statusCode).toBe(200);
    expect((await staff.req({ method: 'POST', url, body: { status: 'paid' } })).json().status).toBe('paid');
    expect((await staff.req({ method: 'POST', url, body: { status: 'canceled' } })).statusCode).toBe(409);
    const audit = (await staff.req({ url: '/api/v1/audit/events/?page_size=3' })).json().results;
    expect(audit[0]).toMatchObject({ action: 'rewards.payout.status_changed', metadata: { from: 'processing', to: 'paid' } });
    // The amounts cannot be edited in the database either.
    const err = await t.ctx.db.execute(sql`update reward_payouts set amount_cents = 1`).then(() => null, (e: Error & { cause?: Error }) => String(e.cause?.message ?? e.message));
    expect(err).toMatch(/immutable/);
  });

  it('keeps payouts of the current month pending while its dispute window is open', async () => {
    const now = new Date();
    const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    expect((await deliver(t, prPayload({ login: 'alice', number: 77 }))).statusCode).toBe(201);
    const r = await runCommand(t, 'rewards-snapshot', ['--month', month, '--revenue-cents', '500', '--costs-cents', '0']);
    expect(r.code).toBe(0);
    const p = (await alice.req({ url: '/api/v1/contrib-rewards/payouts/' })).json().results.find((x: { period: string }) => x.period === month);
    expect(p).toMatchObject({ amount_cents: 250, status: 'pending' });
    const res = await staff.req({ method: 'POST', url: `/api/v1/contrib-rewards/payouts/${p.id}/status/`, body: { status: 'processing' } });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('dispute_window_open');
    // A PR merged in a closed month lands in the next open one and leaves the closed month verifiable.
    expect((await deliver(t, prPayload({ login: 'alice', number: 78 }))).statusCode).toBe(201);
    expect((await runCommand(t, 'rewards-verify', ['--month', month])).code).toBe(0);
  });

  it('verify fails when the published CSV was tampered with', async () => {
    const file = path.join(t.dataDir, 'rewards', '2025-01', 'snapshot.csv');
    const original = read(file);
    fs.writeFileSync(file, Buffer.concat([original, Buffer.from('x')]));
    try {
      expect((await runCommand(t, 'rewards-verify', ['--month', '2025-01'])).code).toBe(1);
    } finally {
      fs.writeFileSync(file, original);
    }
  });
});

describe('ledger row canonicalisation', () => {
  it('the fast row serialiser gives exactly the sorted-key JSON of the whole row', async () => {
    const { ledgerRow } = await import('../../src/modules/rewards/calc.js');
    const e = { id: 7, contributorId: 3, eventType: 'pr_merged', points: -2, occurredAt: new Date('2025-01-02T03:04:05.678Z'), reference: 'a,"b"\né', metadata: { z: [1, 'ü'], a: { y: null, b: true } } };
    const r = ledgerRow(e);
    expect(r.json).toBe(pyJson({ id: 7, contributor_id: 3, event_type: 'pr_merged', points: -2, occurred_at: '2025-01-02T03:04:05.678000+00:00', reference: e.reference, metadata: e.metadata }));
    expect(r.csv).toBe('7,3,pr_merged,-2,2025-01-02T03:04:05.678000+00:00,"a,""b""\né","{""a"": {""b"": true, ""y"": null}, ""z"": [1, ""\\u00fc""]}"\r\n');
  });
});
