// The single write path of the SLC ledger: accounts, balances and balanced postings.
// The database re-checks every rule at commit (triggers in the coin_custom migration).
import { eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx, Tx } from '../../platform/db/index.js';
import { CoinErrors } from './errors.js';
import { coinAccounts, coinEvents, coinLedgerEntries, SYSTEM_ACCOUNTS, type CoinAccountRow, type CoinEventRow, type CoinEventType, type Direction } from './schema.js';

export interface EntryInput {
  accountKey: string;
  direction: Direction;
  amountCents: number;
  metadata?: Record<string, unknown>;
}

export interface PostInput {
  eventType: CoinEventType;
  entries: EntryInput[];
  createdBy?: number | null;
  metadata?: Record<string, unknown>;
  note?: string;
  idempotencyKey?: string | null;
}

/** Largest amount one posting line may carry (10^13 cents): far below 2^53, so sums stay exact. */
export const MAX_CENTS = 10_000_000_000_000;

export const userKey = (userId: number) => `user:${userId}`;
const signed = sql<number>`coalesce(sum(case when ${coinLedgerEntries.direction} = 'CREDIT' then ${coinLedgerEntries.amountCents} else -${coinLedgerEntries.amountCents} end), 0)::bigint`;

export async function accountByKey(q: DbOrTx, key: string): Promise<CoinAccountRow | null> {
  const [a] = await q.select().from(coinAccounts).where(eq(coinAccounts.accountKey, key)).limit(1);
  return a ?? null;
}

/** The user's account, created on first use. */
export async function ensureUserAccount(q: DbOrTx, userId: number): Promise<CoinAccountRow> {
  const key = userKey(userId);
  const found = await accountByKey(q, key);
  if (found) return found;
  await q.insert(coinAccounts).values({ userId, accountKey: key, label: '' }).onConflictDoNothing();
  return (await accountByKey(q, key))!;
}

/** Locks the user's account row for the rest of the transaction (every debit does this first). */
export async function lockUserAccount(tx: Tx, userId: number): Promise<CoinAccountRow> {
  const lock = () => tx.select().from(coinAccounts).where(eq(coinAccounts.accountKey, userKey(userId))).for('update');
  const [a] = await lock();
  if (a) return a;
  await ensureUserAccount(tx, userId);
  return (await lock())[0];
}

export async function balanceOf(q: DbOrTx, accountKey: string): Promise<number> {
  const [r] = await q.select({ b: signed }).from(coinLedgerEntries).where(eq(coinLedgerEntries.accountKey, accountKey));
  return Number(r?.b ?? 0);
}

function validate(entries: EntryInput[]) {
  if (!entries.length) throw CoinErrors.ledgerRefused('At least one entry is required.');
  let sum = 0;
  for (const e of entries) {
    if (!e.accountKey) throw CoinErrors.ledgerRefused('account_key is required.');
    if (e.direction !== 'DEBIT' && e.direction !== 'CREDIT') throw CoinErrors.ledgerRefused('Invalid direction.');
    if (!Number.isSafeInteger(e.amountCents) || e.amountCents <= 0 || e.amountCents > MAX_CENTS) throw CoinErrors.invalidAmount();
    if (e.accountKey.startsWith('system:') && !(SYSTEM_ACCOUNTS as readonly string[]).includes(e.accountKey)) throw CoinErrors.accountInvalid();
    sum += e.direction === 'CREDIT' ? e.amountCents : -e.amountCents;
  }
  if (sum !== 0) throw CoinErrors.ledgerRefused('Entries are not balanced.');
}

/** Posts one balanced event with its lines inside the caller's transaction. */
export async function postEvent(tx: Tx, input: PostInput, loaded: CoinAccountRow[] = []): Promise<CoinEventRow> {
  validate(input.entries);
  const keys = [...new Set(input.entries.map((e) => e.accountKey))];
  const known = new Map(loaded.map((a) => [a.accountKey, a]));
  const missing = keys.filter((k) => !known.has(k));
  const accounts = [...known.values(), ...(missing.length ? await tx.select().from(coinAccounts).where(inArray(coinAccounts.accountKey, missing)) : [])];
  const byKey = new Map(accounts.map((a) => [a.accountKey, a]));
  const unknown = keys.filter((k) => !byKey.has(k));
  if (unknown.length) throw CoinErrors.ledgerRefused(`Unknown account_key(s): ${unknown.sort().join(', ')}`);
  for (const a of accounts) {
    if (a.status !== 'active') throw CoinErrors.accountInactive();
    if (a.isSystem && !(SYSTEM_ACCOUNTS as readonly string[]).includes(a.accountKey)) throw CoinErrors.accountInvalid();
  }
  const [event] = await tx
    .insert(coinEvents)
    .values({
      eventType: input.eventType,
      createdBy: input.createdBy ?? null,
      idempotencyKey: input.idempotencyKey ?? null,
      metadata: input.metadata ?? {},
      note: (input.note ?? '').slice(0, 255),
    })
    .returning();
  const sorted = [...input.entries].sort(
    (a, b) => a.accountKey.localeCompare(b.accountKey) || a.direction.localeCompare(b.direction) || a.amountCents - b.amountCents,
  );
  await tx.insert(coinLedgerEntries).values(
    sorted.map((e) => ({ eventId: event.id, accountKey: e.accountKey, amountCents: e.amountCents, direction: e.direction, metadata: e.metadata ?? {}, createdAt: event.createdAt })),
  );
  return event;
}

export async function eventByKey(q: DbOrTx, key: string): Promise<CoinEventRow | null> {
  const [e] = await q.select().from(coinEvents).where(eq(coinEvents.idempotencyKey, key)).limit(1);
  return e ?? null;
}

/** Runs `fn` in a transaction that holds the payer's account row lock; refuses inactive payers. */
export async function withLockedPayer<T>(db: Db, userId: number, fn: (tx: Tx, account: CoinAccountRow) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    const account = await lockUserAccount(tx, userId);
    if (account.status !== 'active') throw CoinErrors.accountInactive();
    return fn(tx, account);
  });
}

export const sumSigned = signed;
