// Retention: purge rows past their keep-until date in small batches (short transactions, no long
// locks, bounded WAL bursts). Modules own their rules; this only runs them and counts.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from './db/index.js';

export const DAY_MS = 86_400_000;
export const RETENTION_BATCH = 1000;
/** Retention jobs run hourly; each pass deletes at most this many batches, the next pass goes on. */
export const RETENTION_MAX_BATCHES = 100;

/**
 * Deletes from `table` the rows whose ids `select` returns (it must end in `limit ${RETENTION_BATCH}`),
 * batch after batch until none is left or the pass budget is spent. Returns how many rows went.
 */
export async function purgeInBatches(db: Db, table: SQL, select: SQL): Promise<number> {
  let total = 0;
  for (let i = 0; i < RETENTION_MAX_BATCHES; i++) {
    const r = await db.execute(sql`delete from ${table} where id in (${select})`);
    const n = (r as unknown as { rowCount?: number; affectedRows?: number }).rowCount ?? (r as unknown as { affectedRows?: number }).affectedRows ?? 0;
    total += n;
    if (n < RETENTION_BATCH) break;
  }
  return total;
}
