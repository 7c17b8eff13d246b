// Scale-out on real engines: 2 `api` + 2 `realtime` + 2 `worker` processes (`node bin/selflink.mjs <role>`)
// on one fresh PostgreSQL database and one Redis prefix, and a journey across them. Jobs are observed
// through BullMQ's own completion events (no polling), realtime delivery through a real WebSocket.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_JWT_KEY } from '../support/app.js';
import { dropServerState } from '../support/server-teardown.js';
import { SERVER_MODE, TEST_DATABASE_URL, TEST_REDIS_URL, templateDbName } from '../support/mode.js';
import { connect, type Client } from '../realtime/ws-client.js';

const BIN = path.resolve('bin/selflink.mjs');

interface Proc {
  role: string;
  child: ChildProcess;
  output: () => string;
  /** http://127.0.0.1:<port> once listening (api, realtime, and workers through HEALTH_PORT). */
  base: Promise<string>;
  exited: Promise<number | null>;
}

const procs: Proc[] = [];

function startRole(role: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [BIN, role], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const base = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m && out.includes('"msg":"selflink started"')) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    void exited.then((code) => reject(new Error(`${role} exited ${code} before it was ready:\n${out.slice(-3000)}`)));
  });
  base.catch(() => undefined);
  const p = { role, child, output: () => out, base, exited };
  procs.push(p);
  return p;
}

/** SIGTERM every process, SIGKILL what is still alive after the graceful-shutdown window. */
async function stopAll() {
  await Promise.all(
    procs.map(async (p) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      p.child.kill('SIGTERM');
      const guard = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
      await p.exited;
      clearTimeout(guard);
    }),
  );
}
// Whatever happens to the test run, no role process outlives it.
process.once('exit', () => procs.forEach((p) => p.child.exitCode === null && p.child.kill('SIGKILL')));

describe.runIf(SERVER_MODE)('scale-out: 2 api + 2 realtime + 2 worker processes', () => {
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const dbName = `sl_t_scale_${suffix}`;
  const prefix = `t${suffix}:`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflink-scale-'));
  const sockets: Client[] = [];
  let api1: string, api2: string, rt2: string;
  const queueEvents: import('bullmq').QueueEvents[] = [];

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${dbName} template ${templateDbName()}`);
    await admin.end();
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: '0',
      HEALTH_PORT: '0',
      DATA_DIR: dataDir,
      DATABASE_URL: Object.assign(new URL(TEST_DATABASE_URL), { pathname: `/${dbName}` }).toString(),
      DATABASE_POOL_MAX: '3',
      MIGRATE_ON_START: 'false',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      JWT_SIGNING_KEY: TEST_JWT_KEY,
      THROTTLE_IP_RATE: '100000/min',
      THROTTLE_USER_RATE: '100000/min',
      THROTTLE_ANON_RATE: '100000/min',
      AUTH_RPS_IP: '100000',
    };
    for (const role of ['api', 'api', 'realtime', 'realtime', 'worker', 'worker']) startRole(role, env);
    const bases = await Promise.all(procs.map((p) => p.base));
    [api1, api2, , rt2] = bases;
  }, 120_000);

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await Promise.all(queueEvents.map((q) => q.close()));
    await stopAll();
    await dropServerState({ dbName, redisPrefix: prefix, dataDir });
  }, 60_000);

  const call = async (base: string, method: string, url: string, token?: string, body?: unknown) => {
    const res = await fetch(base + url, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  /** Listens from now on; `done` resolves when a job of `queue` completes in any worker process (BullMQ's Redis event stream). */
  async function completion(queue: string) {
    const { QueueEvents } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    // Read from the stream's current tip (not '$', which is only resolved when the first XREAD runs:
    // a job finishing before that would be missed).
    const [tip] = await connection.xrevrange(`${prefix}bull:${queue}:events`, '+', '-', 'COUNT', 1);
    const qe = new QueueEvents(queue, { connection, prefix: `${prefix}bull`, lastEventId: tip?.[0] ?? '0-0' });
    queueEvents.push(qe);
    await qe.waitUntilReady();
    const done = new Promise<string>((resolve, reject) => {
      qe.once('completed', ({ jobId }) => resolve(jobId));
      qe.once('failed', ({ failedReason }) => reject(new Error(`${queue} failed: ${failedReason}`)));
    });
    return { done };
  }

  it('every process answers /health with both engines up', async () => {
    for (const p of procs) {
      const res = await fetch(`${await p.base}/health`);
      expect(res.status, p.role).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', database: 'ok', redis: 'ok', mode: 'postgres' });
    }
  });

  it('register on api#1, follow and post on api#2, jobs run by a worker, a DM via api#1 reaches a socket on realtime#2', async () => {
    const reg = async (base: string, handle: string) => {
      const r = await call(base, 'POST', '/api/v1/auth/register/', undefined, { email: `${handle}@example.com`, password: 'correct-horse-1', handle, name: handle });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return { id: r.body.user.id as number, token: r.body.token as string };
    };
    const alice = await reg(api1, `alice_${suffix.slice(-6)}`);
    const bob = await reg(api2, `bob_${suffix.slice(-6)}`);
    // A token issued by api#1 works on api#2 (one signing key, one session table).
    expect((await call(api2, 'GET', '/api/v1/users/me/', alice.token)).body.id).toBe(alice.id);

    // bob follows alice on api#2: a worker turns the event into alice's notification.
    const notified = await completion('notifications.event');
    expect((await call(api2, 'POST', `/api/v1/users/${alice.id}/follow/`, bob.token)).status).toBeLessThan(300);
    await notified.done;
    const notes = await call(api1, 'GET', '/api/v1/notifications/', alice.token);
    expect(notes.body.results).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'follow' })]));

    // alice posts on api#2: a worker fans it out to bob's timeline, read through api#1.
    const fannedOut = await completion('feed.fan-out');
    const post = await call(api2, 'POST', '/api/v1/posts/', alice.token, { text: 'hello from api#2' });
    expect(post.status, JSON.stringify(post.body)).toBe(201);
    await fannedOut.done;
    const feed = await call(api1, 'GET', '/api/v1/feed/home/', bob.token);
    // Posts only: the feed also places insight cards (the mentor card is always there).
    expect(feed.body.items.filter((i: { type: string }) => i.type === 'post').map((i: { post: { id: number } }) => i.post.id)).toContain(post.body.id);

    // bob listens on realtime#2; alice writes through api#1: Redis pub/sub carries it across.
    const ws = await connect(`${rt2.replace('http', 'ws')}/ws?token=${encodeURIComponent(bob.token)}`);
    sockets.push(ws);
    const thread = await call(api1, 'POST', '/api/v1/threads/direct/', alice.token, { user_id: bob.id });
    expect(thread.status).toBeLessThan(300);
    const sent = await call(api1, 'POST', '/api/v1/messages/', alice.token, { thread: thread.body.id, body: 'across processes', client_uuid: `scale-${suffix}` });
    expect(sent.status).toBe(201);
    const frame = await ws.type('message:new');
    expect(frame.message).toMatchObject({ id: sent.body.id, body: 'across processes' });

    // Both workers were up the whole time (either may have run the jobs).
    for (const p of procs) expect(p.child.exitCode, `${p.role} died:\n${p.output().slice(-2000)}`).toBeNull();
  }, 60_000);

  it('all six stop cleanly on SIGTERM', async () => {
    await Promise.all(sockets.splice(0).map((s) => s.close()));
    await Promise.all(queueEvents.splice(0).map((q) => q.close()));
    for (const p of procs) p.child.kill('SIGTERM');
    const codes = await Promise.all(procs.map((p) => p.exited));
    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
    for (const p of procs) expect(p.output(), p.role).toContain('"msg":"stopped"');
  }, 60_000);
});
