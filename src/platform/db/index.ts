// The database: PostgreSQL over `pg` in server mode, PGlite (Postgres in WASM) embedded.
// Both expose the same Drizzle query API; domain code never knows which one runs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Logger } from '../log.js';
import { queryCountLogger } from './query-count.js';
import { sendUnnamed } from './prepared.js';
import { withIntArrayParams } from './int-arrays.js';

export type Db = NodePgDatabase<Record<string, never>>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

/** The migrations folder at the project's root, found upwards from this file (src/, dist/ or the start-up bundle). */
export const MIGRATIONS_DIR = ((): string => {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'migrations', 'meta', '_journal.json'))) return path.join(dir, 'migrations');
  }
  return fileURLToPath(new URL('../../../migrations', import.meta.url));
})();

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  ping(): Promise<boolean>;
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Pool use (PostgreSQL); null for PGlite's single in-process connection. */
  poolStats?(): { total: number; idle: number; waiting: number; max: number } | null;
  /** Opens up to `connections` pool connections in the background (PostgreSQL; a long-running role's start). */
  warm?(connections: number): void;
}

const MIGRATION_LOCK = 7_420_001;

/**
 * Drizzle's own rule, checked read-only with one query: a migration runs when it is newer than the
 * newest one applied. Starting on an up-to-date database then skips the migrator's DDL, its
 * transaction and the hashing of every migration file (a measurable part of a cold start).
 */
async function upToDate(query: (text: string) => Promise<{ rows: Record<string, unknown>[] }>): Promise<boolean> {
  let applied: number;
  try {
    const { rows } = await query('select max(created_at) as newest from drizzle.__drizzle_migrations');
    applied = Number(rows[0]?.newest ?? 0);
  } catch {
    return false; // no migrations table yet: a new database
  }
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: { when: number }[] };
  return journal.entries.every((e) => e.when <= applied);
}

/**
 * A pool of up to `poolMax` connections, of which `poolMin` (all, by default) stay open once opened:
 * an evicted idle connection costs the next burst a new connection and the preparation of every
 * statement again (a fixed-size pool, as HikariCP advises; docs/perf.md, "The pool keeps its
 * connections").
 */
export async function openPostgres(url: string, poolMax: number, log: Logger, applicationName = 'selflink', namedStatements = true, poolMin = poolMax): Promise<Database> {
  const pg = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  // bigint (int8) and numeric come back as JS numbers: our ids stay below 10^15.
  pg.default.types.setTypeParser(20, (v: string) => Number(v));
  // application_name tells the primary's and the replica's sessions apart in pg_stat_activity.
  const pool = new pg.default.Pool({ connectionString: url, max: poolMax, min: Math.min(poolMin, poolMax), application_name: applicationName, Client: withIntArrayParams(pg.default.Client) });
  pool.on('error', (err) => log.error({ err }, 'postgres pool error'));
  const db = drizzle(pool, { logger: queryCountLogger }) as unknown as Db;
  if (!namedStatements) sendUnnamed(db);
  return {
    db,
    kind: 'postgres',
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: poolMax }),
    // (the first burst after a start then opens no connection either)
    warm(connections) {
      const n = Math.max(0, Math.min(connections, poolMax) - pool.totalCount);
      void Promise.allSettled(Array.from({ length: n }, () => pool.connect())).then((got) => {
        for (const r of got) if (r.status === 'fulfilled') r.value.release();
        const failed = got.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) log.warn({ err: failed.reason as unknown }, 'postgres pool: opening its connections at start failed; they open on demand');
      });
    },
    async ping() {
      try {
        await pool.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    async migrate() {
      if (await upToDate((text) => pool.query(text))) return;
      const { migrate } = await import('drizzle-orm/node-postgres/migrator');
      // One dedicated session holds an advisory lock so concurrent starts migrate once.
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
        await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

export async function openPglite(dataDir: string | null, loadFrom?: Blob | File): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const { drizzle } = await import('drizzle-orm/pglite');
  if (dataDir) fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const client = await PGlite.create({
    dataDir: dataDir ?? undefined,
    loadDataDir: loadFrom,
    extensions: { pg_trgm },
    parsers: { 20: (v: string) => Number(v) },
  });
  const db = drizzle(client, { logger: queryCountLogger }) as unknown as Db;
  let closed = false;
  return {
    db,
    kind: 'pglite',
    async ping() {
      try {
        await client.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    async migrate() {
      if (await upToDate((text) => client.query(text))) return;
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
    // Exposed for the test harness, which snapshots a migrated database once.
    ...({ pglite: client } as object),
  };
}

/** Postgres error codes that mean "your input", so they become 4xx instead of 500. */
export function pgErrorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export const isUniqueViolation = (err: unknown) => pgErrorCode(err) === '23505';

export async function now(db: DbOrTx): Promise<Date> {
  const r = await db.execute(sql`select now() as now`);
  return new Date((r as unknown as { rows: { now: string }[] }).rows[0].now);
}
