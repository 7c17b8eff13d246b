// Fixed-window rate limits taken in leases (src/platform/rate-limit.ts), on the store each mode uses.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createPlatform, type Platform } from '../../src/platform/index.js';
import { openPglite } from '../../src/platform/db/index.js';
import { createLogger } from '../../src/platform/log.js';
import type { KeyValue } from '../../src/platform/cache.js';
import { RateLimiter } from '../../src/platform/rate-limit.js';
import { SERVER_MODE, TEST_REDIS_URL } from '../support/mode.js';
import { TEST_JWT_KEY } from '../support/app.js';

let p: Platform;
beforeAll(async () => {
  const env: Record<string, string> = { NODE_ENV: 'test', JWT_SIGNING_KEY: TEST_JWT_KEY, DATA_DIR: '/tmp/selflink-rate-limit' };
  if (SERVER_MODE) Object.assign(env, { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: `trl${randomBytes(4).toString('hex')}:` });
  p = await createPlatform(loadConfig(env), { database: await openPglite(null), log: createLogger('silent') });
});
afterAll(async () => p?.close());
afterEach(() => {
  vi.useRealTimers();
});

/** The platform's store, with its round trips for counters counted. */
function counted(kv: KeyValue) {
  const trips = { n: 0 };
  const store = Object.create(kv) as KeyValue;
  store.incrMany = (items) => {
    trips.n++;
    return kv.incrMany(items);
  };
  return { store, trips };
}

const fresh = () => `k${randomBytes(6).toString('hex')}`;
const MINUTE = 60_000;

describe(`rate limits in leases (${SERVER_MODE ? 'redis' : 'memory'})`, () => {
  it('one process lets exactly the limit through, remaining counting down, and then refuses without asking the store', async () => {
    const { store, trips } = counted(p.kv);
    const limiter = new RateLimiter(store);
    const key = fresh();
    const seen = [];
    for (let i = 0; i < 12; i++) seen.push(await limiter.hit(key, 10, MINUTE));
    expect(seen.map((r) => r.allowed)).toEqual([...Array(10).fill(true), false, false]);
    expect(seen.map((r) => r.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0]);
    expect(seen.every((r) => r.limit === 10 && r.resetMs > 0 && r.resetMs <= MINUTE)).toBe(true);
    const before = trips.n;
    expect((await limiter.hit(key, 10, MINUTE)).allowed).toBe(false);
    expect(trips.n).toBe(before);
  });

  it('requests of one process at once: exactly the limit', async () => {
    const limiter = new RateLimiter(p.kv);
    const key = fresh();
    const results = await Promise.all(Array.from({ length: 60 }, () => limiter.hitMany([{ key, limit: 25, windowMs: MINUTE }])));
    expect(results.filter(([r]) => r.allowed)).toHaveLength(25);
  });

  it('a busy bucket costs a round trip per lease, not per request, and its remaining stays exact', async () => {
    const { store, trips } = counted(p.kv);
    const limiter = new RateLimiter(store);
    const key = fresh();
    let last = null;
    for (let round = 0; round < 40; round++) {
      const results = await Promise.all(Array.from({ length: 50 }, () => limiter.hitMany([{ key, limit: 1_000_000, windowMs: MINUTE }])));
      expect(results.every(([r]) => r.allowed)).toBe(true);
      last = results.at(-1)![0];
    }
    // 2,000 requests: leases of 1, 2, 4, … 256 (more while requests wait), then 256 at a time.
    expect(trips.n).toBeLessThan(30);
    expect(last!.remaining).toBe(1_000_000 - 2_000);
  });

  it('several processes on one store never let more than the limit through, and waste little of it', async () => {
    const limiters = [new RateLimiter(p.kv), new RateLimiter(p.kv), new RateLimiter(p.kv)];
    const key = fresh();
    let allowed = 0;
    for (let round = 0; round < 30; round++) {
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => limiters[(i + round) % 3].hitMany([{ key, limit: 600, windowMs: MINUTE }])));
      allowed += results.filter(([r]) => r.allowed).length;
    }
    expect(allowed).toBeLessThanOrEqual(600);
    // (at most 1/8 of what was left is held unused by each of the three)
    expect(allowed).toBeGreaterThanOrEqual(600 - Math.ceil((3 * 600) / 8));
  });

  it('a window that has ended starts anew, its unused slots gone', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const limiter = new RateLimiter(p.kv);
    const key = fresh();
    for (let i = 0; i < 5; i++) expect((await limiter.hit(key, 5, MINUTE)).allowed).toBe(true);
    expect((await limiter.hit(key, 5, MINUTE)).allowed).toBe(false);
    // The window ends: the store's counter expires (deleted here: Redis keeps its own clock) and so does the lease.
    vi.setSystemTime(Date.now() + MINUTE + 1);
    await p.kv.del(`rl:${key}`);
    const next = await limiter.hit(key, 5, MINUTE);
    expect(next).toMatchObject({ allowed: true, remaining: 4 });
  });

  it('fails open when the store cannot be reached, and counts again once it can', async () => {
    let down = true;
    const store = Object.create(p.kv) as KeyValue;
    store.incrMany = (items) => (down ? Promise.reject(new Error('ECONNREFUSED')) : p.kv.incrMany(items));
    const errors: unknown[] = [];
    const limiter = new RateLimiter(store, (err) => errors.push(err));
    const key = fresh();
    const [a, b] = await Promise.all([limiter.hit(key, 2, MINUTE), limiter.hit(key, 2, MINUTE)]);
    expect([a.allowed, b.allowed]).toEqual([true, true]);
    expect(errors.length).toBeGreaterThan(0);
    down = false;
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await limiter.hit(key, 2, MINUTE)).allowed);
    expect(seen).toEqual([true, true, false]);
  });
});
