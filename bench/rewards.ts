// Rewards: signed GitHub webhook deliveries/s (server mode) against a bare Fastify route, and the
// time and peak memory of `rewards-snapshot` over a month of 1,000,000 events by 10,000 contributors
// (and a 100,000-event month, to show memory stays flat as the month grows).
// Usage: npm run bench -- rewards   (needs PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379)
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import pg from 'pg';
import autocannon from 'autocannon';
import { benchDatabase, migrateDatabase, fmt, freePort, ROOT, serverEnv, startAndWait, startBare, writeSection, SERVER_NODE } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const CONNECTIONS = 50;
const SECRET = 'bench-webhook-secret';
let deliveries = 0;

interface Run {
  rps: number;
  p50: number;
  p99: number;
  codes: Record<string, number>;
}

async function cannon(url: string, opts: { body?: (i: number) => string; seconds: number }): Promise<Run> {
  let i = 0;
  const codes: Record<string, number> = {};
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: opts.seconds,
    ...(opts.body && {
      method: 'POST' as const,
      requests: [
        {
          setupRequest: (req: autocannon.Request) => {
            const body = opts.body!(i++);
            const sig = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
            return { ...req, method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': `d-${++deliveries}-${process.pid}`, 'x-hub-signature-256': sig } };
          },
          onResponse: (status: number) => {
            codes[status] = (codes[status] ?? 0) + 1;
          },
        },
      ],
    }),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, codes };
}

const pr = (n: number, login: string) =>
  JSON.stringify({
    action: 'closed',
    number: n,
    pull_request: { id: n, number: n, title: `PR ${n}`, html_url: `https://github.com/org/repo/pull/${n}`, merged: true, merged_at: new Date().toISOString(), user: { login }, labels: [{ name: 'size/M' }] },
    repository: { full_name: 'org/repo' },
  });

function timed(args: string[], env: Record<string, string>): Promise<{ seconds: number; maxRssMb: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'TIME %e %M', process.execPath, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      const m = /TIME ([\d.]+) (\d+)/.exec(out);
      if (code !== 0 || !m) return reject(new Error(`command failed (${code}):\n${out}`));
      resolve({ seconds: Number(m[1]), maxRssMb: Number(m[2]) / 1024, out });
    });
  });
}

export async function run() {
  const benchDb = await benchDatabase(`sl_bench_rw_${process.pid}`);
  const env = { ...serverEnv(benchDb.url, `benchrw${process.pid}:`), JWT_SIGNING_KEY: 'bench-signing-key-0123456789abcdef0123456789', THROTTLE_IP_RATE: '100000000/min', THROTTLE_ANON_RATE: '100000000/min', DATABASE_POOL_MAX: '20', GITHUB_WEBHOOK_SECRET: SECRET };
  const bare = await startBare('bench/bare-server.ts');
  migrateDatabase(env);
  const load0 = os.loadavg()[0];
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-bench-'));
  try {
    const port = await freePort();
    const api = await startAndWait(['bin/selflink.mjs', 'api'], { ...env, PORT: String(port) }, `http://127.0.0.1:${port}/health`);
    let b: Run, fresh: Run, dup: Run;
    try {
      const hook = `http://127.0.0.1:${port}/api/v1/rewards/webhooks/github/`;
      await cannon(hook, { body: (i) => pr(9_000_000 + i, `warm${i % 50}`), seconds: 2 });
      b = await cannon(`http://127.0.0.1:${bare.port}/bare`, { seconds: SECONDS });
      fresh = await cannon(hook, { body: (i) => pr(1 + i, `dev${i % 500}`), seconds: SECONDS });
      dup = await cannon(hook, { body: () => pr(1, 'dev1'), seconds: SECONDS });
    } finally {
      await api.stop();
    }

    // Seed the months set-based: 10,000 contributors; 1,000,000 events in 2024-01, 100,000 in 2024-02.
    const db = new pg.Client({ connectionString: benchDb.url.toString() });
    db.on('error', (err) => console.error('seed connection:', err.message));
    await db.connect();
    console.log('webhook runs done; seeding…');
    const t0 = Date.now();
    await db.query(`insert into reward_contributors (github_username) select 'contrib' || g from generate_series(1, 10000) g`);
    const seed = (n: number, start: string, stepSec: number) =>
      db.query(`insert into reward_events (contributor_id, event_type, points, occurred_at, reference, metadata)
        select c.min + (g::bigint * 7919) % 10000, 'pr_merged', (array[1, 2, 5, 8, 13, 10])[1 + g % 6], '${start}'::timestamptz + g * interval '${stepSec} seconds',
               'org/repo#' || g, jsonb_build_object('github_username', 'contrib' || g % 10000, 'repository', 'org/repo', 'payload_sha256', md5(g::text) || md5((g + 1)::text))
        from generate_series(1, ${n}) g, (select min(id) as min from reward_contributors where github_username like 'contrib%') c`);
    await seed(1_000_000, '2024-01-01', 2.6);
    await seed(100_000, '2024-02-01', 24);
    await db.query('analyze reward_events');
    await db.end();
    const seedSec = (Date.now() - t0) / 1000;
    console.log(`seeded in ${seedSec} s; running rewards-snapshot…`);

    const cmdEnv = { ...env, LOG_LEVEL: 'warn' };
    const args = (month: string, dir: string) => ['bin/selflink.mjs', 'rewards-snapshot', '--month', month, '--revenue-cents', '123456789', '--costs-cents', '23456789', '--dry-run', '--output', path.join(out, dir)];
    const small = await timed(args('2024-02', 'small'), cmdEnv);
    const big = await timed(args('2024-01', 'big'), cmdEnv);
    const big2 = await timed(args('2024-01', 'big2'), cmdEnv);
    const same = ['snapshot.csv', 'manifest.json'].every((f) => fs.readFileSync(path.join(out, 'big', f)).equals(fs.readFileSync(path.join(out, 'big2', f))));
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'big', 'manifest.json'), 'utf8'));
    const csvMb = fs.statSync(path.join(out, 'big', 'snapshot.csv')).size / 1048576;

    const row = (name: string, r: Run, ok: string) => `| ${name} | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${ok} | **${fmt((r.rps / b.rps) * 100, 1)} %** |`;
    const codes = (r: Run) => Object.entries(r.codes).map(([k, v]) => `${k}×${fmt(v)}`).join(' ');
    const body = `## Rewards: signed GitHub webhook and the monthly snapshot (server mode)

${new Date().toISOString().slice(0, 16)} UTC, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node ${SERVER_NODE.version}; 1-minute load average at the start ${fmt(load0, 2)}
(other engineers' test runs share the machine). One \`api\` process (PostgreSQL pool 20, Redis), autocannon ${CONNECTIONS} connections, ${SECONDS} s each;
every webhook request carries its own \`X-Hub-Signature-256\` (HMAC-SHA256 of the body) and \`X-GitHub-Delivery\`.

| target | req/s | p50 ms | p99 ms | answers | vs bare |
|---|---:|---:|---:|---:|---:|
| bare Fastify route (GET, no I/O) | ${fmt(b.rps)} | ${fmt(b.p50, 1)} | ${fmt(b.p99, 1)} | | |
${row('webhook: new merged PRs (500 authors, unlinked)', fresh, codes(fresh))}
${row('webhook: redelivery of a recorded PR', dup, codes(dup))}

A recorded delivery is one transaction: signature check, shared snapshot lock, contributor upsert, closed-month
check, event insert (two unique keys) with its two ledger lines, and an audit event appended under the audit
chain's advisory lock — that lock serialises every audited write, which is what bounds the first row (one
chain, no forks). A redelivery stops at the unique keys.

**\`rewards-snapshot --dry-run\`** (a whole process: start-up, migration check, streaming in batches of 10,000,
ledger hash + CSV + manifest), seeded set-based in ${fmt(seedSec)} s:

| month | events | contributors | wall time | peak RSS |
|---|---:|---:|---:|---:|
| 2024-02 | 100,000 | ${fmt(Math.min(10000, 100000))} | ${fmt(small.seconds, 1)} s | ${fmt(small.maxRssMb)} MB |
| 2024-01 | ${fmt(manifest.total_events)} | 10,000 | ${fmt(big.seconds, 1)} s | ${fmt(big.maxRssMb)} MB |
| 2024-01 again | same | same | ${fmt(big2.seconds, 1)} s | ${fmt(big2.maxRssMb)} MB |

The CSV is ${fmt(csvMb, 1)} MB; the two 1,000,000-event runs wrote ${same ? 'byte-identical' : '**different**'} files. Ten times the events costs
${fmt(big.maxRssMb - small.maxRssMb)} MB more peak memory: the calculator keeps one batch and one total per contributor, never the month.`;
    writeSection('rewards', body);
    console.log(body);
  } finally {
    await bare.stop();
    fs.rmSync(out, { recursive: true, force: true });
    await benchDb.drop();
  }
}
