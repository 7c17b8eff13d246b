// `selflink backup`, `restore` and `doctor` as real processes: embedded (PGlite data directory) and
// server mode (a fresh PostgreSQL database copied from the migrated template, this machine's Redis).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/platform/db/index.js';
import { TEST_JWT_KEY } from '../support/app.js';
import { pgliteDataDirPath, SERVER_MODE, TEST_DATABASE_URL, TEST_REDIS_URL, templateDbName } from '../support/mode.js';

const BIN = path.resolve('bin/selflink.mjs');

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

const doctorJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!) as { ok: boolean; checks: { name: string; status: string; detail: string }[] };
const check = (out: string, name: string) => doctorJson(out).checks.find((c) => c.name === name);

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'selflink-ops-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

describe('selflink backup / restore / doctor --help', () => {
  it('each answers --help with exit 0 and its usage, without any configuration', { timeout: 60_000 }, async () => {
    const cmds = ['backup', 'restore', 'doctor'];
    // A bad setting would stop any real run (exit 78): --help must not need one.
    const results = await Promise.all(cmds.map((cmd) => cli([cmd, '--help'], { PORT: 'not-a-port' })));
    cmds.forEach((cmd, i) => {
      expect(results[i].code, cmd).toBe(0);
      expect(results[i].out).toContain(`usage: selflink ${cmd}`);
    });
  });
});

describe.skipIf(SERVER_MODE)('embedded (PGlite)', () => {
  const dataDir = path.join(tmpRoot, 'embedded');
  const env = { DATA_DIR: dataDir };
  const pgdata = path.join(dataDir, 'pgdata');

  async function sqlOn<T>(q: string): Promise<T[]> {
    const db = await openPglite(pgdata);
    try {
      const client = (db as unknown as { pglite: { query<R>(q: string): Promise<{ rows: R[] }> } }).pglite;
      return (await client.query<T>(q)).rows;
    } finally {
      await db.close();
    }
  }

  it('doctor fails on an empty data directory (migrations pending), passes once migrated', async () => {
    const empty = await cli(['doctor', '--json'], { DATA_DIR: path.join(tmpRoot, 'empty') });
    expect(empty.code).toBe(1);
    expect(check(empty.out, 'migrations')).toMatchObject({ status: 'fail' });
    expect(check(empty.out, 'migrations')!.detail).toContain('0000_init');
    expect(check(empty.out, 'database')).toMatchObject({ status: 'ok' });

    // A migrated database (the suite's snapshot), with a user in it.
    fs.cpSync(pgliteDataDirPath(), pgdata, { recursive: true });
    await sqlOn(`insert into users (email, handle, password, name) values ('kept@example.com', 'kept', 'x', 'Kept')`);
    const r = await cli(['doctor', '--json'], env);
    expect(r.code, r.out).toBe(0);
    const report = doctorJson(r.out);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(['configuration', 'database', 'migrations', 'redis', 'storage', 'audit: hash chain']);
    expect(check(r.out, 'storage')).toMatchObject({ status: 'ok' });
  }, 120_000);

  it('backup, change, restore: the data comes back and the old directory is kept', async () => {
    const file = path.join(tmpRoot, 'embedded.tar.gz');
    const b = await cli(['backup', '--out', file], env);
    expect(b.code, b.out).toBe(0);
    expect(fs.statSync(file).size).toBeGreaterThan(1000);

    await sqlOn(`delete from users where handle = 'kept'`);
    await sqlOn(`insert into users (email, handle, password) values ('later@example.com', 'later', 'x')`);

    const refused = await cli(['restore', file], env);
    expect(refused.code).toBe(2);
    expect(refused.out).toContain('--yes');
    expect(await sqlOn(`select handle from users where handle = 'later'`)).toHaveLength(1);

    const r = await cli(['restore', file, '--yes'], env);
    expect(r.code, r.out).toBe(0);
    const rows = await sqlOn<{ handle: string }>(`select handle from users order by handle`);
    expect(rows.map((x) => x.handle)).toEqual(['kept']);
    expect(fs.readdirSync(dataDir).some((f) => f.startsWith('pgdata.before-restore-'))).toBe(true);
    const after = await cli(['doctor', '--json'], env);
    expect(after.code, after.out).toBe(0);
  }, 120_000);
});

describe.runIf(SERVER_MODE)('server mode (PostgreSQL, Redis)', () => {
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const dbName = `sl_t_ops_${suffix}`;
  const emptyDb = `sl_t_opsempty_${suffix}`;
  const url = (name: string) => Object.assign(new URL(TEST_DATABASE_URL), { pathname: `/${name}` }).toString();
  const env = (name: string) => ({
    DATABASE_URL: url(name),
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: `t${suffix}:`,
    JWT_SIGNING_KEY: TEST_JWT_KEY,
    DATA_DIR: path.join(tmpRoot, 'server'),
  });
  let admin: pg.Client;
  let db: pg.Client;

  afterAll(async () => {
    await db?.end();
    if (admin) {
      for (const n of [dbName, emptyDb]) await admin.query(`drop database if exists ${n} with (force)`);
      await admin.end();
    }
  });

  it('doctor reports pending migrations on an empty database, then a broken audit chain', async () => {
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${emptyDb}`);
    await admin.query(`create database ${dbName} template ${templateDbName()}`);
    db = new pg.Client({ connectionString: url(dbName) });
    await db.connect();

    const empty = await cli(['doctor', '--json'], env(emptyDb));
    expect(empty.code).toBe(1);
    expect(check(empty.out, 'migrations')).toMatchObject({ status: 'fail' });
    expect(check(empty.out, 'redis')).toMatchObject({ status: 'ok' });
    expect(check(empty.out, 'database')!.detail).toContain('postgres');

    const good = await cli(['doctor', '--json'], env(dbName));
    expect(good.code, good.out).toBe(0);
    expect(check(good.out, 'migrations')).toMatchObject({ status: 'ok' });

    // A forged audit row (inserts are allowed; its hash is wrong): the audit invariant fails.
    await db.query(`insert into audit_events (action, object_type, object_id, hash_prev, hash_self) values ('forged', 'x', '1', '', 'deadbeef')`);
    const bad = await cli(['doctor', '--json'], env(dbName));
    expect(bad.code).toBe(1);
    expect(check(bad.out, 'audit: hash chain')).toMatchObject({ status: 'fail' });
    await db.query(`alter table audit_events disable trigger user`);
    await db.query(`delete from audit_events`);
    await db.query(`alter table audit_events enable trigger user`);
  }, 120_000);

  it('doctor names Redis when it is unreachable', async () => {
    const r = await cli(['doctor', '--json'], { ...env(dbName), REDIS_URL: 'redis://127.0.0.1:1/0' });
    expect(r.code).toBe(1);
    expect(check(r.out, 'redis')).toMatchObject({ status: 'fail' });
    expect(check(r.out, 'database')).toMatchObject({ status: 'ok' });
  }, 60_000);

  it('backup with pg_dump, change, restore in one transaction: the data comes back, drift is gone', async () => {
    await db.query(`insert into users (email, handle, password, name) values ('kept@example.com', 'kept', 'x', 'Kept')`);
    const file = path.join(tmpRoot, 'server.dump');
    const b = await cli(['backup', '--out', file], env(dbName));
    expect(b.code, b.out).toBe(0);
    expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe('PGDMP'); // pg_dump custom format

    await db.query(`delete from users where handle = 'kept'`);
    await db.query(`insert into users (email, handle, password) values ('later@example.com', 'later', 'x')`);
    await db.query(`create table public.drift (x int)`);

    // A corrupt archive changes nothing.
    const junk = path.join(tmpRoot, 'junk.dump');
    fs.writeFileSync(junk, 'not a dump');
    const failed = await cli(['restore', junk, '--yes'], env(dbName));
    expect(failed.code).toBe(1);
    expect((await db.query(`select handle from users`)).rows.map((x) => x.handle)).toEqual(['later']);

    const r = await cli(['restore', file, '--yes'], env(dbName));
    expect(r.code, r.out).toBe(0);
    expect((await db.query(`select handle from users order by handle`)).rows.map((x) => x.handle)).toEqual(['kept']);
    expect((await db.query(`select to_regclass('public.drift') as t`)).rows[0].t).toBeNull();
    const after = await cli(['doctor', '--json'], env(dbName));
    expect(after.code, after.out).toBe(0);
  }, 120_000);
});
