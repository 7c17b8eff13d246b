import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { describeServer } from '../support/server-only.js';
import { commands } from '../../src/commands/index.js';
import { balanceOf, coinEnv, fund } from './helpers.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  t = await createTestApp(coinEnv());
  [alice, bob] = await Promise.all([t.user(), t.user()]);
});
afterAll(async () => t?.close());

const transfer = (u: TestUser, body: unknown, headers: Record<string, string> = {}) => u.req({ method: 'POST', url: '/api/v1/coin/transfer/', body, headers });

/** The database's own error text (drizzle wraps it as the cause). */
async function dbError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = e as { message: string; cause?: { message?: string } };
    return `${err.message} ${err.cause?.message ?? ''}`;
  }
  return 'no error';
}

async function invariant() {
  const out: string[] = [];
  const log = console.log;
  const err = console.error;
  console.log = (...a: unknown[]) => out.push(a.join(' '));
  console.error = (...a: unknown[]) => out.push(a.join(' '));
  try {
    return { code: await commands['coin-invariant-check'].run(t.ctx, []), out: out.join('\n') };
  } finally {
    console.log = log;
    console.error = err;
  }
}

describe('coin: auth', () => {
  it.each([
    ['GET', '/api/v1/coin/balance/'],
    ['GET', '/api/v1/coin/ledger/'],
    ['POST', '/api/v1/coin/transfer/'],
    ['POST', '/api/v1/coin/spend/'],
    ['GET', '/api/v1/coin/products/'],
    ['POST', '/api/v1/coin/purchase/'],
    ['GET', '/api/v1/me/entitlements/'],
  ] as const)('%s %s needs a token', async (method, url) => {
    expect((await t.request({ method, url, body: method === 'POST' ? {} : undefined })).statusCode).toBe(401);
  });
});

describe('coin: balance, ledger, transfer', () => {
  it('mints through a verified payment and shows the mint newest first', async () => {
    expect(await balanceOf(alice)).toBe(0);
    const ref = await fund(t, alice, 1500);
    expect((await alice.req({ url: '/api/v1/coin/balance/' })).json()).toEqual({ account_key: `user:${alice.id}`, balance_cents: 1500, currency: 'SLC' });
    const led = (await alice.req({ url: '/api/v1/coin/ledger/?limit=25' })).json();
    expect(led.results[0]).toMatchObject({ event_type: 'mint', direction: 'CREDIT', amount_cents: 1500, currency: 'SLC', account_key: `user:${alice.id}` });
    expect(led.results[0].event_metadata.reference).toBe(ref);
  });

  it('transfers by account key with fee 0 and moves exactly the amount', async () => {
    const res = await transfer(alice, { receiver_account_key: `user:${bob.id}`, amount_cents: 200, note: 'hi' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ to_user_id: bob.id, amount_cents: 200, fee_cents: 0, total_debit_cents: 200, balance_cents: 1300, currency: 'SLC' });
    expect(await balanceOf(bob)).toBe(200);
    const led = (await alice.req({ url: '/api/v1/coin/ledger/' })).json();
    expect(led.results[0]).toMatchObject({ event_type: 'transfer', direction: 'DEBIT', amount_cents: 200, note: 'hi' });
  });

  it.each([
    [{ receiver_account_key: 'user:X', amount_cents: 0 }],
    [{ to_user_id: 1, amount_cents: -5 }],
    [{ to_user_id: 1, amount_cents: 1.5 }],
    [{ to_user_id: 1, amount_cents: '10' }],
    [{ to_user_id: 1, amount_cents: 9223372036854775808 }],
    [{ amount_cents: 10 }],
  ])('refuses bad amounts and missing receivers with 400 %j', async (body) => {
    const before = await balanceOf(alice);
    const res = await transfer(alice, body);
    expect(res.statusCode).toBe(400);
    expect(await balanceOf(alice)).toBe(before);
  });

  it('refuses unknown and own receivers with invalid_receiver, and overdrafts with insufficient_funds', async () => {
    for (const body of [{ receiver_account_key: 'user:999999999', amount_cents: 1 }, { receiver_account_key: `user:${alice.id}`, amount_cents: 1 }, { receiver_account_key: 'system:revenue', amount_cents: 1 }, { to_user_id: alice.id, amount_cents: 1 }]) {
      const res = await transfer(alice, body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ detail: 'invalid_receiver', code: 'invalid_receiver' });
    }
    const res = await transfer(bob, { to_user_id: alice.id, amount_cents: 10_000 });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('insufficient_funds');
  });

  it('replays an Idempotency-Key retry once and refuses another body with 409', async () => {
    const before = await balanceOf(alice);
    const h = { 'idempotency-key': 'transfer-key-1' };
    const a = await transfer(alice, { to_user_id: bob.id, amount_cents: 10 }, h);
    const b = await transfer(alice, { to_user_id: bob.id, amount_cents: 10 }, h);
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.json().event_id).toBe(a.json().event_id);
    expect(await balanceOf(alice)).toBe(before - 10);
    const c = await transfer(alice, { to_user_id: bob.id, amount_cents: 11 }, h);
    expect(c.statusCode).toBe(409);
    expect(c.json().code).toBe('idempotency_conflict');
    // Keys are per user: bob may use the same key for his own transfer.
    expect((await transfer(bob, { to_user_id: alice.id, amount_cents: 1 }, h)).statusCode).toBe(201);
  });

  it('pages the ledger with next_cursor and refuses garbage cursors and limits', async () => {
    const p1 = (await alice.req({ url: '/api/v1/coin/ledger/?limit=2' })).json();
    expect(p1.results).toHaveLength(2);
    expect(typeof p1.next_cursor).toBe('string');
    const p2 = (await alice.req({ url: `/api/v1/coin/ledger/?limit=2&cursor=${encodeURIComponent(p1.next_cursor)}` })).json();
    const all = (await alice.req({ url: '/api/v1/coin/ledger/?limit=200' })).json().results.map((e: { id: number }) => e.id);
    expect([...p1.results, ...p2.results].map((e: { id: number }) => e.id)).toEqual(all.slice(0, 4));
    const bad = await alice.req({ url: '/api/v1/coin/ledger/?cursor=%%%garbage' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toBe('Invalid cursor.');
    expect((await alice.req({ url: '/api/v1/coin/ledger/?limit=abc' })).json()).toMatchObject({ detail: 'Invalid limit.' });
    // Someone else's legacy numeric cursor is not a cursor here.
    expect((await bob.req({ url: `/api/v1/coin/ledger/?cursor=${all[0]}` })).statusCode).toBe(400);
  });

  it('spends to revenue with 201', async () => {
    const before = await balanceOf(alice);
    const res = await alice.req({ method: 'POST', url: '/api/v1/coin/spend/', body: { amount_cents: 5, reference: 'product:tip' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ amount_cents: 5, reference: 'product:tip', balance_cents: before - 5, currency: 'SLC' });
    expect((await alice.req({ method: 'POST', url: '/api/v1/coin/spend/', body: { amount_cents: 5 } })).json()).toHaveProperty('reference');
  });
});

describe('coin: products, purchase, entitlements', () => {
  it('lists the seeded products as a bare array', async () => {
    const res = (await alice.req({ url: '/api/v1/coin/products/' })).json();
    expect(res.map((p: { code: string }) => p.code)).toEqual(['premium_month', 'premium_plus_month']);
  });

  it('charges once per idempotency key and extends the entitlement once', async () => {
    const u = await t.user();
    await fund(t, u, 2500);
    expect((await u.req({ url: '/api/v1/me/entitlements/' })).json()).toEqual({ premium: { active: false, active_until: null }, premium_plus: { active: false, active_until: null } });
    expect(await t.ctx.services.coin.hasEntitlement(u.id, 'soulmatch_premium')).toBe(false);
    const body = { product_code: 'premium_month', quantity: 1, idempotency_key: 'slc-1' };
    const a = await u.req({ method: 'POST', url: '/api/v1/coin/purchase/', body });
    expect(a.statusCode).toBe(200);
    expect(a.json()).toMatchObject({ ok: true, product_code: 'premium_month', charged_slc: 1000, balance_slc: 1500 });
    expect(a.json().entitlements.premium.active).toBe(true);
    const b = await u.req({ method: 'POST', url: '/api/v1/coin/purchase/', body });
    expect(b.statusCode).toBe(200);
    expect(b.json().ledger_tx_id).toBe(a.json().ledger_tx_id);
    expect(b.json().entitlements.premium.active_until).toBe(a.json().entitlements.premium.active_until);
    expect(await balanceOf(u)).toBe(1500);
    expect((await u.req({ method: 'POST', url: '/api/v1/coin/purchase/', body: { ...body, quantity: 2 } })).statusCode).toBe(409);
    expect(await t.ctx.services.coin.hasEntitlement(u.id, 'soulmatch_premium')).toBe(true);
    const poor = await u.req({ method: 'POST', url: '/api/v1/coin/purchase/', body: { product_code: 'premium_plus_month', idempotency_key: 'slc-2', quantity: 1 } });
    expect(poor.statusCode).toBe(402);
    expect(poor.json().code).toBe('insufficient_funds');
    expect((await u.req({ method: 'POST', url: '/api/v1/coin/purchase/', body: { product_code: 'nope', idempotency_key: 'k' } })).statusCode).toBe(404);
    expect((await u.req({ method: 'POST', url: '/api/v1/coin/purchase/', body: { product_code: 'premium_month', idempotency_key: '  ' } })).statusCode).toBe(400);
  });

  it('staff edit products; others get 403', async () => {
    expect((await alice.req({ method: 'PATCH', url: '/api/v1/coin/products/premium_month/', body: { sort_order: 5 } })).statusCode).toBe(403);
  });
});

describe('coin: the database enforces the ledger', () => {
  it('refuses updates and deletes of events and entries, and unbalanced postings', async () => {
    expect(await dbError(t.ctx.db.execute(sql`update coin_ledger_entries set amount_cents = amount_cents + 1`))).toMatch(/append-only/);
    expect(await dbError(t.ctx.db.execute(sql`delete from coin_events`))).toMatch(/append-only/);
    expect(await dbError(t.ctx.db.execute(sql`truncate coin_ledger_entries`))).toMatch(/append-only|cannot truncate/);
    expect(
      await dbError(t.ctx.db.transaction(async (tx) => {
        const r = await tx.execute(sql`insert into coin_events (event_type) values ('spend') returning id`);
        const id = (r as unknown as { rows: { id: number }[] }).rows[0].id;
        await tx.execute(sql`insert into coin_ledger_entries (event_id, account_key, amount_cents, direction) values (${id}, ${`user:${alice.id}`}, 5, 'DEBIT')`);
      })),
    ).toMatch(/unbalanced/);
  });

  it('passes the invariant check, also after a suspension of an account with history', async () => {
    const r1 = await invariant();
    expect(r1.code).toBe(0);
    expect(r1.out).toContain('- unbalanced_event_groups=0');
    await t.ctx.services.coin.setAccountStatus(`user:${bob.id}`, 'suspended');
    expect((await invariant()).code).toBe(0);
    const res = await transfer(alice, { to_user_id: bob.id, amount_cents: 1 });
    expect(res.json().code).toBe('account_inactive');
    await t.ctx.services.coin.setAccountStatus(`user:${bob.id}`, 'active');
  });

  it('builds a reproducible monthly snapshot', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const a = await t.ctx.services.coin.buildSnapshot(month);
    const b = await t.ctx.services.coin.buildSnapshot(month);
    expect(a.ledgerHash).toBe(b.ledgerHash);
    expect(a.csv.equals(b.csv)).toBe(true);
    expect(a.manifest.total_entries).toBeGreaterThan(4);
    expect(a.csv.toString().split('\r\n')[0]).toBe('id,event_id,event_type,account_key,direction,amount_cents,currency,entry_metadata,event_metadata,created_at');
  });
});

describeServer('coin: concurrency', () => {
  it('32 concurrent spends of a balance that covers 5 → exactly 5 succeed', async () => {
    const u = await t.user();
    await fund(t, u, 500);
    const res = await Promise.all(Array.from({ length: 32 }, () => u.req({ method: 'POST', url: '/api/v1/coin/spend/', body: { amount_cents: 100, reference: 'product:test' } })));
    expect(res.filter((r) => r.statusCode === 201)).toHaveLength(5);
    expect(res.filter((r) => r.statusCode === 400).every((r) => r.json().code === 'insufficient_funds')).toBe(true);
    expect(await balanceOf(u)).toBe(0);
  });

  it('concurrent retries with one Idempotency-Key move money once', async () => {
    const u = await t.user();
    await fund(t, u, 100);
    const res = await Promise.all(Array.from({ length: 8 }, () => u.req({ method: 'POST', url: '/api/v1/coin/spend/', body: { amount_cents: 30, reference: 'product:test' }, headers: { 'idempotency-key': 'same' } })));
    expect(new Set(res.map((r) => r.json().event_id)).size).toBe(1);
    expect(await balanceOf(u)).toBe(70);
  });

  it('10,000 concurrent random transfers among 100 users keep the invariant and the total', async () => {
    // Through the service (the HTTP layer adds nothing to the ledger's locking), 24 at a time.
    const users: TestUser[] = [];
    for (let i = 0; i < 10; i++) users.push(...(await Promise.all(Array.from({ length: 10 }, () => t.user()))));
    await Promise.all(users.map((u) => fund(t, u, 1000)));
    const started = Date.now();
    const coin = t.ctx.services.coin;
    const ids = users.map((u) => u.id);
    const before = await coin.balancesOf(ids);
    const sumBefore = [...before.values()].reduce((a, b) => a + b, 0);
    let seed = 42;
    // mulberry32: a small deterministic PRNG.
    const rnd = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) % n;
    };
    const jobs = Array.from({ length: 10_000 }, () => {
      const a = rnd(100);
      const b = (a + 1 + rnd(99)) % 100;
      return { from: ids[a], to: ids[b], amount: 1 + rnd(400) };
    });
    let next = 0;
    let ok = 0;
    let refused = 0;
    await Promise.all(
      Array.from({ length: 24 }, async () => {
        while (next < jobs.length) {
          const j = jobs[next++];
          try {
            await coin.transfer(j.from, { toUserId: j.to, amountCents: j.amount });
            ok++;
          } catch (e) {
            if ((e as { code?: string }).code !== 'insufficient_funds') throw e;
            refused++;
          }
        }
      }),
    );
    console.log(`10,000 transfers through the service: ${ok} moved, ${refused} refused, ${Math.round(10_000 / ((Date.now() - started) / 1000))}/s`);
    expect(ok + refused).toBe(10_000);
    expect(ok).toBeGreaterThan(5000);
    const after = await coin.balancesOf(ids);
    expect([...after.values()].reduce((a, b) => a + b, 0)).toBe(sumBefore);
    expect([...after.values()].every((b) => b >= 0)).toBe(true);
    expect((await invariant()).code).toBe(0);
  }, 600_000); // ~20 s on a quiet machine; minutes when the 2 cores are shared
});
