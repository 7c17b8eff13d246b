// doctor: is this installation healthy? Configuration, migrations, database, Redis, storage, and the
// invariants modules register (Module.invariants). Exit 0 when nothing failed (warnings allowed), 1 otherwise.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Ctx } from '../context.js';
import { MIGRATIONS_DIR } from '../platform/db/index.js';
import { modules } from '../modules/index.js';
import { parseArgs, type Command } from './index.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';
export interface CheckResult {
  status: CheckStatus;
  detail: string;
}
export interface DoctorCheck {
  name: string;
  run(): Promise<CheckResult>;
}

const ok = (detail: string): CheckResult => ({ status: 'ok', detail });
const warn = (detail: string): CheckResult => ({ status: 'warn', detail });
const fail = (detail: string): CheckResult => ({ status: 'fail', detail });

/** Settings that parse but are risky where they are used. */
function configurationCheck(ctx: Ctx): DoctorCheck {
  return {
    name: 'configuration',
    async run() {
      const c = ctx.config;
      const notes: string[] = [];
      const server = ctx.database.kind === 'postgres';
      if (c.env === 'production') {
        if (!c.publicBaseUrl) notes.push('PUBLIC_BASE_URL is unset (absolute URLs follow the Host header)');
        if (!c.metricsToken) notes.push('METRICS_TOKEN is unset (/metrics is public)');
        if (!c.rateLimits.enabled) notes.push('RATE_LIMITS_ENABLED=false');
      }
      if (server && !c.redis.url) notes.push('DATABASE_URL without REDIS_URL: queues, pub/sub and rate limits stay in one process');
      if (server && c.storage.backend === 'local') notes.push('STORAGE_BACKEND=local in server mode: media stay on this host only');
      if (c.opensearch.enabled && !c.opensearch.url) notes.push('OPENSEARCH_ENABLED without OPENSEARCH_URL');
      const mode = `${server ? 'server' : 'embedded'} mode, NODE_ENV=${c.env}`;
      return notes.length ? warn(`${mode}; ${notes.join('; ')}`) : ok(mode);
    },
  };
}

/** Migrations in the journal that the database has not applied (drizzle records each one's `when`). */
function migrationsCheck(ctx: Ctx): DoctorCheck {
  return {
    name: 'migrations',
    async run() {
      const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string; when: number }[] };
      let last = 0;
      try {
        const r = await ctx.db.execute(sql`select coalesce(max(created_at), 0)::bigint as last from drizzle.__drizzle_migrations`);
        last = Number((r as unknown as { rows: { last: number | string }[] }).rows[0].last);
      } catch {
        last = 0; // no migrations table: nothing applied yet
      }
      const pending = journal.entries.filter((e) => e.when > last).map((e) => e.tag);
      if (pending.length) return fail(`${pending.length} of ${journal.entries.length} pending (${pending.join(', ')}): run \`selflink migrate\``);
      return ok(`${journal.entries.length} applied, latest ${journal.entries.at(-1)?.tag ?? '-'}`);
    },
  };
}

function databaseCheck(ctx: Ctx): DoctorCheck {
  return {
    name: 'database',
    async run() {
      try {
        const r = await ctx.db.execute(sql`select current_setting('server_version') as v, current_database() as db`);
        const row = (r as unknown as { rows: { v: string; db: string }[] }).rows[0];
        return ok(`${ctx.database.kind} ${row.v}, database ${row.db}`);
      } catch (err) {
        return fail(`${ctx.database.kind} unreachable: ${(err as Error).message}`);
      }
    },
  };
}

function redisCheck(ctx: Ctx): DoctorCheck {
  return {
    name: 'redis',
    async run() {
      if (!ctx.redis) return ok('not configured: in-process queue, pub/sub and counters');
      try {
        const pong = await ctx.redis.ping();
        const info = await ctx.redis.info('memory');
        const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1] ?? '?';
        const used = /used_memory_human:(\S+)/.exec(info)?.[1] ?? '?';
        if (pong !== 'PONG') return fail(`unexpected PING reply ${pong}`);
        if (policy !== 'noeviction') return warn(`reachable, ${used} used, but maxmemory-policy=${policy}: queued jobs may be evicted (set noeviction)`);
        return ok(`reachable, ${used} used, maxmemory-policy=${policy}`);
      } catch (err) {
        return fail(`unreachable: ${(err as Error).message}`);
      }
    },
  };
}

/** Writes, checks and deletes a small object: proves credentials, bucket and permissions. */
function storageCheck(ctx: Ctx): DoctorCheck {
  return {
    name: 'storage',
    async run() {
      const where = Object.entries(ctx.storage.describe()).map(([k, v]) => `${k}=${v}`).join(' ');
      const key = `doctor/${Date.now()}-${randomBytes(4).toString('hex')}.txt`;
      try {
        await ctx.storage.put(key, Buffer.from('selflink doctor'), 'text/plain');
        const present = await ctx.storage.exists(key);
        await ctx.storage.delete(key);
        if (!present) return fail(`${where}: an object written is not there`);
        return ok(`${where}: write, read, delete`);
      } catch (err) {
        return fail(`${where}: ${(err as Error).message}`);
      }
    },
  };
}

/** Every check doctor runs: the platform's, then each module's invariants. */
export function doctorChecks(ctx: Ctx): DoctorCheck[] {
  const base = [configurationCheck(ctx), databaseCheck(ctx), migrationsCheck(ctx), redisCheck(ctx), storageCheck(ctx)];
  const invariants = modules.flatMap((m) => (m.invariants?.(ctx) ?? []).map((c) => ({ ...c, name: `${m.name}: ${c.name}` })));
  return [...base, ...invariants];
}

export async function runDoctor(ctx: Ctx): Promise<{ name: string; status: CheckStatus; detail: string }[]> {
  const out = [];
  const migrations = await migrationsCheck(ctx).run();
  for (const check of doctorChecks(ctx)) {
    // Invariants read tables that pending migrations may not have created yet.
    if (check.name.includes(': ') && migrations.status === 'fail') {
      out.push({ name: check.name, status: 'warn' as const, detail: 'skipped: migrations pending' });
      continue;
    }
    let r: CheckResult;
    try {
      r = await check.run();
    } catch (err) {
      r = fail(`check crashed: ${(err as Error).message}`);
    }
    out.push({ name: check.name, ...r });
  }
  return out;
}

export const doctor: Command = {
  help: 'doctor [--json]: check configuration, migrations, database, Redis, storage and invariants',
  usage: [
    'usage: selflink doctor [--json]',
    '',
    'Checks, in order: configuration (risky settings), database (reachable, version), migrations (none',
    'pending), Redis (reachable, maxmemory-policy), storage (write/read/delete a probe object), then every',
    "module's invariants (e.g. the audit hash chain). Applies no migration and changes no data.",
    'Exit status: 0 when nothing failed (warnings allowed), 1 when a check failed.',
    '  --json   one JSON object: {"ok": bool, "checks": [{"name","status","detail"}]}',
  ].join('\n'),
  migrate: false,
  async run(ctx, args) {
    const { opts } = parseArgs(args);
    const results = await runDoctor(ctx);
    const okAll = results.every((r) => r.status !== 'fail');
    if (opts.json) console.log(JSON.stringify({ ok: okAll, checks: results }));
    else {
      for (const r of results) console.log(`${r.status.toUpperCase().padEnd(4)} ${r.name.padEnd(24)} ${r.detail}`);
      console.log(okAll ? 'doctor: all checks passed' : 'doctor: some checks FAILED');
    }
    return okAll ? 0 : 1;
  },
};
