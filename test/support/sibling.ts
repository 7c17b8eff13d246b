// A second application instance on the same database and Redis prefix as a test app (server mode):
// what two API processes behind a load balancer share.
import fs from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createPlatform } from '../../src/platform/index.js';
import { openPostgres } from '../../src/platform/db/index.js';
import { createLogger } from '../../src/platform/log.js';
import { createContext } from '../../src/modules/index.js';
import { buildApp } from '../../src/app.js';
import type { Ctx } from '../../src/context.js';
import type { App } from '../../src/platform/http/app-type.js';
import { TEST_JWT_KEY, type TestApp } from './app.js';

export interface SiblingApp {
  app: App;
  ctx: Ctx;
  request(o: { method?: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; token?: string; body?: unknown }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function createSiblingApp(t: TestApp, env: Record<string, string> = {}): Promise<SiblingApp> {
  const { database, redis } = t.ctx.config;
  if (!database.url || !redis.url) throw new Error('a sibling app needs server mode');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflink-sibling-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    JWT_SIGNING_KEY: TEST_JWT_KEY,
    LOG_LEVEL: 'silent',
    THROTTLE_IP_RATE: '100000/min',
    THROTTLE_USER_RATE: '100000/min',
    THROTTLE_ANON_RATE: '100000/min',
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    ...env,
  });
  const db = await openPostgres(database.url, 3, createLogger('silent'));
  const platform = await createPlatform(config, { database: db, log: createLogger('silent') });
  const ctx = createContext(platform);
  const app = await buildApp(ctx, { api: true });
  await app.ready();
  ctx.events.start();
  return {
    app,
    ctx,
    request: (o) =>
      app.inject({
        method: o.method ?? 'GET',
        url: o.url,
        headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        payload: o.body !== undefined ? JSON.stringify(o.body) : undefined,
      }),
    async close() {
      await app.close();
      await ctx.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
