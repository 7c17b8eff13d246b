// Migrates once per run: a PGlite snapshot (embedded) or a template database (server); test files copy it.
// The PGlite snapshot is also unpacked into an on-disk data directory that `selflink` child
// processes start from (a copy per test), so no process test pays for initdb and the migrations.
import fs from 'node:fs';
import pg from 'pg';
import { openPglite, openPostgres } from '../../src/platform/db/index.js';
import { createLogger } from '../../src/platform/log.js';
import { CACHE_DIR, pgliteDataDirPath, pgliteSnapshotPath, SERVER_MODE, TEST_DATABASE_URL, templateDbName } from './mode.js';

function withDb(url: string, name: string) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function pgliteSnapshot() {
  const file = pgliteSnapshotPath();
  if (fs.existsSync(file)) return;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const database = await openPglite(null);
  await database.migrate();
  const blob = await (database as unknown as { pglite: { dumpDataDir(c: 'none'): Promise<Blob> } }).pglite.dumpDataDir('none');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, Buffer.from(await blob.arrayBuffer()));
  fs.renameSync(tmp, file);
  await database.close();
}

async function pgliteDataDir() {
  const dir = pgliteDataDirPath();
  if (fs.existsSync(dir)) return;
  // Unpacked beside the final name, then renamed: concurrent runs (other worktrees share the cache)
  // never see a half-written directory; the loser of the rename drops its copy.
  const tmp = `${dir}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const database = await openPglite(tmp, new Blob([fs.readFileSync(pgliteSnapshotPath())]));
  await database.close();
  try {
    fs.renameSync(tmp, dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(dir)) throw err;
  }
}

export default async function setup() {
  // Both modes: `selflink` child processes without DATABASE_URL run embedded even in server mode.
  await pgliteSnapshot();
  await pgliteDataDir();
  if (!SERVER_MODE) return;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query('select pg_advisory_lock(7420002)');
    const name = templateDbName();
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (!exists.rowCount) {
      await admin.query(`create database ${name}`);
      const database = await openPostgres(withDb(TEST_DATABASE_URL, name), 2, createLogger('silent'));
      try {
        await database.migrate();
      } catch (err) {
        await database.close();
        await admin.query(`drop database if exists ${name}`);
        throw err;
      }
      await database.close();
    }
  } finally {
    await admin.query('select pg_advisory_unlock(7420002)');
    await admin.end();
  }
}
