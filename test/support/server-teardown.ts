// What a test that ran `selflink` processes on its own server-mode database leaves behind.
import fs from 'node:fs';
import pg from 'pg';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './mode.js';

/** Drops the test's database, deletes its Redis keys (by prefix) and removes its DATA_DIR. */
export async function dropServerState(o: { dbName: string; redisPrefix: string; dataDir: string }) {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${o.dbName} with (force)`);
  await admin.end();
  const { Redis } = await import('ioredis');
  const r = new Redis(TEST_REDIS_URL);
  const keys = await r.keys(`${o.redisPrefix}*`);
  if (keys.length) await r.del(...keys);
  await r.quit();
  fs.rmSync(o.dataDir, { recursive: true, force: true });
}
