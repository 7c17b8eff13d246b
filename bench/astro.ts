// Astro and SoulMatch: charts per second on one core (cold: no cache, distinct birth data), the worst
// position error against the published reference values, POST astro/natal/ req/s against a bare route,
// and soulmatch/recommendations/ p99 for a user among 10,000 demo users with charts (server mode).
// Usage: npm run bench -- astro   (needs PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379)
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { computeChart } from '../src/modules/astro/chart.js';
import { measureErrors } from '../test/astro/reference.js';
import { ROOT, benchDatabase, migrateDatabase, fmt, freePort, load, serverEnv, startAndWait, startBare, writeSection, SERVER_NODE } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const USERS = Number(process.env.BENCH_ASTRO_USERS ?? 10_000);

function chartsPerSecond(n = 2000): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const y = 1900 + (i % 200);
    computeChart({ date: `${y}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`, time: `${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00`, timezone: 'UTC', city: '', country: '', latitude: -60 + (i % 120), longitude: -180 + (i % 360) });
  }
  return n / ((performance.now() - t0) / 1000);
}

export async function run() {
  const cps = chartsPerSecond();
  const errors = measureErrors();
  const worst = errors.filter((e) => !e.label.includes('new moon')).sort((a, b) => b.error - a.error)[0];
  const worstMoon = errors.filter((e) => e.label.includes('Moon') || e.label.includes('new moon')).sort((a, b) => b.error - a.error)[0];

  const benchDb = await benchDatabase(`sl_bench_astro_${process.pid}`);
  const env = { ...serverEnv(benchDb.url, `bastro${process.pid}:`), JWT_SIGNING_KEY: 'bench-signing-key-0123456789abcdef0123456789', THROTTLE_IP_RATE: '100000000/min', THROTTLE_USER_RATE: '100000000/min', THROTTLE_ASTRO_RATE: '100000000/min', THROTTLE_MATCHING_RATE: '100000000/min', LOG_LEVEL: 'warn', DATABASE_POOL_MAX: '20' };
  migrateDatabase(env);
  const t0 = Date.now();
  const seed = spawnSync(process.execPath, ['bin/selflink.mjs', 'seed-demo', '--users', String(USERS), '--follows', '0', '--posts', '0'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'inherit' });
  if (seed.status !== 0) throw new Error('seed-demo failed');
  const seedSeconds = (Date.now() - t0) / 1000;
  const bare = await startBare('bench/bare-server.ts');
  const port = await freePort();
  const api = await startAndWait(['bin/selflink.mjs', 'api'], { ...env, PORT: String(port) }, `http://127.0.0.1:${port}/health`);
  let rows = '';
  try {
    const base = `http://127.0.0.1:${port}/api/v1`;
    const login = await fetch(`${base}/auth/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'demo-mentor@demo.selflink.app', password: 'changeme123' }) });
    const token = ((await login.json()) as { token?: string; access?: string }).token ?? '';
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ source: 'form', birth_date: '1988-04-12', birth_time: '08:30', city: 'Tbilisi', country: 'Georgia' });
    await load(`${base}/astro/natal/`, { connections: 10, seconds: 2, headers, method: 'POST', body });
    const b = await load(`http://127.0.0.1:${bare.port}/bare`, { connections: 10, seconds: SECONDS });
    const natal = await load(`${base}/astro/natal/`, { connections: 10, seconds: SECONDS, headers, method: 'POST', body });
    await load(`${base}/soulmatch/recommendations/?include_meta=1`, { connections: 4, seconds: 2, headers });
    const reco = await load(`${base}/soulmatch/recommendations/?include_meta=1`, { connections: 4, seconds: SECONDS, headers });
    for (const [name, r] of [['natal', natal], ['recommendations', reco]] as const) if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    rows = `| bare Fastify route (10 connections) | ${fmt(b.rps)} | ${fmt(b.p50, 1)} | ${fmt(b.p99, 1)} | 100 % |
| POST astro/natal/ (10 connections, same birth data: positions from the cache, rows rewritten) | ${fmt(natal.rps)} | ${fmt(natal.p50, 1)} | ${fmt(natal.p99, 1)} | ${fmt((natal.rps / b.rps) * 100, 1)} % |
| GET soulmatch/recommendations/ (4 connections, 500 candidates scored per request) | ${fmt(reco.rps)} | ${fmt(reco.p50, 1)} | ${fmt(reco.p99, 1)} | ${fmt((reco.rps / b.rps) * 100, 1)} % |`;
  } finally {
    await api.stop();
    await bare.stop();
    await benchDb.drop();
  }
  writeSection(
    'astro',
    `## Astro and SoulMatch

${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores shared with other work (load ${fmt(os.loadavg()[0], 1)}), Node ${SERVER_NODE.version}.

- **Charts computed per second, one core, cold** (distinct birth data 1900–2099, no cache; 10 bodies × 3 evaluations for speeds + angles + aspects): **${fmt(cps)}/s** (${fmt(1000 / cps, 2)} ms per chart).
- **Worst position error** against the published reference values in \`test/astro/reference.ts\`: **${worst.error.toFixed(5)}°** (${worst.label}); Moon **${worstMoon.error.toFixed(5)}°** (${worstMoon.label}; new-moon times are published to the minute, ±0.004°).
- Server mode, seed-demo with ${fmt(USERS)} users and their natal charts (seeding took ${fmt(seedSeconds)} s); one \`api\` process:

| route | req/s | p50 ms | p99 ms | vs bare |
|---|---:|---:|---:|---:|
${rows}
`,
  );
}
