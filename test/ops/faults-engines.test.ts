// Faults lose nothing (issue 14 item 4): a `serve` process on a PostgreSQL and a Redis of its own, which
// the test stops and starts again. PostgreSQL down → 503 + Retry-After (never 500), /health names the
// part that is down, recovery without a restart of the app. Redis restarted → rate limits fail open
// meanwhile, the gateway resubscribes (a DM reaches an open socket), queued work resumes.
// Recovery times are printed ("recovery: …") and recorded in docs/operations.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_JWT_KEY } from '../support/app.js';
import { SERVER_MODE, TEST_DATABASE_URL, templateDbName } from '../support/mode.js';
import { startSelflink } from '../support/process.js';
import { copyTemplate, enginesUnavailable, ownPostgres, ownRedis, waitFor, type OwnPostgres, type OwnRedis } from '../support/engines.js';
import { connect, type Client } from '../realtime/ws-client.js';

const unavailable = SERVER_MODE ? enginesUnavailable() : 'embedded mode: the fault tests need PostgreSQL and Redis servers (SELFLINK_TEST_MODE=server)';
if (unavailable) console.warn(`faults-engines skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)('faults: PostgreSQL and Redis restarts under a running server', () => {
  let pgs: OwnPostgres;
  let redis: OwnRedis;
  let app: ReturnType<typeof startSelflink>;
  let base: string;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflink-faults-'));
  const sockets: Client[] = [];

  /**
   * The server writes its log asynchronously, in order: once a marker request's access line is out,
   * every line before it is too.
   */
  const logsWritten = async () => {
    const marker = `logs-written-${Math.random().toString(36).slice(2)}`;
    await call('GET', `/health?${marker}`);
    await waitFor('the log written up to the marker request', () => app.output().includes(marker));
  };

  beforeAll(async () => {
    [pgs, redis] = await Promise.all([ownPostgres(), ownRedis()]);
    copyTemplate(pgs, TEST_DATABASE_URL, templateDbName(), 'selflink');
    app = startSelflink({
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      DATABASE_URL: pgs.url('selflink'),
      DATABASE_POOL_MAX: '4',
      MIGRATE_ON_START: 'false',
      REDIS_URL: redis.url,
      JWT_SIGNING_KEY: TEST_JWT_KEY,
      // The guard must reach the database on every request (no cached sessions hide an outage).
      SESSION_CACHE_TTL_MS: '0',
      THROTTLE_IP_RATE: '100000/min',
      THROTTLE_USER_RATE: '100000/min',
      THROTTLE_ANON_RATE: '100000/min',
      AUTH_RPS_IP: '100000',
    });
    base = await app.listening;
  }, 90_000);

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    if (app && app.child.exitCode === null) {
      app.child.kill('SIGTERM');
      const guard = setTimeout(() => app.child.kill('SIGKILL'), 10_000);
      await app.exited;
      clearTimeout(guard);
    }
    await redis?.destroy();
    pgs?.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const call = async (method: string, url: string, token?: string, body?: unknown) => {
    const res = await fetch(base + url, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
  const register = async (handle: string) => {
    const r = await call('POST', '/api/v1/auth/register/', undefined, { email: `${handle}@example.com`, password: 'correct-horse-1', handle, name: handle });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return { id: r.body.user.id as number, token: r.body.token as string };
  };

  it('PostgreSQL stopped: 503 with Retry-After (never 500), /health says database down; back by itself after the restart', async () => {
    const carol = await register('carol');
    expect((await call('GET', '/api/v1/users/me/', carol.token)).status).toBe(200);

    const stoppedAt = performance.now();
    pgs.stop();
    const during = await call('GET', '/api/v1/users/me/', carol.token);
    expect(during.status, JSON.stringify(during.body)).toBe(503);
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(during.body).toMatchObject({ code: 'service_unavailable' });
    const write = await call('POST', '/api/v1/posts/', carol.token, { text: 'while the database is down' });
    expect(write.status).toBe(503);
    const health = await call('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'degraded', database: 'down', redis: 'ok' });
    expect(health.headers.get('retry-after')).not.toBeNull();

    const restartAt = performance.now();
    pgs.start();
    const startedAt = performance.now();
    await waitFor('API answers again', async () => (await call('GET', '/api/v1/users/me/', carol.token)).status === 200);
    const recoveredAt = performance.now();
    expect((await call('GET', '/health')).body).toMatchObject({ status: 'ok', database: 'ok' });
    const post = await call('POST', '/api/v1/posts/', carol.token, { text: 'after the restart' });
    expect(post.status, JSON.stringify(post.body)).toBe(201);
    console.log(
      `recovery: postgres restart — server start ${Math.round(startedAt - restartAt)} ms, API answering ${Math.round(recoveredAt - startedAt)} ms after the server was up (outage ${Math.round(recoveredAt - stoppedAt)} ms)`,
    );
    await logsWritten();
    expect(app.output()).not.toContain('"msg":"unhandled error"');
  }, 60_000);

  it('Redis restarted: rate limits fail open meanwhile, the gateway resubscribes, queued work resumes', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const thread = await call('POST', '/api/v1/threads/direct/', alice.token, { user_id: bob.id });
    expect(thread.status).toBeLessThan(300);
    const ws = await connect(`${base.replace('http', 'ws')}/ws?token=${encodeURIComponent(bob.token)}`);
    sockets.push(ws);
    const { Redis } = await import('ioredis');
    const probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const subscribed = async () => {
      await probe.connect().catch(() => undefined);
      return ((await probe.pubsub('CHANNELS', '*')) as string[]).some((c) => c.endsWith(`rt:user:${bob.id}`));
    };
    await waitFor('bob subscribed', subscribed);
    probe.disconnect();

    const stoppedAt = performance.now();
    await redis.stop();
    // Rate limits fail open: a throttled route still answers (its own work needs only PostgreSQL).
    const me = await call('GET', '/api/v1/users/me/', bob.token);
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    await logsWritten();
    expect(app.output()).toContain('rate limits failing open');
    // A follow while Redis is down: stored with its event in the outbox; its notification job waits for Redis.
    const follow = await call('POST', `/api/v1/users/${alice.id}/follow/`, bob.token);
    expect(follow.status, JSON.stringify(follow.body)).toBeLessThan(300);
    expect((await call('GET', '/health')).body).toMatchObject({ status: 'degraded', database: 'ok', redis: 'down' });

    const restartAt = performance.now();
    await redis.start();
    const startedAt = performance.now();
    const probe2 = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    await waitFor('gateway resubscribed', async () => ((await probe2.pubsub('CHANNELS', '*')) as string[]).some((c) => c.endsWith(`rt:user:${bob.id}`)));
    const resubscribedAt = performance.now();
    const sent = await call('POST', '/api/v1/messages/', alice.token, { thread: thread.body.id, body: 'after the redis restart', client_uuid: 'faults-redis-1' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    const frame = await ws.next((f) => f.type === 'message:new' && f.message?.id === sent.body.id, 'the DM after the restart');
    expect(frame.message.body).toBe('after the redis restart');
    // The follow made during the outage turns into alice's notification once the queue is back.
    await waitFor('follow notification', async () => (await call('GET', '/api/v1/notifications/', alice.token)).body.results.some((n: { type: string }) => n.type === 'follow'));
    const queuesAt = performance.now();
    await probe2.quit();
    expect(ws.frames.some((f) => f.type === 'error')).toBe(false);
    console.log(
      `recovery: redis restart — server start ${Math.round(startedAt - restartAt)} ms, gateway resubscribed ${Math.round(resubscribedAt - startedAt)} ms after, queued follow notification delivered ${Math.round(queuesAt - startedAt)} ms after (outage ${Math.round(queuesAt - stoppedAt)} ms)`,
    );
  }, 60_000);
});
