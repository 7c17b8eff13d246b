// Shared helpers: spawn servers, wait for a port, run autocannon, write results.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import pg from 'pg';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';

export const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * The Node.js that runs the servers under test and their bare baselines: the Dockerfile's runtime
 * (Node 24, fetched from the npm registry by npx, as .ci/run does), not necessarily the one running
 * this script (this machine has Node 20, which production does not use). BENCH_NODE overrides it:
 * a path to a node binary, or "current" for this process's. Both sides of every ratio run on it.
 */
export const SERVER_NODE: { path: string; version: string } = (() => {
  const wanted = process.env.BENCH_NODE;
  if (wanted === 'current') return { path: process.execPath, version: process.version };
  const probe = wanted ? spawnSync(wanted, ['-p', 'process.execPath + " " + process.version'], { encoding: 'utf8' }) : spawnSync('npx', ['-y', '-p', 'node@24', 'node', '-p', 'process.execPath + " " + process.version'], { encoding: 'utf8' });
  const [bin, version] = (probe.stdout ?? '').trim().split(' ');
  if (probe.status === 0 && bin && version) return { path: bin, version };
  if (wanted) throw new Error(`BENCH_NODE=${wanted} does not run: ${probe.stderr}`);
  console.error(`bench: node@24 could not be fetched (${(probe.stderr ?? '').trim().slice(0, 200)}); the servers run on this process's ${process.version}`);
  return { path: process.execPath, version: process.version };
})();

/**
 * Starts a bare baseline (bench/bare-server.ts, bench/bare-ws-server.ts) as production would run a
 * server: plain node, which strips their types itself (Node ≥ 23). Under tsx's loader a bare Fastify
 * route cost 16.4–17.4 µs of CPU per request against 12.4–13.4 µs under plain node.
 */
export function startBare(file: string): Promise<Started> {
  const stripsTypes = Number(SERVER_NODE.version.slice(1).split('.')[0]) >= 23;
  return startProcess(stripsTypes ? ['--disable-warning=ExperimentalWarning', file] : ['--import', 'tsx', file], {}, /listening (\d+)/);
}

/**
 * The node flags the Dockerfile's image starts the server with (its ENTRYPOINT), given to every
 * `bin/selflink.mjs` a benchmark starts: the servers measured run as the image runs them.
 */
export const IMAGE_NODE_FLAGS: string[] = (() => {
  const m = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(fs.readFileSync(path.join(ROOT, 'deploy', 'Dockerfile'), 'utf8'));
  const argv = m ? (JSON.parse(m[1]) as string[]) : [];
  return argv.slice(1, argv.indexOf('bin/selflink.mjs')).filter((a) => a.startsWith('--'));
})();

const withImageFlags = (args: string[]) => (args[0] === 'bin/selflink.mjs' ? [...IMAGE_NODE_FLAGS, ...args] : args);

export interface Started {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

export function startProcess(args: string[], env: Record<string, string>, match: RegExp): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(SERVER_NODE.path, withImageFlags(args), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = match.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        // Keep draining: a full pipe would block the child's synchronous log writes.
        child.stdout!.on('data', () => undefined);
        child.stderr!.on('data', () => undefined);
        resolve({
          child,
          port: Number(m[1]),
          stop: () =>
            new Promise((r) => {
              child.once('exit', () => r());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`process exited ${code}:\n${out}`)));
  });
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Requests completed during the run. */
  total: number;
}

/** What one connection sends instead of the defaults: connection i takes `clients[i % clients.length]`. */
export interface ClientRequest {
  headers?: Record<string, string>;
  /** Path and query, e.g. one reader's own `next` page. */
  path?: string;
  /** A body of its own, e.g. one sender's thread. */
  body?: string;
}

export async function load(url: string, opts: { connections: number; seconds: number; headers?: Record<string, string>; method?: 'GET' | 'POST'; body?: string; clients?: ClientRequest[] }): Promise<LoadResult> {
  const method = opts.method ?? 'GET';
  const { pathname, search } = new URL(url);
  let connected = 0;
  const clients = opts.clients;
  const setupClient = clients?.length
    ? (client: { setRequests(r: object[]): void }) => {
        const c = clients[connected++ % clients.length];
        // (setRequests: a request set with setRequest lasts one request only)
        const body = c.body ?? opts.body;
        client.setRequests([{ method, path: c.path ?? pathname + search, headers: { ...opts.headers, ...c.headers }, ...(body !== undefined && { body }) }]);
      }
    : undefined;
  const r = await autocannon({ url, connections: opts.connections, duration: opts.seconds, headers: opts.headers, method, ...(opts.body !== undefined && { body: opts.body }), ...(setupClient && { setupClient }) });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx, total: r.requests.total };
}

export function writeSection(title: string, body: string) {
  const file = path.join(ROOT, 'bench', 'RESULTS.md');
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmark results\n\nEvery number is measured against a baseline taken in the same run on the same machine.\n';
  const start = `<!-- ${title} -->`;
  const end = `<!-- /${title} -->`;
  const section = `${start}\n${body.trim()}\n${end}`;
  const re = new RegExp(`${start}[\\s\\S]*?${end}`);
  fs.writeFileSync(file, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`);
}

export const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Starts a process that logs nothing useful and waits until `url` answers 200. */
export async function startAndWait(args: string[], env: Record<string, string>, url: string): Promise<Started> {
  const child = spawn(SERVER_NODE.path, withImageFlags(args), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  // (only the output's tail is kept, for the error below: a server's access lines are megabytes a second)
  let out = '';
  const keep = (d: Buffer) => {
    out += d;
    if (out.length > 65_536) out = out.slice(-32_768);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`process exited:\n${out}`);
    if (await fetch(url).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    port: Number(new URL(url).port),
    stop: () =>
      new Promise((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

export const ADMIN_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh PostgreSQL database for one benchmark run; `drop()` removes it (also with open connections). */
export async function benchDatabase(name: string): Promise<{ url: URL; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url,
    async drop() {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/**
 * Applies the migrations to a benchmark's database, as a deployment's `migrate` job does: only `serve`
 * migrates at start, and neither `api` nor the admin commands (seed-demo, bootstrap-admin) do.
 */
export function migrateDatabase(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['bin/selflink.mjs', 'migrate'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('migrate failed');
}

let built = false;

/**
 * The environment every server-mode benchmark process starts from; each bench adds its own keys.
 * The servers run dist/ (built here first when a source changed), as the Dockerfile's image does:
 * under tsx's loader the same code costs more per request (users/me: 36.0 against 33.8 µs of api CPU).
 */
export function serverEnv(databaseUrl: URL, redisPrefix: string) {
  if (!built) {
    if (spawnSync(process.execPath, ['bin/fresh-build.mjs'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error('build failed');
    built = true;
  }
  return {
    NODE_ENV: 'production',
    SELFLINK_USE_DIST: '1',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14',
    REDIS_PREFIX: redisPrefix,
  };
}

/** One line of the summary table `npm run bench` writes at the top of bench/RESULTS.md. */
export interface SummaryRow {
  path: string;
  rps: number;
  /** rps divided by the bare route's, measured in the same run. */
  ratio: number;
  p50: number;
  p99: number;
  /** PostgreSQL queries per request (the API's db_queries_total over the requests served), null when not measured. */
  roundTrips: number | null;
  /** 1-minute load average when the measurement ended. */
  load: number;
  /** CPU µs per request by process (null where /proc is not there). */
  cpu: CpuPerRequest | null;
}

/** The API process's db_queries_total (from /metrics). */
export async function queriesServed(origin: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const m = /^db_queries_total (\d+(?:\.\d+)?)/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Runs a load and reports it with its PostgreSQL queries per request and where the machine's CPU went (`pids`: the servers by name). */
export async function loadCounted(origin: string, url: string, opts: Parameters<typeof load>[1], pids: Record<string, number>): Promise<LoadResult & { roundTrips: number; cpu: CpuPerRequest | null }> {
  const before = await queriesServed(origin);
  const r = await loadCpu(url, opts, pids);
  const after = await queriesServed(origin);
  return { ...r, roundTrips: r.total ? (after - before) / r.total : NaN };
}

/** A load with the CPU each process spent on it, per request. */
export async function loadCpu(url: string, opts: Parameters<typeof load>[1], pids: Record<string, number>): Promise<LoadResult & { cpu: CpuPerRequest | null }> {
  const before = cpuSample(pids);
  const r = await load(url, opts);
  const after = cpuSample(pids);
  return { ...r, cpu: before && after && r.total ? perRequest(before, after, r.total) : null };
}

/** CPU µs per request: the named server processes, PostgreSQL, Redis and the load generator (this process). */
export type CpuPerRequest = Record<string, number>;

const CLK_TCK = (() => {
  if (process.platform !== 'linux') return 0;
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout.trim()) || 100;
})();

/**
 * CPU seconds spent so far (Linux /proc; null elsewhere): each named process, PostgreSQL (every
 * postgres process, plus what the postmaster collected from backends that exited), Redis, and this
 * process, which runs autocannon. The machine is shared and its speed varies between runs; what each
 * part costs per request varies far less than a ratio of two throughputs measured minutes apart.
 */
function cpuSample(pids: Record<string, number>): Record<string, number> | null {
  if (!CLK_TCK) return null;
  const byPid = new Map(Object.entries(pids).map(([name, pid]) => [pid, name]));
  const out: Record<string, number> = { ...Object.fromEntries(Object.keys(pids).map((k) => [k, 0])), postgres: 0, redis: 0, loadgen: 0 };
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    // Fields after the command: state, ppid, …, utime (14th field), stime, cutime, cstime.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const own = (f[11] + f[12]) / CLK_TCK;
    const pid = Number(d);
    const name = byPid.get(pid) ?? (pid === process.pid ? 'loadgen' : comm === 'postgres' ? 'postgres' : comm.startsWith('redis-server') ? 'redis' : null);
    if (!name) continue;
    out[name] += own;
    // The postmaster (its parent is not postgres): the backends it has reaped.
    if (name === 'postgres' && !isPostgres(f[1])) out.postgres += (f[13] + f[14]) / CLK_TCK;
  }
  return out;
}

function isPostgres(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
  } catch {
    return false;
  }
}

function perRequest(a: Record<string, number>, b: Record<string, number>, requests: number): CpuPerRequest {
  return Object.fromEntries(Object.keys(b).map((k) => [k, ((b[k] - (a[k] ?? 0)) / requests) * 1e6]));
}

/** "api 712 · PostgreSQL 258 · …" for the tables (µs per request). */
export function fmtCpu(c: CpuPerRequest | null | undefined): string {
  if (!c) return '—';
  const label: Record<string, string> = { postgres: 'PostgreSQL', redis: 'Redis', loadgen: 'load gen' };
  return Object.entries(c)
    // (PostgreSQL's can come out a hair below zero: a backend counted in the first sample that exited
    // before the second is in neither of the second's counters until the postmaster has reaped it)
    .map(([k, v]) => `${label[k] ?? k} ${fmt(Math.max(0, v))}`)
    .join(' · ');
}

/** Deletes the run's keys (BullMQ jobs, rate-limit buckets) under its own prefix. */
export async function dropRedisPrefix(url: string, prefix: string) {
  const r = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/**
 * Waits until the background work of what ran before is done: no outbox event left to relay and no
 * job waiting, running or delayed; returns how long that took. Without it, a write measurement's
 * follow-up (fan-outs, reminders, notifications) runs on the same two cores during the next
 * measurement, and in the next run's reads.
 */
export async function settle(redis: Redis, prefix: string, dbUrl: URL, timeoutMs = 180_000): Promise<number> {
  const t0 = Date.now();
  const c = new pg.Client({ connectionString: dbUrl.toString() });
  await c.connect();
  try {
    for (;;) {
      const { rows } = await c.query(`select count(*)::int as n from outbox where delivered_at is null`);
      let jobs = 0;
      for (const meta of await redis.keys(`${prefix}bull:*:meta`)) {
        const q = meta.slice(0, -'meta'.length);
        const [wait, active, delayed, prioritized] = await Promise.all([redis.llen(`${q}wait`), redis.llen(`${q}active`), redis.zrange(`${q}delayed`, 0, -1), redis.zcard(`${q}prioritized`)]);
        // (a repeating job's next run waits there for good: the scheduler role's, in serve)
        jobs += wait + active + delayed.filter((id) => !id.startsWith('repeat:')).length + prioritized;
      }
      if (rows[0].n === 0 && jobs === 0) return Date.now() - t0;
      if (Date.now() - t0 > timeoutMs) {
        console.warn(`  background work not settled after ${timeoutMs} ms: ${rows[0].n} events, ${jobs} jobs`);
        return Date.now() - t0;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await c.end();
  }
}
