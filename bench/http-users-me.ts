// Authenticated GET /api/v1/users/me/ in server mode (PostgreSQL + Redis, rate limits on) against a
// bare Fastify route, both measured here with autocannon at 100 connections.
// Usage: npm run bench -- users-me   (needs PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379)
import os from 'node:os';
import pg from 'pg';
import { fmt, load, startProcess, writeSection } from './lib.js';

const CONNECTIONS = 100;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function run() {
  const dbName = `sl_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const env = {
    NODE_ENV: 'production',
    SELFLINK_USE_DIST: '0',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: 'redis://127.0.0.1:6379/14',
    REDIS_PREFIX: `bench${process.pid}:`,
    JWT_SIGNING_KEY: 'bench-signing-key-0123456789abcdef0123456789',
    THROTTLE_IP_RATE: '100000000/min',
    THROTTLE_USER_RATE: '100000000/min',
    DATABASE_POOL_MAX: '20',
  };
  const bare = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], {}, /listening (\d+)/);
  const api = await startProcess(['bin/selflink.mjs', 'api'], { ...env, LOG_LEVEL: 'info' }, /Server listening at http:\/\/127\.0\.0\.1:(\d+)/);
  try {
    const base = `http://127.0.0.1:${api.port}/api/v1`;
    const reg = await fetch(`${base}/auth/register/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password', name: 'Bench User' }) });
    const { token } = (await reg.json()) as { token: string };
    const headers = { authorization: `Bearer ${token}` };
    // Warm both, then alternate to spread any drift in machine load evenly.
    await load(`http://127.0.0.1:${bare.port}/bare`, { connections: CONNECTIONS, seconds: 2 });
    await load(`${base}/users/me/`, { connections: CONNECTIONS, seconds: 2, headers });
    const b1 = await load(`http://127.0.0.1:${bare.port}/bare`, { connections: CONNECTIONS, seconds: SECONDS });
    const m1 = await load(`${base}/users/me/`, { connections: CONNECTIONS, seconds: SECONDS, headers });
    const b2 = await load(`http://127.0.0.1:${bare.port}/bare`, { connections: CONNECTIONS, seconds: SECONDS });
    const m2 = await load(`${base}/users/me/`, { connections: CONNECTIONS, seconds: SECONDS, headers });
    const avg = (a: typeof b1, b: typeof b1) => ({ rps: (a.rps + b.rps) / 2, p50: (a.p50 + b.p50) / 2, p99: (a.p99 + b.p99) / 2, non2xx: a.non2xx + b.non2xx, errors: a.errors + b.errors });
    const bareR = avg(b1, b2);
    const meR = avg(m1, m2);
    const body = `## GET /api/v1/users/me/ (server mode) vs a bare Fastify route

${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node ${process.version}, autocannon ${CONNECTIONS} connections, 2 × ${SECONDS} s each, alternating.
The API process ran PostgreSQL (pool 20) and Redis (rate limiter on every request), one process; the load generator shares the two cores.

| target | requests/s | p50 ms | p99 ms | non-2xx |
|---|---:|---:|---:|---:|
| bare Fastify route | ${fmt(bareR.rps)} | ${fmt(bareR.p50, 1)} | ${fmt(bareR.p99, 1)} | ${bareR.non2xx} |
| authenticated \`GET users/me/\` | ${fmt(meR.rps)} | ${fmt(meR.p50, 1)} | ${fmt(meR.p99, 1)} | ${meR.non2xx} |
| **ratio** | **${fmt((meR.rps / bareR.rps) * 100, 1)} %** | | **${fmt(meR.p99 / Math.max(bareR.p99, 0.1), 1)} ×** | |

Per request the endpoint verifies an HS256 JWT, runs one indexed query (user ⋈ session, so revocation is immediate),
three Redis rate-limit counters (ip, user, and the window), one follow-state query for the presenter, and serialises
the user with its schema.`;
    writeSection('users-me', body);
    console.log(body);
  } finally {
    await api.stop();
    await bare.stop();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}
