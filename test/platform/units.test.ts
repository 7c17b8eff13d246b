import { describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig, parseRate } from '../../src/config.js';
import { decodeCursor, encodeCursor } from '../../src/platform/http/pagination.js';
import { MemoryQueue } from '../../src/platform/queue-memory.js';
import { MemoryKeyValue } from '../../src/platform/cache.js';
import { MemoryPubSub } from '../../src/platform/pubsub.js';
import { createLogger } from '../../src/platform/log.js';
import { normalizeHandle } from '../../src/modules/users/handles.js';
import { djangoPbkdf2, hashPassword, verifyPassword } from '../../src/platform/auth/passwords.js';
import { sniffMedia } from '../../src/platform/storage/sniff.js';
import { createMetrics } from '../../src/platform/metrics.js';
import { TokenError, TokenSigner } from '../../src/platform/auth/tokens.js';
import { SessionCache } from '../../src/platform/auth/session-cache.js';
import { DJANGO_IMPORTED, DJANGO_LEGACY } from '../support/django-vectors.js';

describe('config', () => {
  it('parses defaults and names the variable in errors', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8000);
    expect(c.rateLimits.ip).toEqual({ limit: 240, windowMs: 60_000 });
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadConfig({ RATE_LIMITS_ENABLED: 'maybe' })).toThrow(/RATE_LIMITS_ENABLED/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ STORAGE_BACKEND: 'ftp' })).toThrow(/STORAGE_BACKEND/);
    expect(() => loadConfig({ STORAGE_BACKEND: 's3' })).toThrow(/S3_BUCKET/);
    expect(() => loadConfig({ JWT_SIGNING_KEY: 'short' })).toThrow(/JWT_SIGNING_KEY/);
    expect(() => parseRate('X', '10/fortnight')).toThrow(/X/);
    expect(parseRate('X', '5/s')).toEqual({ limit: 5, windowMs: 1000 });
  });
});

describe('metrics', () => {
  it('every app exports the process figures, gathered once per process; its own figures stay its own', async () => {
    const a = createMetrics();
    const b = createMetrics();
    const text = await a.registry.metrics();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('http_request_duration_seconds');
    // One GC observer and one event-loop histogram per process, however many apps it builds.
    expect(a.registry.getSingleMetric('nodejs_gc_duration_seconds')).toBeDefined();
    expect(a.registry.getSingleMetric('nodejs_gc_duration_seconds')).toBe(b.registry.getSingleMetric('nodejs_gc_duration_seconds'));
    a.jobs.inc({ job: 'x', outcome: 'completed' });
    expect(await b.registry.getSingleMetricAsString('jobs_processed_total')).not.toContain('job="x"');
  });
});

describe('cursors', () => {
  it('round-trip and accept the whole next URL', () => {
    const c = encodeCursor({ t: '2026-01-01T00:00:00.000Z', id: 42 });
    expect(decodeCursor(c)).toEqual({ t: '2026-01-01T00:00:00.000Z', id: 42 });
    expect(decodeCursor(`http://h/api/v1/users/?page_size=3&cursor=${c}`)).toEqual({ t: '2026-01-01T00:00:00.000Z', id: 42 });
    expect(decodeCursor(undefined)).toBeNull();
    for (const bad of ['!!', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["nope",1]').toString('base64url')]) expect(() => decodeCursor(bad)).toThrow();
  });
});

describe('memory queue', () => {
  it('retries failures, dedupes job ids and drains delayed jobs', async () => {
    const q = new MemoryQueue(createLogger('silent'));
    let tries = 0;
    const done: number[] = [];
    q.define<{ n: number }>('flaky', async ({ n }) => {
      tries++;
      if (tries < 3) throw new Error('boom');
      done.push(n);
    }, { attempts: 5, backoffMs: 1 });
    q.define<{ n: number }>('plain', async ({ n }) => void done.push(n));
    await q.enqueue('flaky', { n: 1 });
    await q.enqueue('plain', { n: 2 }, { jobId: 'x', delayMs: 60_000 });
    await q.enqueue('plain', { n: 3 }, { jobId: 'x' });
    await q.drain();
    expect(tries).toBe(3);
    expect(done.sort()).toEqual([1, 2]);
    await expect(q.enqueue('missing', {})).rejects.toThrow(/unknown job/);
    await q.close();
  });

  it('gives up after the last attempt', async () => {
    const q = new MemoryQueue(createLogger('silent'));
    let tries = 0;
    q.define('bad', async () => {
      tries++;
      throw new Error('always');
    }, { attempts: 2, backoffMs: 1 });
    await q.enqueue('bad', {});
    await q.drain();
    expect(tries).toBe(2);
  });
});

describe('memory key-value and pub/sub', () => {
  it('counts with TTL and keeps bounded lists', async () => {
    const kv = new MemoryKeyValue();
    expect((await kv.incr('a', 1000)).value).toBe(1);
    expect((await kv.incr('a', 1000)).value).toBe(2);
    await kv.listPush('l', ['3', '2', '1'], 4);
    await kv.listPush('l', ['5', '4'], 4);
    expect(await kv.listRange('l', 0, -1)).toEqual(['5', '4', '3', '2']);
    vi.useFakeTimers();
    try {
      await kv.set('gone', 'x', 1000);
      expect(await kv.get('gone')).toBe('x');
      vi.setSystemTime(Date.now() + 1001);
      expect(await kv.get('gone')).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('delivers to subscribers until they unsubscribe', async () => {
    const ps = new MemoryPubSub();
    const got: string[] = [];
    const off = await ps.subscribe('c', (m) => got.push(m));
    await ps.publish('c', 'one');
    await off();
    await ps.publish('c', 'two');
    expect(got).toEqual(['one']);
  });
});

describe('identity helpers', () => {
  it('remembers a verified token only until its exp, and never a wrong key\'s or a tampered one', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z'), toFake: ['Date'] });
    try {
      const signer = new TokenSigner('k'.repeat(40), 60, 600);
      const token = await signer.sign('access', 7, 3);
      expect(await signer.verify(token, 'access')).toMatchObject({ user_id: 7, sid: 3, token_type: 'access' });
      const again = await signer.verify(token, 'access'); // from the cache
      expect(again).toMatchObject({ user_id: 7 });
      // shared by every request that sends this token: nobody may change it for the next one
      expect(Object.isFrozen(again)).toBe(true);
      await expect(signer.verify(token, 'refresh')).rejects.toMatchObject({ reason: 'wrong_type' });
      await expect(new TokenSigner('x'.repeat(40), 60, 600).verify(token, 'access')).rejects.toMatchObject({ reason: 'invalid' });
      const [h, p, sig] = token.split('.');
      await expect(signer.verify(`${h}.${p}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`, 'access')).rejects.toMatchObject({ reason: 'invalid' });
      // (the cache finds a token by its signature: another payload under a remembered signature is not that token)
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), user_id: 8 })).toString('base64url');
      expect(() => signer.verifyNow(`${h}.${forged}.${sig}`, 'access')).toThrow(TokenError);
      expect(signer.verifyNow(token, 'access')).toMatchObject({ user_id: 7 });
      vi.setSystemTime(new Date('2026-01-01T00:01:01Z'));
      await expect(signer.verify(token, 'access')).rejects.toMatchObject({ reason: 'expired' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers a kept session at once (peek), never an expired or invalidated one', async () => {
    let now = 1_000;
    const looked: boolean[] = [];
    const cache = new SessionCache<string>(1000, 10, () => now, (hit) => looked.push(hit));
    expect(cache.peek(1, 1)).toBeUndefined();
    expect(await cache.get(1, 1, async () => 'one')).toBe('one');
    expect(cache.peek(1, 1)).toBe('one');
    expect(cache.peek(1, 2)).toBeUndefined(); // another session of the user
    now += 1000;
    expect(cache.peek(1, 1)).toBeUndefined(); // expired
    expect(await cache.get(1, 1, async () => 'two')).toBe('two');
    cache.invalidateUser(1);
    expect(cache.peek(1, 1)).toBeUndefined();
    // a peek counts its hits only; the get after a missed peek counts the miss
    expect(looked).toEqual([false, true, false]);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2 });
  });

  it('normalises handles', () => {
    expect(normalizeHandle('  Hello__World!! ')).toBe('hello_world');
    expect(normalizeHandle('___')).toBe('');
    expect(normalizeHandle('a'.repeat(40))).toHaveLength(30);
  });

  it('verifies argon2id and Django pbkdf2 hashes, flags pbkdf2 for upgrade', async () => {
    const h = await hashPassword('pw-12345678');
    expect(await verifyPassword('pw-12345678', h)).toEqual({ ok: true, needsRehash: false });
    expect((await verifyPassword('nope', h)).ok).toBe(false);
    const d = await djangoPbkdf2('pw-12345678', 'salt', 1000);
    expect(await verifyPassword('pw-12345678', d)).toEqual({ ok: true, needsRehash: true });
    expect((await verifyPassword('nope', d)).ok).toBe(false);
    expect((await verifyPassword('x', '!unusable')).ok).toBe(false);
    expect((await verifyPassword('x', 'pbkdf2_sha256$abc$salt$hash')).ok).toBe(false);
  });

  it('agrees with Django pbkdf2_sha256 hashes made outside the project', async () => {
    for (const v of [DJANGO_IMPORTED, DJANGO_LEGACY]) {
      expect(await verifyPassword(v.password, v.hash)).toEqual({ ok: true, needsRehash: true });
      expect((await verifyPassword(`${v.password}x`, v.hash)).ok).toBe(false);
      const [, iterations, salt] = v.hash.split('$');
      expect(await djangoPbkdf2(v.password, salt, Number(iterations))).toBe(v.hash);
    }
  });

  it('sniffs media by content', () => {
    expect(sniffMedia(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ', 'base64'))?.mime).toBe('image/png');
    // Magic bytes alone are not an image: the header must decode to a size.
    expect(sniffMedia(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(12)]))).toBeNull();
    const sof = Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x02, 0x00, 0x03, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
    expect(sniffMedia(sof)).toMatchObject({ mime: 'image/jpeg', width: 3, height: 2 });
    expect(sniffMedia(Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.alloc(8)]))?.kind).toBe('video');
    expect(sniffMedia(Buffer.from('GIF89a......xx'))?.mime).toBe('image/gif');
    expect(sniffMedia(Buffer.from('<html>hello</html>'))).toBeNull();
  });
});
