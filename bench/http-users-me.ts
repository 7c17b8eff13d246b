// Authenticated GET /api/v1/users/me/ in server mode (PostgreSQL + Redis, rate limits on) against a
// bare Fastify route, both measured here with autocannon at 100 connections.
// Usage: npm run bench -- users-me   (needs PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379)
import os from 'node:os';
import { createOpsStaff, opsDuringLoad, opsRow, OPS_TABLE_HEAD, type OpsView } from './ops-snapshot.js';
import { fmt, fmtCpu, freePort, load, loadCounted, loadCpu, startAndWait, startBare, writeSection, benchDatabase, migrateDatabase, serverEnv, type SummaryRow, SERVER_NODE, dropRedisPrefix } from './lib.js';

const CONNECTIONS = 100;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

export async function run(): Promise<SummaryRow[]> {
  const dbName = `sl_bench_${process.pid}`;
  const benchDb = await benchDatabase(dbName);
  const dbUrl = benchDb.url;
  const env = {
    ...serverEnv(dbUrl, `bench${process.pid}:`),
    JWT_SIGNING_KEY: 'bench-signing-key-0123456789abcdef0123456789',
    THROTTLE_IP_RATE: '100000000/min',
    THROTTLE_USER_RATE: '100000000/min',
    DATABASE_POOL_MAX: '20',
  };
  migrateDatabase(env);
  createOpsStaff(env);
  const bare = await startBare('bench/bare-server.ts');
  const variants: { name: string; env: Record<string, string> }[] = [
    { name: 'production defaults (request logs, rate limits)', env: { LOG_LEVEL: 'info' } },
    { name: 'without request logs', env: { LOG_LEVEL: 'warn' } },
    { name: 'without request logs and rate limits', env: { LOG_LEVEL: 'warn', RATE_LIMITS_ENABLED: 'false' } },
  ];
  const rows: string[] = [];
  let first: { bare: number; me: number; bareP99: number; meP99: number } | null = null;
  let ops: { view: OpsView; rps: number; p99: number } | null = null;
  const summary: SummaryRow[] = [];
  const load0 = os.loadavg()[0];
  try {
    let token = '';
    for (const v of variants) {
      const port = await freePort();
      const api = await startAndWait(['bin/selflink.mjs', 'api'], { ...env, ...v.env, PORT: String(port) }, `http://127.0.0.1:${port}/health`);
      try {
        const base = `http://127.0.0.1:${port}/api/v1`;
        if (!token) {
          const reg = await fetch(`${base}/auth/register/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password', name: 'Bench User' }) });
          token = ((await reg.json()) as { token: string }).token;
        }
        const headers = { authorization: `Bearer ${token}` };
        await load(`${base}/users/me/`, { connections: CONNECTIONS, seconds: 2, headers }); // warm-up
        const b = await loadCpu(`http://127.0.0.1:${bare.port}/bare`, { connections: CONNECTIONS, seconds: SECONDS }, { bare: bare.child.pid! });
        const loadB = os.loadavg()[0];
        // The first variant's run is also watched through the staff ops page, as an operator would.
        const watching = first ? null : opsDuringLoad(`http://127.0.0.1:${port}`, 1000, Math.max(2000, SECONDS * 1000 - 1000));
        const m = await loadCounted(`http://127.0.0.1:${port}`, `${base}/users/me/`, { connections: CONNECTIONS, seconds: SECONDS, headers }, { api: api.child.pid! });
        if (watching) ops = { view: await watching, rps: m.rps, p99: m.p99 };
        if (m.non2xx || m.errors) throw new Error(`users/me answered ${m.non2xx} non-2xx and ${m.errors} errors`);
        if (!first) {
          summary.push({ path: 'bare Fastify route (users/me runs)', rps: b.rps, ratio: 1, p50: b.p50, p99: b.p99, roundTrips: null, load: loadB, cpu: b.cpu });
          summary.push({ path: 'GET users/me/', rps: m.rps, ratio: m.rps / b.rps, p50: m.p50, p99: m.p99, roundTrips: m.roundTrips, load: os.loadavg()[0], cpu: m.cpu });
        }
        first ??= { bare: b.rps, me: m.rps, bareP99: b.p99, meP99: m.p99 };
        rows.push(`| ${v.name} | ${fmt(b.rps)} | ${fmt(b.p99, 1)} | ${fmt(m.rps)} | ${fmt(m.p50, 1)} | ${fmt(m.p99, 1)} | **${fmt((m.rps / b.rps) * 100, 1)} %** | ${fmtCpu(b.cpu)} | ${fmtCpu(m.cpu)} |`);
      } finally {
        await api.stop();
      }
    }
    const body = `## GET /api/v1/users/me/ (server mode) vs a bare Fastify route

${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node ${SERVER_NODE.version}; autocannon, ${CONNECTIONS} connections, ${SECONDS} s per
measurement; the bare route is measured right before each variant. One API process (PostgreSQL pool 20, Redis),
with PostgreSQL, Redis and the load generator on the same two cores (1-minute load average at the start: ${fmt(load0, 1)}).

| API process | bare req/s | bare p99 ms | users/me req/s | p50 ms | p99 ms | ratio | bare: CPU µs per request | users/me: CPU µs per request |
|---|---:|---:|---:|---:|---:|---:|---|---|
${rows.join('\n')}

The staff ops page (\`/admin/ops.json\`, which \`/admin/ops\` refreshes from) read during row 1's run, its window
starting 1 s into the load and ending 1 s before its end:

${OPS_TABLE_HEAD}
${ops ? opsRow(ops.view, '/api/v1/users', { rps: ops.rps, p99: ops.p99 }, fmt) : '| (not read) |'}

Headline (production defaults): **${fmt((first!.me / first!.bare) * 100, 1)} %** of the bare route's throughput, p99 ${fmt(first!.meP99, 1)} ms vs ${fmt(first!.bareP99, 1)} ms.

Per request the endpoint verifies the HS256 JWT (fast-jwt, node:crypto HMAC; a token already verified is remembered until its exp), takes the user and its session from the in-process session cache
(1 s TTL; logout, password change, suspension and revocation drop it on every instance through Redis pub/sub, see
src/modules/users/session-cache.ts) or, on a miss, from one indexed query; counts the ip and user rate-limit buckets
in one Redis command (auto-pipelined: the commands of the requests that arrived together go out in one write),
writes one access-log line (asynchronously, unredacted: it holds no secret field; URL secrets are scrubbed) and
serialises the user through its response schema. PostgreSQL queries per request (row 1):
${fmt(summary.find((r) => r.path === 'GET users/me/')?.roundTrips ?? NaN, 3)}. What bounds it on this machine (a \`--cpu-prof\` on Node 24 under this load,
shares of the api's busy CPU): the response's socket write (~12 %), the access-log line (~8 %), the rate limiter's
Redis command (~4 %), Fastify's routing and request cycle, and the garbage collector (~6 %), on two cores shared with
Redis and the load generator; the bare route has no I/O and no hooks. The hooks every request runs are
callback-style, a request's own logger is made only if it writes a line, and a verified token is found by the token
itself (fast-jwt's cache hashed it with SHA-256 first: ~8 %). Rows 2 and 3 turn request logging and rate limits off
(on 2026-12-01, before the log was asynchronous and Redis auto-pipelined, they were 14 % and 75 % faster than row 1;
after, the runs differed in either direction).`;
    writeSection('users-me', body);
    console.log(body);
    return summary;
  } finally {
    await bare.stop();
    await benchDb.drop();
    await dropRedisPrefix(env.REDIS_URL, env.REDIS_PREFIX);
  }
}
