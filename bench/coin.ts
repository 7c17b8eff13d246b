// POST /api/v1/coin/transfer/ throughput: one account pair (every transfer contends for the same
// payer row lock) and random pairs across N accounts (default 1,000), against a bare Fastify route,
// in server mode (PostgreSQL + Redis) and embedded mode (PGlite). Accounts are funded through the
// real iPay checkout + signed webhook path.
// Usage: npm run bench -- coin   (BENCH_SECONDS, BENCH_COIN_ACCOUNTS, BENCH_COIN_MODES=server,embedded)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHmac, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { benchDatabase, migrateDatabase, fmt, freePort, load, serverEnv, startAndWait, startBare, writeSection, SERVER_NODE } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ACCOUNTS = Number(process.env.BENCH_COIN_ACCOUNTS ?? 1000);
const MODES = (process.env.BENCH_COIN_MODES ?? 'server,embedded').split(',');
const CONNECTIONS = 32;
const SECRET = 'bench-ipay-secret';

interface Acct {
  id: number;
  token: string;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: r.status, json: (await r.json().catch(() => null)) as Record<string, unknown> };
}

async function makeAccounts(base: string, n: number, tag: string): Promise<Acct[]> {
  const out: Acct[] = [];
  for (let i = 0; i < n; i += 25) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, n - i) }, async (_, j) => {
        const r = await post(`${base}/auth/register/`, { email: `c${tag}${i + j}@bench.test`, password: 'bench-password-1', name: `Bench ${i + j}` });
        const a = { id: (r.json.user as { id: number }).id, token: r.json.token as string };
        const c = await post(`${base}/payments/ipay/checkout/`, { amount_cents: 10_000_000, currency: 'USD' }, { authorization: `Bearer ${a.token}` });
        const body = JSON.stringify({ event_id: randomUUID(), order_id: c.json.reference, status: 'paid', amount_cents: 10_000_000, currency: 'USD' });
        const w = await fetch(`${base}/payments/ipay/webhook/`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-ipay-signature': createHmac('sha256', SECRET).update(body).digest('hex') }, body });
        if (w.status !== 200) throw new Error(`funding failed ${w.status}`);
        return a;
      }),
    );
    out.push(...batch);
  }
  return out;
}

async function transfers(base: string, accts: Acct[], pairOnly: boolean) {
  const r = await autocannon({
    url: `${base}/coin/transfer/`,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const a = pairOnly ? 0 : Math.floor(Math.random() * accts.length);
          let b = pairOnly ? 1 : Math.floor(Math.random() * accts.length);
          if (b === a) b = (a + 1) % accts.length;
          return { ...req, headers: { 'content-type': 'application/json', authorization: `Bearer ${accts[a].token}` }, body: JSON.stringify({ receiver_account_key: `user:${accts[b].id}`, amount_cents: 1 }) };
        },
      },
    ],
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + r.errors };
}

export async function run() {
  const bare = await startBare('bench/bare-server.ts');
  const rows: string[] = [];
  const load0 = os.loadavg()[0];
  try {
    for (const mode of MODES) {
      const common = {
        JWT_SIGNING_KEY: 'bench-signing-key-0123456789abcdef0123456789',
        THROTTLE_IP_RATE: '100000000/min',
        THROTTLE_USER_RATE: '100000000/min',
        THROTTLE_ANON_RATE: '100000000/min',
        AUTH_RPS_IP: '100000',
        COIN_THROTTLE_TRANSFER: '100000000/min',
        IPAY_WEBHOOK_SECRET: SECRET,
        LOG_LEVEL: 'warn',
      };
      const db = mode === 'server' ? await benchDatabase(`sl_bench_coin_${process.pid}`) : null;
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-bench-coin-'));
      const env = db ? { ...serverEnv(db.url, `benchcoin${process.pid}:`), ...common, DATABASE_POOL_MAX: '20' } : { ...common, NODE_ENV: 'production', HOST: '127.0.0.1', DATA_DIR: dataDir };
      if (db) migrateDatabase(env);
      const port = await freePort();
      const api = await startAndWait(['bin/selflink.mjs', 'api'], { ...env, PORT: String(port) }, `http://127.0.0.1:${port}/health`);
      try {
        const base = `http://127.0.0.1:${port}/api/v1`;
        const accts = await makeAccounts(base, ACCOUNTS, mode);
        for (const [label, pair] of [['one pair', true], [`${ACCOUNTS} accounts`, false]] as const) {
          await transfers(base, accts, pair); // warm-up run doubles as a sanity check
          const b = await load(`http://127.0.0.1:${bare.port}/bare`, { connections: CONNECTIONS, seconds: SECONDS });
          const t = await transfers(base, accts, pair);
          if (t.non2xx) throw new Error(`${t.non2xx} transfers failed`);
          rows.push(`| ${mode} | ${label} | ${fmt(b.rps)} | ${fmt(t.rps)} | ${fmt(t.p50, 1)} | ${fmt(t.p99, 1)} | **${fmt((t.rps / b.rps) * 100, 2)} %** |`);
        }
      } finally {
        await api.stop();
        await db?.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    }
    const body = `## POST /api/v1/coin/transfer/ vs a bare Fastify route

${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, Node ${SERVER_NODE.version}; autocannon, ${CONNECTIONS} connections, ${SECONDS} s per
measurement (bare route measured right before each row); 1-minute load average at the start ${fmt(load0, 1)}.
Each transfer is one transaction: payer row lock (SELECT … FOR UPDATE), balance summed from the ledger, event + two
lines inserted, and at commit the database's deferred trigger re-checks balance-per-event and no-overdraft.

| mode | accounts | bare req/s | transfers/s | p50 ms | p99 ms | ratio |
|---|---|---:|---:|---:|---:|---:|
${rows.join('\n')}

One pair serialises on one row lock (and its balance sum grows with its history); random pairs across many
accounts run in parallel up to the pool size. Embedded mode (PGlite) runs every query on one connection.`;
    writeSection('coin', body);
    console.log(body);
  } finally {
    await bare.stop();
  }
}
