// What a user's coin account shows: the balance, the ledger page (keyset cursor) and balances in bulk.
import { and, desc, eq, inArray, lt, or } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { balanceOf, ensureUserAccount, userKey } from './ledger.js';
import { coinEvents, coinLedgerEntries } from './schema.js';
import { CoinErrors } from './errors.js';

/** Python isoformat of a UTC instant (+00:00, microseconds only when non-zero): cursors and hashes. */
export function pyIso(d: Date): string {
  const s = d.toISOString();
  const ms = d.getUTCMilliseconds();
  return `${s.slice(0, 19)}${ms ? `.${String(ms).padStart(3, '0')}000` : ''}+00:00`;
}

function encodeCursor(row: { id: number; createdAt: Date }) {
  return Buffer.from(JSON.stringify({ id: row.id, ts: pyIso(row.createdAt) })).toString('base64url');
}

export function createCoinStatement(ctx: Ctx) {
  const db = () => ctx.db;

  async function balance(userId: number) {
    const account = await ensureUserAccount(db(), userId);
    return { account_key: account.accountKey, balance_cents: await balanceOf(db(), account.accountKey), currency: 'SLC' as const };
  }

  /** Decodes a ledger cursor (base64url JSON {id, ts}, or a legacy bare entry id of this account). */
  async function decodeCursor(raw: string, accountKey: string): Promise<{ id: number; ts: Date }> {
    if (/^\d{1,15}$/.test(raw)) {
      const [e] = await db()
        .select({ id: coinLedgerEntries.id, createdAt: coinLedgerEntries.createdAt })
        .from(coinLedgerEntries)
        .where(and(eq(coinLedgerEntries.id, Number(raw)), eq(coinLedgerEntries.accountKey, accountKey)))
        .limit(1);
      if (!e) throw CoinErrors.invalidCursor();
      return { id: e.id, ts: e.createdAt };
    }
    try {
      const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { id?: unknown; ts?: unknown };
      if (!v || typeof v !== 'object' || !Number.isSafeInteger(v.id) || typeof v.ts !== 'string') throw new Error('shape');
      const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$/.exec(v.ts);
      if (!m) throw new Error('ts');
      const frac = m[2] ? `.${m[2].slice(1, 4).padEnd(3, '0')}` : '';
      const ts = new Date(`${m[1]}${frac}${m[3] ?? 'Z'}`);
      if (Number.isNaN(ts.getTime())) throw new Error('ts');
      return { id: v.id as number, ts };
    } catch {
      throw CoinErrors.invalidCursor();
    }
  }

  /** The caller's entries, newest first (the app looks for a fresh mint on the first page). */
  async function ledger(userId: number, limit: number, cursor: string | undefined) {
    const account = await ensureUserAccount(db(), userId);
    const c = cursor ? await decodeCursor(cursor, account.accountKey) : null;
    const rows = await db()
      .select({ e: coinLedgerEntries, ev: coinEvents })
      .from(coinLedgerEntries)
      .innerJoin(coinEvents, eq(coinEvents.id, coinLedgerEntries.eventId))
      .where(
        and(
          eq(coinLedgerEntries.accountKey, account.accountKey),
          c ? or(lt(coinLedgerEntries.createdAt, c.ts), and(eq(coinLedgerEntries.createdAt, c.ts), lt(coinLedgerEntries.id, c.id))) : undefined,
        ),
      )
      .orderBy(desc(coinLedgerEntries.createdAt), desc(coinLedgerEntries.id))
      .limit(limit);
    const results = rows.map(({ e, ev }) => ({
      id: e.id,
      event_id: ev.id,
      event_type: ev.eventType,
      occurred_at: ev.occurredAt.toISOString(),
      account_key: e.accountKey,
      amount_cents: e.amountCents,
      currency: e.currency,
      direction: e.direction,
      note: ev.note,
      event_metadata: ev.metadata,
      metadata: e.metadata,
      created_at: e.createdAt.toISOString(),
    }));
    const last = rows[rows.length - 1];
    return { results, next_cursor: rows.length === limit && last ? encodeCursor(last.e) : null };
  }

  async function balancesOf(userIds: number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    if (!userIds.length) return out;
    const rows = await db()
      .select({ key: coinLedgerEntries.accountKey, direction: coinLedgerEntries.direction, amount: coinLedgerEntries.amountCents })
      .from(coinLedgerEntries)
      .where(inArray(coinLedgerEntries.accountKey, userIds.map(userKey)));
    for (const id of userIds) out.set(id, 0);
    for (const r of rows) {
      const id = Number(r.key.slice(5));
      out.set(id, out.get(id)! + (r.direction === 'CREDIT' ? r.amount : -r.amount));
    }
    return out;
  }

  return { balance, ledger, balancesOf };
}
