// The application a test file talks to, on a private copy of the migrated database: embedded
// (PGlite + memory adapters) or server (a fresh PostgreSQL database + a Redis prefix). Either the
// worker's shared app (sharedTestApp) or one of the file's own (createTestApp).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createPlatform } from '../../src/platform/index.js';
import type { Redis } from 'ioredis';
import { openPglite, openPostgres, type Database } from '../../src/platform/db/index.js';
import { MemoryKeyValue } from '../../src/platform/cache.js';
import { MemoryQueue } from '../../src/platform/queue-memory.js';
import { createLogger } from '../../src/platform/log.js';
import { createContext } from '../../src/modules/index.js';
import { buildApp } from '../../src/app.js';
import type { Ctx } from '../../src/context.js';
import type { App } from '../../src/platform/http/app-type.js';
import { pgliteSnapshotPath, SERVER_MODE, TEST_DATABASE_URL, TEST_REDIS_URL, templateDbName } from './mode.js';
import { dropServerState } from './server-teardown.js';
import { SwitchableDatabase } from './switchable-db.js';

export const TEST_JWT_KEY = 'test-signing-key-0123456789abcdef0123456789abcdef';

export interface TestApp {
  app: App;
  ctx: Ctx;
  dataDir: string;
  drain(): Promise<void>;
  /** Runs `fn` while this app's workers take no job (server mode runs them in the background), then drains. */
  holdJobs<T>(fn: () => Promise<T>): Promise<T>;
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

/** A private copy of the migrated database: a PostgreSQL database made from the template, or PGlite loaded from the snapshot. */
interface Copy {
  database: Database;
  /** Server mode: the copy's database name, dropped with it. */
  dbName: string | null;
}

async function openCopy(suffix: string): Promise<Copy> {
  if (!SERVER_MODE) return { database: await openPglite(null, new Blob([fs.readFileSync(pgliteSnapshotPath())])), dbName: null };
  const dbName = `sl_t_${suffix}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${dbName} template ${templateDbName()}`);
  await admin.end();
  return { database: await openPostgres(withDb(TEST_DATABASE_URL, dbName), 5, createLogger('silent')), dbName };
}

async function dropCopy(copy: Copy) {
  await copy.database.close();
  if (!copy.dbName) return;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${copy.dbName} with (force)`);
  await admin.end();
}

const newSuffix = () => `${process.pid}_${randomBytes(4).toString('hex')}`;

function testEnv(dataDir: string, suffix: string, copy: Copy): Record<string, string> {
  const env: Record<string, string> = {
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
  if (copy.dbName) {
    env.DATABASE_URL = withDb(TEST_DATABASE_URL, copy.dbName);
    env.REDIS_URL = TEST_REDIS_URL;
    env.REDIS_PREFIX = `t${suffix}:`;
  }
  return env;
}

/** Platform, context and app on `database`, wired as `selflink serve` wires them, workers and relay running. */
async function assemble(database: Database, env: Record<string, string>) {
  const config = loadConfig(env);
  const platform = await createPlatform(config, { database, log: createLogger('silent') });
  const ctx = createContext(platform);
  const app = await buildApp(ctx, { api: true });
  await app.ready();
  if (SERVER_MODE) await ctx.queue.startWorkers();
  // Committed events are relayed in the background as in production; drain() finishes them.
  ctx.events.start();
  return { app, ctx };
}

/** A whole application of its own, on its own copy of the database: for files that change the app (env, listeners, jobs, providers). */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflink-test-'));
  const suffix = newSuffix();
  const copy = await openCopy(suffix);
  const baseEnv = testEnv(dataDir, suffix, copy);
  const { app, ctx } = await assemble(copy.database, { ...baseEnv, ...env });
  return testApp(app, ctx, dataDir, async () => {
    await app.close();
    await ctx.close();
    if (copy.dbName) await dropServerState({ dbName: copy.dbName, redisPrefix: baseEnv.REDIS_PREFIX, dataDir });
    else fs.rmSync(dataDir, { recursive: true, force: true });
  });
}

// ---- one app per worker ----

interface Shared {
  app: App;
  ctx: Ctx;
  database: SwitchableDatabase;
  dataDir: string;
  /** The directories the app made under DATA_DIR as it started (the uploads' temporary directory): remade empty between files. */
  skeleton: string[];
  redisPrefix: string | null;
  /** The current file's copy; null between files. */
  copy: Copy | null;
  baseline: Fingerprint;
  /** The test file holding the app, or null between files. */
  busy: string | null;
  /** Bumped per file, so a late second close() from an earlier file cannot hand on a later file's app. */
  lease: number;
}

let shared: Promise<Shared> | null = null;

/**
 * The worker's one app (default configuration), on a fresh copy of the migrated database for this
 * file: building an app (context, routes, Fastify's schema compilation) is paid once per worker.
 * close() hands it on: it drains, checks that the file left the app as it found it (listeners,
 * jobs, services, configuration), drops the copy and empties the key-value store, queues and DATA_DIR.
 * A file that changes the app uses createTestApp() instead.
 */
export async function sharedTestApp(): Promise<TestApp> {
  const file = expect.getState().testPath ?? '?';
  let s = await (shared ??= startShared());
  if (s.busy === file) throw new Error('sharedTestApp(): the worker\'s app is in use; close() it before the next sharedTestApp()');
  if (s.busy) {
    // An earlier file never closed it (its hook failed or timed out): that app is not handed on.
    console.warn(`sharedTestApp(): ${s.busy} did not close the shared app; building a new one`);
    shared = null;
    await discard(s);
    s = await (shared ??= startShared());
  }
  s.busy = file;
  if (!s.copy) {
    s.copy = await openCopy(newSuffix());
    s.database.use(s.copy.database);
  }
  s.ctx.events.start();
  const lease = ++s.lease;
  return testApp(s.app, s.ctx, s.dataDir, async () => {
    if (s.lease === lease && s.busy) await handOn(s);
  });
}

async function startShared(): Promise<Shared> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflink-shared-'));
  const suffix = newSuffix();
  const copy = await openCopy(suffix);
  const env = testEnv(dataDir, suffix, copy);
  const database = new SwitchableDatabase(copy.database);
  const { app, ctx } = await assemble(database, env);
  await ctx.events.stop();
  const skeleton = fs.readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(d.parentPath, d.name));
  return { app, ctx, database, dataDir, skeleton, redisPrefix: env.REDIS_PREFIX ?? null, copy, baseline: await fingerprint(ctx), busy: null, lease: 0 };
}

async function handOn(s: Shared) {
  let changed: string | null = null;
  let failed: unknown = null;
  try {
    await drainAll(s.ctx);
    changed = diff(s.baseline, await fingerprint(s.ctx));
  } catch (err) {
    failed = err;
  } finally {
    await s.ctx.events.stop();
    if (s.copy) await dropCopy(s.copy);
    s.copy = null;
    if (s.ctx.kv instanceof MemoryKeyValue) s.ctx.kv.clear();
    // (the next file's database is a fresh copy: its ids repeat this file's)
    s.ctx.pages.clear();
    s.ctx.limiter.forget();
    if (s.ctx.queue instanceof MemoryQueue) s.ctx.queue.forgetFailed();
    if (s.ctx.redis && s.redisPrefix) await deleteKeys(s.ctx.redis, s.redisPrefix);
    fs.rmSync(s.dataDir, { recursive: true, force: true });
    for (const dir of [s.dataDir, ...s.skeleton]) fs.mkdirSync(dir, { recursive: true });
    s.busy = null;
  }
  if (changed || failed) {
    // Never hand a changed app, or one that could not drain, on: the next file builds a new one.
    shared = null;
    await discard(s);
    throw failed ?? new Error(`this file changed the shared app (${changed}): use createTestApp() for it`);
  }
}

/** Closes a shared app that is not handed on, and removes what it holds. */
async function discard(s: Shared) {
  await s.app.close().catch(() => undefined);
  if (s.ctx.redis && s.redisPrefix) await deleteKeys(s.ctx.redis, s.redisPrefix).catch(() => undefined);
  await s.ctx.close().catch(() => undefined);
  if (s.copy?.dbName) await dropCopy(s.copy).catch(() => undefined);
  fs.rmSync(s.dataDir, { recursive: true, force: true });
}

async function deleteKeys(redis: Redis, prefix: string) {
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
    if (keys.length) await redis.del(...keys);
  }
}

interface Fingerprint {
  listeners: string;
  jobs: string;
  config: string;
  /** Every service method, by identity: a replaced or spied-on method shows. */
  services: [string, unknown][];
}

async function fingerprint(ctx: Ctx): Promise<Fingerprint> {
  return {
    listeners: ctx.events.listenerKeys().join(','),
    jobs: (await ctx.queue.counts()).map((q) => q.queue).join(','),
    config: JSON.stringify(ctx.config),
    services: Object.entries(ctx.services).flatMap(([name, svc]) => [[name, svc] as [string, unknown], ...Object.entries(svc as object).map(([k, v]) => [`${name}.${k}`, v] as [string, unknown])]),
  };
}

function diff(a: Fingerprint, b: Fingerprint): string | null {
  if (a.listeners !== b.listeners) return 'event listeners';
  if (a.jobs !== b.jobs) return 'job definitions';
  if (a.config !== b.config) return 'configuration';
  if (a.services.length !== b.services.length) return 'services';
  const i = a.services.findIndex(([k, v], j) => b.services[j][0] !== k || b.services[j][1] !== v);
  return i < 0 ? null : `service ${a.services[i][0]}`;
}

// ---- what a test holds ----

/** Outbox and queue until a whole round delivers no event: jobs emit events, event listeners enqueue jobs. */
async function drainAll(ctx: Ctx) {
  // Counted across the round, not per drain() call: the background relay may deliver an event a
  // job emitted (enqueueing its work) while the queue drains; the last events.drain() waits for
  // that pass, so its delivery shows in the count and the round runs again.
  for (;;) {
    const before = ctx.events.delivered;
    await ctx.events.drain();
    await ctx.queue.drain();
    await ctx.events.drain();
    if (ctx.events.delivered === before) return;
  }
}

function testApp(app: App, ctx: Ctx, dataDir: string, close: () => Promise<void>): TestApp {
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
    drain: () => drainAll(ctx),
    async holdJobs(fn) {
      await ctx.queue.pauseWorkers();
      try {
        return await fn();
      } finally {
        ctx.queue.resumeWorkers();
        await drainAll(ctx);
      }
    },
    request,
    close,
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
