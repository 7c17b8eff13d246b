// The same contract for both adapter sets: memory (embedded) and Redis/BullMQ (server mode).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createPlatform, type Platform } from '../../src/platform/index.js';
import { openPglite } from '../../src/platform/db/index.js';
import { createLogger } from '../../src/platform/log.js';
import { PUSH_MANY_HEAD } from '../../src/platform/cache.js';
import { BullQueue } from '../../src/platform/queue-bull.js';
import { SERVER_MODE, TEST_REDIS_URL } from '../support/mode.js';
import { TEST_JWT_KEY } from '../support/app.js';

let p: Platform;
beforeAll(async () => {
  const env: Record<string, string> = { NODE_ENV: 'test', JWT_SIGNING_KEY: TEST_JWT_KEY, DATA_DIR: '/tmp/selflink-adapters' };
  if (SERVER_MODE) Object.assign(env, { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: `ta${randomBytes(4).toString('hex')}:` });
  // The database is not under test here; an in-memory PGlite keeps the set-up small.
  p = await createPlatform(loadConfig(env), { database: await openPglite(null), log: createLogger('silent') });
});
afterAll(async () => p?.close());

describe(`adapters (${SERVER_MODE ? 'redis' : 'memory'})`, () => {
  it('key-value: counters, lists (head first, trimmed), hashes', async () => {
    expect((await p.kv.incr('c', 10_000)).value).toBe(1);
    const second = await p.kv.incr('c', 10_000);
    expect(second.value).toBe(2);
    expect(second.ttlMs).toBeGreaterThan(0);
    await p.kv.listPush('l', ['3', '2', '1'], 4);
    await p.kv.listPush('l', ['5', '4'], 4);
    expect(await p.kv.listRange('l', 0, -1)).toEqual(['5', '4', '3', '2']);
    await p.kv.listRemove('l', '4');
    expect(await p.kv.listRange('l', 0, 1)).toEqual(['5', '3']);
    // Many lists at once (a fan-out page): pushed at the head, each list keeping its cap; a value
    // already near a list's head (a redelivered fan-out) is not pushed there again.
    await p.kv.listPush('m1', ['b', 'a'], 3);
    await p.kv.listPushMany(['m1', 'm2', 'l'], ['c'], 3);
    await p.kv.listPushMany(['m1', 'm2'], ['a', 'd'], 3);
    expect(await p.kv.listRange('m1', 0, -1)).toEqual(['d', 'c', 'b']);
    expect(await p.kv.listRange('m2', 0, -1)).toEqual(['a', 'd', 'c']);
    expect(await p.kv.listRange('l', 0, -1)).toEqual(['c', '5', '3']);
    await p.kv.listPushMany(['m2'], ['d'], 3);
    await p.kv.listPushMany([], ['x'], 3);
    await p.kv.listPushMany(['m2'], [], 3);
    expect(await p.kv.listRange('m2', 0, -1)).toEqual(['a', 'd', 'c']);
    // The look is bounded: past the newest PUSH_MANY_HEAD entries a value is pushed again (pages
    // read a timeline's ids as a set).
    const long = Array.from({ length: PUSH_MANY_HEAD + 1 }, (_, i) => `v${i}`);
    await p.kv.listPush('long', long, 1000);
    await p.kv.listPushMany(['long'], [`v${PUSH_MANY_HEAD - 1}`, `v${PUSH_MANY_HEAD}`], 1000);
    expect(await p.kv.listRange('long', 0, 0)).toEqual([`v${PUSH_MANY_HEAD}`]);
    expect(await p.kv.listRange('long', 0, -1)).toHaveLength(PUSH_MANY_HEAD + 2);
    // Without the look (a post's first fan-out) a value is pushed as it is.
    await p.kv.listPushMany(['m2'], ['d'], 3, false);
    expect(await p.kv.listRange('m2', 0, -1)).toEqual(['d', 'a', 'd']);
    // The entries around a value, found in the store: clipped at both ends, null when absent.
    await p.kv.listPush('w', ['9', '8', '7', '6', '5', '4', '3'], 10);
    expect(await p.kv.listRangeAround('w', '5', 2, 1)).toEqual({ start: 2, length: 7, values: ['7', '6', '5', '4'] });
    expect(await p.kv.listRangeAround('w', '8', 3, 2)).toEqual({ start: 0, length: 7, values: ['9', '8', '7', '6'] });
    expect(await p.kv.listRangeAround('w', '4', 0, 5)).toEqual({ start: 5, length: 7, values: ['4', '3'] });
    expect(await p.kv.listRangeAround('w', '1', 2, 2)).toBeNull();
    expect(await p.kv.listRangeAround('nothing', '1', 2, 2)).toBeNull();
    await p.kv.hashSet('h', 'a', '1', 10_000);
    await p.kv.hashSet('h', 'b', '2');
    await p.kv.hashDel('h', 'a');
    expect(await p.kv.hashGetAll('h')).toEqual({ b: '2' });
    // One field on many hashes at once, beside what they hold, each with its TTL.
    await p.kv.hashSet('hm1', 'x', '0');
    await p.kv.hashSetMany(['hm1', 'hm2'], 'g', '1', 60_000);
    await p.kv.hashSetMany([], 'g', '1', 60_000);
    expect(await p.kv.hashGetAll('hm1')).toEqual({ x: '0', g: '1' });
    expect(await p.kv.hashGetAll('hm2')).toEqual({ g: '1' });
    if (p.redis) {
      const prefix = p.config.redis.prefix;
      for (const k of ['hm1', 'hm2']) expect(await p.redis.pttl(prefix + k)).toBeGreaterThan(50_000);
    }
    await p.kv.set('s', 'v');
    expect(await p.kv.get('s')).toBe('v');
    await p.kv.del('s');
    expect(await p.kv.exists('s')).toBe(false);
  });

  it('rate limiter counts per key and window', async () => {
    const r1 = await p.limiter.hit('k', 2, 60_000);
    const r2 = await p.limiter.hit('k', 2, 60_000);
    const r3 = await p.limiter.hit('k', 2, 60_000);
    expect([r1.allowed, r2.allowed, r3.allowed]).toEqual([true, true, false]);
    expect(r2.remaining).toBe(0);
  });

  it('pub/sub delivers to every listener of a channel until unsubscribed', async () => {
    const got: string[] = [];
    let done!: () => void;
    const received = new Promise<void>((resolve) => (done = resolve));
    const record = (who: string) => (m: string) => {
      got.push(`${who}:${m}`);
      if (got.length === 2) done();
    };
    await p.pubsub.subscribe('chan', record('a'));
    const off = await p.pubsub.subscribe('chan', record('b'));
    // Subscriptions are confirmed before publish resolves on Redis, so the message is not lost.
    await p.pubsub.publish('chan', 'hello');
    await received;
    expect(got.sort()).toEqual(['a:hello', 'b:hello']);
    await off();
  });

  it('queue: runs, retries and drains jobs', async () => {
    const seen: number[] = [];
    let flaky = 0;
    p.queue.define<{ n: number }>('test.record', async ({ n }) => void seen.push(n), { attempts: 1 });
    p.queue.define('test.flaky', async () => {
      flaky++;
      if (flaky < 2) throw new Error('first try fails');
    }, { attempts: 3, backoffMs: 10 });
    await p.queue.startWorkers();
    await p.queue.enqueue('test.record', { n: 1 });
    await p.queue.enqueue('test.record', { n: 2 }, { delayMs: 60_000 });
    await p.queue.enqueue('test.flaky', {});
    await p.queue.drain();
    expect(seen.sort()).toEqual([1, 2]);
    expect(flaky).toBe(2);
    // Paused workers leave a job waiting (a running worker takes it as it lands); resumed, they run it.
    await p.queue.pauseWorkers();
    await p.queue.enqueue('test.record', { n: 3 });
    expect((await p.queue.counts()).find((c) => c.queue === 'test.record')).toMatchObject({ waiting: 1, active: 0 });
    expect(seen).not.toContain(3);
    p.queue.resumeWorkers();
    await p.queue.drain();
    expect(seen).toContain(3);
  });
});

describe.runIf(SERVER_MODE)('job queue shutdown (server mode)', () => {
  it('closes workers that are still starting without leaving a command to fail unheard', async () => {
    const { Redis } = await import('ioredis');
    const bull = await import('bullmq');
    // As the platform makes it: the producers' connection, which the workers' connections duplicate.
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });
    const prefix = `tq${randomBytes(4).toString('hex')}:`;
    // (watched, not changed: the connections the queue makes for its workers)
    const duplicated: InstanceType<typeof Redis>[] = [];
    const duplicate = connection.duplicate.bind(connection);
    connection.duplicate = (...args) => {
      const c = duplicate(...args);
      duplicated.push(c);
      return c;
    };
    const unheard: unknown[] = [];
    const record = (reason: unknown) => unheard.push(reason);
    process.on('unhandledRejection', record);
    try {
      // Closed as soon as the workers' own connections are up, while BullMQ still starts their
      // blocking ones: each worker's loop, starting after the close, sent its stalled-jobs check on
      // a connection the close had quit ("Connection is closed.", with no one listening).
      for (let i = 0; i < 5; i++) {
        const queue = new BullQueue(bull, connection, prefix, createLogger('silent'));
        for (const name of ['test.a', 'test.b', 'test.c']) queue.define(name, async () => undefined);
        await queue.startWorkers();
        await Promise.all(duplicated.splice(0).map((c) => (c.status === 'ready' ? undefined : new Promise((resolve) => c.once('ready', resolve)))));
        await queue.close();
        // (a rejection nobody handles is reported once the turn that made it is over)
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(unheard).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
      const keys = await connection.keys(`${prefix}*`);
      if (keys.length) await connection.del(...keys);
      await connection.quit();
    }
  });
});

describe.runIf(SERVER_MODE)('redis subscriber connection (server mode)', () => {
  it('takes SUBSCRIBEs issued while it connects (with a ready check, ioredis fails the connection)', async () => {
    const { Redis } = await import('ioredis');
    const { SUBSCRIBER_OPTIONS } = await import('../../src/platform/index.js');
    const outcome = async (opts: object) => {
      const main = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });
      const sub = main.duplicate(opts);
      const errors: unknown[] = [];
      sub.on('error', (e) => errors.push(e));
      try {
        await new Promise((r) => sub.once('connect', r));
        await Promise.all([sub.subscribe('sl-test-a'), sub.subscribe('sl-test-b')]).catch((e: unknown) => errors.push(e));
        // The ready check's INFO is refused after the SUBSCRIBEs; its reply is in once a PING round trip is.
        await sub.ping().catch(() => undefined);
        return errors.length;
      } finally {
        main.disconnect();
        sub.disconnect();
      }
    };
    expect(await outcome(SUBSCRIBER_OPTIONS)).toBe(0);
    expect(await outcome({})).toBeGreaterThan(0); // the failure the options avoid, still there in this ioredis
  });
});
