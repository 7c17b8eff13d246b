// Operations on the ledger: the invariant check, monthly snapshots and the account backfill.
import { createHash } from 'node:crypto';
import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { coinAccounts, coinEvents, coinLedgerEntries, coinMonthlySnapshots } from './schema.js';
import { pyIso } from './statement.js';

export interface InvariantReport {
  ok: boolean;
  checks: Record<string, number>;
  failures: string[];
}

const rowsOf = <T>(r: unknown) => (r as { rows: T[] }).rows;

/** Python's json.dumps(v, sort_keys=True): ", " and ": " separators, non-ASCII escaped as \uXXXX. */
export function pyJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${pyJson(k)}: ${pyJson(o[k])}`).join(', ')}}`;
}

/** Excel-dialect CSV cell: quoted only when needed, quotes doubled. */
const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function monthRange(period: string): { start: Date; end: Date } | null {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(period);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  return { start: new Date(Date.UTC(y, mo - 1, 1)), end: new Date(Date.UTC(y, mo, 1)) };
}

export function createCoinOps(ctx: Ctx) {
  const db = () => ctx.db;

  async function invariantCheck(): Promise<InvariantReport> {
    const mintEvents = await db().select({ id: coinEvents.id }).from(coinEvents).where(eq(coinEvents.eventType, 'mint'));
    const links = await ctx.services.payments.mintLinks();
    const byEvent = new Map<number, string[]>();
    for (const l of links) byEvent.set(l.coinEventId, [...(byEvent.get(l.coinEventId) ?? []), l.status]);
    const mintIds = new Set(mintEvents.map((e) => e.id));
    const nonMintLinked = [...byEvent.keys()].filter((id) => !mintIds.has(id)).length;
    const withoutPayment = mintEvents.filter((e) => !byEvent.has(e.id)).length;
    const nonMinted = mintEvents.filter((e) => byEvent.has(e.id) && !byEvent.get(e.id)!.includes('minted')).length;

    const [unbalanced] = rowsOf<{ n: number }>(
      await db().execute(sql`select count(*)::int as n from (
        select event_id, currency from coin_ledger_entries group by event_id, currency
        having sum(case when direction = 'CREDIT' then amount_cents else -amount_cents end) <> 0) g`),
    );
    const [unknown] = rowsOf<{ n: number }>(
      await db().execute(sql`select count(*)::int as n from coin_ledger_entries e where not exists (select 1 from coin_accounts a where a.account_key = e.account_key)`),
    );
    // Only entries posted after a suspension break the rule: history from before it stays valid.
    const [suspended] = rowsOf<{ n: number }>(
      await db().execute(sql`select count(*)::int as n from coin_ledger_entries e join coin_accounts a on a.account_key = e.account_key
        where a.status = 'suspended' and not a.is_system and (a.suspended_at is null or e.created_at > a.suspended_at)`),
    );
    const [negative] = rowsOf<{ n: number }>(
      await db().execute(sql`select count(*)::int as n from (
        select e.account_key from coin_ledger_entries e join coin_accounts a on a.account_key = e.account_key and not a.is_system
        group by e.account_key having sum(case when e.direction = 'CREDIT' then e.amount_cents else -e.amount_cents end) < 0) g`),
    );
    const [eventsWithoutEntries] = rowsOf<{ n: number }>(
      await db().execute(sql`select count(*)::int as n from coin_events ev where not exists (select 1 from coin_ledger_entries e where e.event_id = ev.id)`),
    );
    const checks: Record<string, number> = {
      mint_events: mintEvents.length,
      mint_events_without_payment_event: withoutPayment,
      mint_events_with_non_minted_payment_event: nonMinted,
      payment_events_linked_to_non_mint_event: nonMintLinked,
      unbalanced_event_groups: Number(unbalanced.n),
      unknown_account_entries: Number(unknown.n),
      suspended_account_entries: Number(suspended.n),
      negative_user_balances: Number(negative.n),
      events_without_entries: Number(eventsWithoutEntries.n),
    };
    const failures = Object.entries(checks)
      .filter(([k, v]) => k !== 'mint_events' && v !== 0)
      .map(([k, v]) => `${k}=${v}`);
    return { ok: failures.length === 0, checks, failures };
  }

  /** The month's entries in (created_at, id) order, hashed and written as CSV like the original. */
  async function buildSnapshot(period: string) {
    const range = monthRange(period);
    if (!range) throw new Error('--month must be YYYY-MM');
    const rows = await db()
      .select({ e: coinLedgerEntries, ev: coinEvents })
      .from(coinLedgerEntries)
      .innerJoin(coinEvents, eq(coinEvents.id, coinLedgerEntries.eventId))
      .where(and(gte(coinLedgerEntries.createdAt, range.start), lt(coinLedgerEntries.createdAt, range.end), eq(coinEvents.rulesetVersion, 'v1')))
      .orderBy(asc(coinLedgerEntries.createdAt), asc(coinLedgerEntries.id));
    const hash = createHash('sha256');
    const header = 'id,event_id,event_type,account_key,direction,amount_cents,currency,entry_metadata,event_metadata,created_at';
    const lines = [header];
    const events = new Set<number>();
    let volume = 0;
    for (const { e, ev } of rows) {
      const obj = {
        id: e.id,
        event_id: ev.id,
        event_type: ev.eventType,
        account_key: e.accountKey,
        direction: e.direction,
        amount_cents: e.amountCents,
        currency: e.currency,
        entry_metadata: e.metadata,
        event_metadata: ev.metadata,
        created_at: pyIso(e.createdAt),
      };
      hash.update(pyJson(obj));
      events.add(ev.id);
      volume += e.amountCents;
      lines.push(
        [String(e.id), String(ev.id), ev.eventType, e.accountKey, e.direction, String(e.amountCents), e.currency, pyJson(e.metadata), pyJson(ev.metadata), obj.created_at].map(csvCell).join(','),
      );
    }
    const csv = Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'utf8');
    const ledgerHash = hash.digest('hex');
    const csvSha256 = createHash('sha256').update(csv).digest('hex');
    const manifest = { csv_sha256: csvSha256, ledger_hash: ledgerHash, period, total_entries: rows.length, total_events: events.size, total_volume_cents: volume };
    return { csv, manifest, ledgerHash, csvSha256 };
  }

  async function storeSnapshot(m: { period: string; ledger_hash: string; total_events: number; total_entries: number; total_volume_cents: number }) {
    const [row] = await db()
      .insert(coinMonthlySnapshots)
      .values({ period: m.period, ledgerHash: m.ledger_hash, totalEvents: m.total_events, totalEntries: m.total_entries, totalVolumeCents: m.total_volume_cents })
      .onConflictDoNothing()
      .returning();
    return row ?? null;
  }

  /** Creates the missing `user:<id>` accounts, walking users by id in batches. */
  async function backfillAccounts(batchSize: number, onBatch?: (upTo: number, created: number) => void): Promise<number> {
    let after = 0;
    let total = 0;
    for (;;) {
      const ids = rowsOf<{ id: number }>(await db().execute(sql`select id from users where id > ${after} order by id limit ${batchSize}`)).map((r) => Number(r.id));
      if (!ids.length) break;
      const created = await db()
        .insert(coinAccounts)
        .values(ids.map((id) => ({ userId: id, accountKey: `user:${id}` })))
        .onConflictDoNothing()
        .returning({ id: coinAccounts.id });
      after = ids[ids.length - 1];
      total += created.length;
      onBatch?.(after, created.length);
    }
    return total;
  }

  async function snapshotExists(period: string) {
    const [r] = await db().select({ id: coinMonthlySnapshots.id }).from(coinMonthlySnapshots).where(eq(coinMonthlySnapshots.period, period)).limit(1);
    return Boolean(r);
  }

  /** Sum of all balances (always 0 in a balanced ledger) and of user balances. */
  async function totals() {
    const [r] = rowsOf<{ all: number; users: number }>(
      await db().execute(sql`select coalesce(sum(case when direction = 'CREDIT' then amount_cents else -amount_cents end), 0)::bigint as all,
        coalesce(sum(case when account_key like 'user:%' then (case when direction = 'CREDIT' then amount_cents else -amount_cents end) else 0 end), 0)::bigint as users
        from coin_ledger_entries`),
    );
    return { all: Number(r.all), users: Number(r.users) };
  }

  return { invariantCheck, buildSnapshot, storeSnapshot, snapshotExists, backfillAccounts, totals };
}
