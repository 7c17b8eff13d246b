// Private PostgreSQL and Redis servers for the fault tests: each test file starts its own on free ports
// and may stop, kill or restart them without touching the shared 5432/6379 other test files use.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Polls `check` until it returns a truthy value; throws with `label` after `timeoutMs` (a failure guard, not a delay). */
export async function waitFor<T>(label: string, check: () => Promise<T> | T, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const PG_BIN = (() => {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin/initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], 'bin') : null;
})();
const AS_ROOT = process.getuid?.() === 0;

/** Why the private engines cannot run here (null when they can). */
export function enginesUnavailable(): string | null {
  if (!PG_BIN) return 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin';
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'no redis-server on PATH';
  }
  return null;
}

/** initdb refuses to run as root: run the server tools as `postgres` then. */
function pgTool(tool: string, args: string[]) {
  const bin = path.join(PG_BIN!, tool);
  return AS_ROOT ? execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { stdio: 'pipe' }) : execFileSync(bin, args, { stdio: 'pipe' });
}

export interface OwnPostgres {
  port: number;
  url: (db?: string) => string;
  start(): void;
  /** Fast shutdown: clients are disconnected (57P01), new connections refused. */
  stop(): void;
  destroy(): void;
}

export async function ownPostgres(): Promise<OwnPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflink-pg-'));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  if (AS_ROOT) execFileSync('chown', ['postgres', dir]);
  pgTool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=60`;
  const pg: OwnPostgres = {
    port,
    url: (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`,
    start: () => void pgTool('pg_ctl', ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', 'start']),
    stop: () => void pgTool('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    destroy() {
      try {
        pgTool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        /* already stopped */
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  pg.start();
  return pg;
}

export interface OwnRedis {
  port: number;
  url: string;
  start(): Promise<void>;
  /** SIGTERM: Redis saves its dataset (queues survive a restart, as with persistence in production). */
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

export async function ownRedis(): Promise<OwnRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflink-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  let out = '';
  const r: OwnRedis = {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    async start() {
      out = '';
      const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      c.stdout!.on('data', (d) => (out += d));
      c.stderr!.on('data', (d) => (out += d));
      await waitFor('redis-server ready', () => {
        if (c.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
        return out.includes('Ready to accept connections');
      });
    },
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((res) => c.once('exit', res));
      // SHUTDOWN SAVE through the signal: the dump is written before the process ends.
      execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'save'], { stdio: 'ignore' });
      await exited;
      child = null;
    },
    async destroy() {
      process.off('exit', killOnExit);
      if (child && child.exitCode === null) {
        const c = child;
        const exited = new Promise((res) => c.once('exit', res));
        c.kill('SIGKILL');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  // Removed again by destroy(): a worker process runs many test files, each may start its own Redis.
  const killOnExit = () => child?.exitCode === null && child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await r.start();
  return r;
}

/**
 * Creates `db` on the private server as a copy of the shared, already migrated test template (pg_dump
 * reads it; nothing on the shared server changes): seconds instead of running every migration.
 */
export function copyTemplate(own: OwnPostgres, sharedUrl: string, template: string, db: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflink-tpl-'));
  try {
    const file = path.join(dir, 'tpl.dump');
    const src = Object.assign(new URL(sharedUrl), { pathname: `/${template}` }).toString();
    execFileSync('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', '-f', file, src], { stdio: 'pipe' });
    execFileSync('psql', [own.url(), '-qc', `create database ${db}`], { stdio: 'pipe' });
    execFileSync('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '-d', own.url(db), file], { stdio: 'pipe' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
