// Which adapters the tests run against: embedded (PGlite, memory) or server (PostgreSQL, Redis).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MIGRATIONS_DIR } from '../../src/platform/db/index.js';

export const SERVER_MODE = process.env.SELFLINK_TEST_MODE === 'server';
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
export const CACHE_DIR = path.resolve('node_modules/.cache/selflink-test');

/** Migrated templates are keyed by the migrations' content, so a schema change makes a new one. */
export function migrationsHash(): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const f of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, f);
      if (fs.statSync(p).isDirectory()) walk(p);
      else h.update(f).update(fs.readFileSync(p));
    }
  };
  walk(MIGRATIONS_DIR);
  return h.digest('hex').slice(0, 12);
}

export const templateDbName = () => `sl_tpl_${migrationsHash()}`;
/** Uncompressed: every test file loads it, and gunzip was about a third of opening a copy. */
export const pgliteSnapshotPath = () => path.join(CACHE_DIR, `pglite-${migrationsHash()}.tar`);
/** The same snapshot unpacked as an on-disk PGlite data directory, for `selflink` child processes. */
export const pgliteDataDirPath = () => path.join(CACHE_DIR, `pglite-${migrationsHash()}.pgdata`);
