// backup / restore: pg_dump and pg_restore in server mode, PGlite's own data-directory dump embedded.
// A restore replaces the whole database atomically (server) or the data directory (embedded, the old
// one is kept beside it), then applies migrations so a backup from an older release comes back current.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Ctx } from '../context.js';
import { openPglite, type Database } from '../platform/db/index.js';
import { parseArgs, type Command } from './index.js';

type PgliteHandle = { dumpDataDir(compression: 'gzip'): Promise<Blob> };

function pgliteOf(database: Database): PgliteHandle {
  const p = (database as unknown as { pglite?: PgliteHandle }).pglite;
  if (!p) throw new Error('embedded database handle not available');
  return p;
}

/** libpq settings for a URL, the password in the environment rather than on the command line. */
function libpq(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (password) env.PGPASSWORD = password;
  return { dbname: u.toString(), env };
}

/** Runs a program; rejects with its stderr when it exits non-zero. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => reject(new Error(`${cmd}: ${e.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}: ${err.trim().slice(0, 2000)}`))));
  });
}

function serverUrl(ctx: Ctx): string {
  return ctx.config.databaseDirectUrl ?? ctx.config.database.url!;
}

function defaultFile(ctx: Ctx): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, 'Z');
  return path.resolve(`selflink-${stamp}.${ctx.database.kind === 'postgres' ? 'dump' : 'tar.gz'}`);
}

export const backup: Command = {
  help: 'backup [--out FILE]: pg_dump (custom format) in server mode, a PGlite data-directory dump embedded',
  usage: [
    'usage: selflink backup [--out FILE]',
    '',
    'Writes a consistent copy of the database to FILE (default ./selflink-<time>.dump or .tar.gz).',
    '  server mode  pg_dump --format=custom of DATABASE_DIRECT_URL (or DATABASE_URL); needs pg_dump on PATH,',
    '               the same major version as the server or newer. Safe while the service runs.',
    '  embedded     PGlite dumpDataDir (tar.gz) of DATA_DIR/pgdata. Stop `selflink serve` first:',
    '               one process at a time may open an embedded database.',
    'Media files are not included: back up MEDIA_DIR or the S3 bucket separately.',
  ].join('\n'),
  migrate: false,
  async run(ctx, args) {
    const { opts } = parseArgs(args);
    const file = path.resolve(typeof opts.out === 'string' ? opts.out : defaultFile(ctx));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.partial`;
    try {
      if (ctx.database.kind === 'postgres') {
        const { dbname, env } = libpq(serverUrl(ctx));
        await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', '--file', tmp, '--dbname', dbname], env);
      } else {
        const blob = await pgliteOf(ctx.database).dumpDataDir('gzip');
        fs.writeFileSync(tmp, Buffer.from(await blob.arrayBuffer()));
      }
      fs.renameSync(tmp, file);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    console.log(`backup written: ${file} (${fs.statSync(file).size} bytes, ${ctx.database.kind})`);
    return 0;
  },
};

export const restore: Command = {
  help: 'restore FILE --yes: replace the database with a backup (then apply migrations)',
  usage: [
    'usage: selflink restore FILE --yes',
    '',
    'Replaces the whole database with the backup in FILE, then applies pending migrations.',
    '  server mode  drops the public and drizzle schemas and loads the pg_dump file through',
    '               psql in ONE transaction: on any error nothing changes.',
    '               Stop api/worker/scheduler first (or expect their writes to be lost).',
    '  embedded     moves DATA_DIR/pgdata aside (pgdata.before-restore-<time>) and loads the dump there.',
    '--yes is required: the current data is replaced.',
  ].join('\n'),
  migrate: false,
  async run(ctx, args) {
    const { opts, rest } = parseArgs(args);
    const file = rest[0] ? path.resolve(rest[0]) : null;
    if (!file) {
      console.error('restore: which backup file? usage: selflink restore FILE --yes');
      return 2;
    }
    if (!fs.existsSync(file)) {
      console.error(`restore: ${file} does not exist`);
      return 2;
    }
    if (opts.yes !== true) {
      console.error('restore: this replaces the current database; add --yes to go on');
      return 2;
    }
    if (ctx.database.kind === 'postgres') {
      const { dbname, env } = libpq(serverUrl(ctx));
      // pg_restore turns the whole archive into SQL first (a damaged archive fails here, before any
      // change); then psql runs the drops and that script in one transaction.
      const script = `${file}.restore-${process.pid}.sql`;
      try {
        await run('pg_restore', ['--no-owner', '--no-privileges', '--file', script, file], process.env);
        await run(
          'psql',
          ['--no-psqlrc', '--quiet', '--single-transaction', '-v', 'ON_ERROR_STOP=1', '--dbname', dbname,
            '-c', 'drop schema if exists drizzle cascade; drop schema if exists public cascade; create schema public;', '-f', script],
          env,
        );
      } finally {
        fs.rmSync(script, { force: true });
      }
      await ctx.database.migrate();
      console.log(`restored ${file} into ${new URL(dbname).pathname.slice(1)} (postgres)`);
      return 0;
    }
    // Embedded: PGlite loads the dump into an empty directory; the current one is kept beside it.
    const target = path.join(ctx.config.dataDir, 'pgdata');
    await ctx.database.close();
    const fresh = `${target}.restoring`;
    fs.rmSync(fresh, { recursive: true, force: true });
    const loaded = await openPglite(fresh, new Blob([fs.readFileSync(file)]));
    await loaded.migrate();
    await loaded.close();
    let kept = '';
    if (fs.existsSync(target)) {
      kept = `${target}.before-restore-${Date.now()}`;
      fs.renameSync(target, kept);
    }
    fs.renameSync(fresh, target);
    console.log(`restored ${file} into ${target} (pglite)${kept ? `; previous data kept in ${kept}` : ''}`);
    return 0;
  },
};
