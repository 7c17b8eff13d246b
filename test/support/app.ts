// A whole application per test file, on a private copy of the migrated database:
// embedded (PGlite + memory adapters) or server (a fresh PostgreSQL database + a Redis prefix).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { createPlatform } from '../../src/platform/index.js';
import { openPglite, openPostgres } from '../../src/platform/db/index.js';
import { createLogger } from '../../src/platform/log.js';
import { createContext } from '../../src/modules/index.js';
import { buildApp } from '../../src/app.js';
import type { Ctx } from '../../src/context.js';
import type { App } from '../../src/platform/http/app-type.js';
import { pgliteSnapshotPath, SERVER_MODE, TEST_DATABASE_URL, TEST_REDIS_URL, templateDbName } from './mode.js';
import { dropServerState } from './server-teardown.js';

export const TEST_JWT_KEY = 'test-signing-key-0123456789abcdef0123456789abcdef';

export interface TestApp {
  app: App;
  ctx: Ctx;
  dataDir: string;
  drain(): Promise<void>;
  close(): Promise<void>;
  request(opts: RequestOpts): Promise<LightMyRequestResponse>;
  /** Registers a user and returns its id, tokens and an authorised request helper. */
  user(overrides?: Partial<{ email: string; handle: string; name: string; password: string }>): Promise<TestUser>;
}

export interface RequestOpts {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  payload?: string | Buffer;
}

export interface TestUser {
  id: number;
  email: string;
  handle: string;
  password: string;
  token: string;
  refreshToken: string;
  req(opts: Omit<RequestOpts, 'token'>): Promise<LightMyRequestResponse>;
}

function withDb(url: string, name: string) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

let counter = 0;

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflink-test-'));
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const baseEnv: Record<string, string> = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    JWT_SIGNING_KEY: TEST_JWT_KEY,
    LOG_LEVEL: 'silent',
    // Limits stay on in tests, high enough not to trip ordinary tests; rate-limit tests lower them.
    THROTTLE_IP_RATE: '100000/min',
    THROTTLE_USER_RATE: '100000/min',
    THROTTLE_ANON_RATE: '100000/min',
    AUTH_RPS_IP: '100000',
    THROTTLE_ASTRO_RATE: '100000/min',
    THROTTLE_MATCHING_RATE: '100000/min',
    THROTTLE_MENTOR_RATE: '100000/min',
    MENTOR_RPS_USER: '100000',
    MENTOR_RPS_GLOBAL: '100000',
    // Many tests change users straight in the database (no domain event) and expect the next request
    // to see it: the session cache is off unless a test turns it on (test/perf/ does).
    SESSION_CACHE_TTL_MS: '0',
  };
  let dbName: string | null = null;
  let database;
  if (SERVER_MODE) {
    dbName = `sl_t_${suffix}`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${dbName} template ${templateDbName()}`);
    await admin.end();
    baseEnv.DATABASE_URL = withDb(TEST_DATABASE_URL, dbName);
    baseEnv.REDIS_URL = TEST_REDIS_URL;
    baseEnv.REDIS_PREFIX = `t${suffix}:`;
    database = await openPostgres(baseEnv.DATABASE_URL, 5, createLogger('silent'));
  } else {
    const snapshot = fs.readFileSync(pgliteSnapshotPath());
    database = await openPglite(null, new Blob([snapshot]));
  }
  const config = loadConfig({ ...baseEnv, ...env });
  const platform = await createPlatform(config, { database, log: createLogger('silent') });
  const ctx = createContext(platform);
  const app = await buildApp(ctx, { api: true });
  await app.ready();
  if (SERVER_MODE) await ctx.queue.startWorkers();
  // Committed events are relayed in the background as in production; drain() finishes them.
  ctx.events.start();

  const request = (o: RequestOpts) =>
    app.inject({
      method: o.method ?? 'GET',
      url: o.url,
      headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers },
      payload: o.payload ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined),
    });

  const t: TestApp = {
    app,
    ctx,
    dataDir,
    // Outbox and queue until a whole round delivers no event: jobs emit events, event listeners
    // enqueue jobs. Counted across the round, not per drain() call: the background relay may deliver
    // an event a job emitted (enqueueing its work) while the queue drains; the last events.drain()
    // waits for that pass, so its delivery shows in the count and the round runs again.
    async drain() {
      for (;;) {
        const before = ctx.events.delivered;
        await ctx.events.drain();
        await ctx.queue.drain();
        await ctx.events.drain();
        if (ctx.events.delivered === before) return;
      }
    },
    request,
    async close() {
      await app.close();
      await ctx.close();
      if (dbName) await dropServerState({ dbName, redisPrefix: baseEnv.REDIS_PREFIX, dataDir });
      else fs.rmSync(dataDir, { recursive: true, force: true });
    },
    async user(overrides = {}) {
      const n = ++counter;
      const handle = overrides.handle ?? `user${n}_${randomBytes(2).toString('hex')}`;
      const email = overrides.email ?? `${handle}@example.com`;
      const password = overrides.password ?? 'correct-horse-1';
      const res = await request({ method: 'POST', url: '/api/v1/auth/register/', body: { email, password, handle, name: overrides.name ?? `User ${n}` } });
      if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
      const body = res.json();
      return {
        id: body.user.id,
        email,
        handle: body.user.handle,
        password,
        token: body.token,
        refreshToken: body.refreshToken,
        req: (o) => request({ ...o, token: body.token }),
      };
    },
  };
  return t;
}
