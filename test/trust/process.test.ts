// The real process: secrets never reach `npm start`'s output at LOG_LEVEL=debug (the /ws?token=
// query included, however it is requested), the metrics token, and `selflink migrate` exiting.
import { createRequire } from 'node:module';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migratedDataDir, startSelflink } from '../support/process.js';
import { SERVER_MODE, TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/mode.js';
import { TEST_JWT_KEY } from '../support/app.js';

const WebSocket = createRequire(import.meta.url)('ws') as new (url: string) => { on(e: string, l: (...a: unknown[]) => void): void; close(): void };

const start = startSelflink;

const json = { 'content-type': 'application/json' };

describe('secrets stay out of the log', () => {
  it('LOG_LEVEL=debug: no access token, refresh token or password in the output, /ws?token= by upgrade, GET and POST included', async () => {
    const dataDir = migratedDataDir('selflink-log-');
    const p = start({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'debug', METRICS_TOKEN: 'metrics-secret-123' });
    const base = await p.listening;
    const password = 'Hunter2-very-secret';
    const reg = await (await fetch(`${base}/api/v1/auth/register/`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'log@example.com', password, name: 'Log' }) })).json();
    const login = await (await fetch(`${base}/api/v1/auth/login/`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'log@example.com', password }) })).json();
    const tokens = [reg.token, reg.refreshToken, login.token, login.refreshToken] as string[];
    await fetch(`${base}/api/v1/auth/refresh/`, { method: 'POST', headers: json, body: JSON.stringify({ refresh: login.refreshToken }) });
    await fetch(`${base}/ws?token=${login.token}`);
    await fetch(`${base}/ws?token=${login.token}`, { method: 'POST' });
    await fetch(`${base}/api/v1/users/me/?token=${login.token}`, { headers: { authorization: `Bearer ${login.token}` } });
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/ws?token=${login.token}`);
      ws.on('message', () => {
        ws.close();
      });
      ws.on('close', () => resolve());
      ws.on('error', () => resolve());
    });
    // Metrics: the token compared in constant time; wrong or missing → 401 in DRF shape.
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer metrics-secret-12' } });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).code).toBe('not_authenticated');
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer metrics-secret-123' } })).status).toBe(200);

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const out = p.output();
    expect(out).toContain('/ws?token=[redacted]');
    for (const s of [...tokens, password, 'metrics-secret-123']) expect(out.includes(s), `leaked ${s.slice(0, 12)}…`).toBe(false);
  }, 180_000);
});

describe.runIf(SERVER_MODE)('selflink migrate (server mode)', () => {
  it('applies the migrations and exits 0; admin commands do not migrate', async () => {
    const name = `sl_mig_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    try {
      const u = new URL(TEST_DATABASE_URL);
      u.pathname = `/${name}`;
      const env = { DATABASE_URL: u.toString(), REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: `mig${process.pid}:`, JWT_SIGNING_KEY: TEST_JWT_KEY, LOG_LEVEL: 'info' };
      // An admin command on an unmigrated database leaves it unmigrated.
      const cmd = start(env, ['verify-audit']);
      await cmd.exited;
      const db = new pg.Client({ connectionString: u.toString() });
      await db.connect();
      const before = await db.query(`select to_regclass('public.users') as t`);
      expect(before.rows[0].t).toBeNull();
      const m = start(env, ['migrate']);
      expect(await m.exited).toBe(0);
      expect(m.output()).toContain('migrations applied');
      const after = await db.query(`select to_regclass('public.users') as t`);
      expect(after.rows[0].t).toBe('users');
      await db.end();
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }, 120_000);
});
