// The coin module's rules: balances, the ledger page, transfers, spends, products, purchases,
// entitlements and the mint other modules (payments) call inside their own transaction.
import { createHash } from 'node:crypto';
import { and, asc, desc, eq, inArray, lt, or } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { Tx } from '../../platform/db/index.js';
import { ApiError } from '../../platform/http/errors.js';
import {
  CoinError,
  accountByKey,
  balanceOf,
  ensureUserAccount,
  eventByKey,
  insufficientFunds,
  postEvent,
  userKey,
  withLockedPayer,
  type EntryInput,
} from './ledger.js';
import { coinAccounts, coinEvents, coinIdempotency, coinLedgerEntries, coinProducts, ENTITLEMENT_KEYS, userEntitlements, type CoinAccountRow, type CoinEventRow, type CoinProductRow, type EntitlementKey } from './schema.js';
import { createCoinOps } from './ops.js';

export { CoinError } from './ledger.js';

export interface EntitlementState {
  active: boolean;
  active_until: string | null;
}
export type Entitlements = Record<EntitlementKey, EntitlementState>;

/** Which stored entitlements grant a feature key (`hasEntitlement`). */
const GRANTS: Record<string, EntitlementKey[]> = {
  premium: ['premium', 'premium_plus'],
  premium_plus: ['premium_plus'],
  soulmatch_premium: ['premium', 'premium_plus'],
  soulmatch_premium_plus: ['premium_plus'],
};

/** A product without a duration grants a lifetime entitlement (the original granted an inactive one). */
const LIFETIME = new Date('9999-12-31T00:00:00.000Z');

export interface Payer {
  tx: Tx;
  account: CoinAccountRow;
  balance(): Promise<number>;
  /**
   * Debits the payer (balance re-read under the lock) and credits revenue, minus an optional share
   * credited to another user's account in the same event.
   */
  spend(opts: { amountCents: number; reference: string; note?: string; metadata?: Record<string, unknown>; share?: { userId: number; cents: number } }): Promise<{ event: CoinEventRow; balanceCents: number }>;
}

const requestHash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');
const idempotencyConflict = () => new CoinError('idempotency_conflict', 'idempotency_conflict', 409);

/** Python isoformat of a UTC instant (+00:00, microseconds only when non-zero): cursors and hashes. */
export function pyIso(d: Date): string {
  const s = d.toISOString();
  const ms = d.getUTCMilliseconds();
  return `${s.slice(0, 19)}${ms ? `.${String(ms).padStart(3, '0')}000` : ''}+00:00`;
}

export function createCoinService(ctx: Ctx) {
  const db = () => ctx.db;

  // ---- reads ----

  async function balance(userId: number) {
    const account = await ensureUserAccount(db(), userId);
    return { account_key: account.accountKey, balance_cents: await balanceOf(db(), account.accountKey), currency: 'SLC' as const };
  }

  function encodeCursor(row: { id: number; createdAt: Date }) {
    return Buffer.from(JSON.stringify({ id: row.id, ts: pyIso(row.createdAt) })).toString('base64url');
  }

  const invalidCursor = () => new ApiError(400, { detail: 'Invalid cursor.', code: 'invalid_cursor' });

  /** Decodes a ledger cursor (base64url JSON {id, ts}, or a legacy bare entry id of this account). */
  async function decodeCursor(raw: string, accountKey: string): Promise<{ id: number; ts: Date }> {
    if (/^\d{1,15}$/.test(raw)) {
      const [e] = await db()
        .select({ id: coinLedgerEntries.id, createdAt: coinLedgerEntries.createdAt })
        .from(coinLedgerEntries)
        .where(and(eq(coinLedgerEntries.id, Number(raw)), eq(coinLedgerEntries.accountKey, accountKey)))
        .limit(1);
      if (!e) throw invalidCursor();
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
      throw invalidCursor();
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

  // ---- debits (each holds the payer's row lock from balance read to insert) ----

  function payerFor(tx: Tx, account: CoinAccountRow, userId: number): Payer {
    return {
      tx,
      account,
      balance: () => balanceOf(tx, account.accountKey),
      async spend(opts) {
        const bal = await balanceOf(tx, account.accountKey);
        if (bal < opts.amountCents) throw insufficientFunds();
        const entries: EntryInput[] = [{ accountKey: account.accountKey, direction: 'DEBIT', amountCents: opts.amountCents }];
        let revenue = opts.amountCents;
        if (opts.share && opts.share.cents > 0 && opts.share.userId !== userId) {
          const creator = await ensureUserAccount(tx, opts.share.userId);
          // A suspended creator's share stays with revenue rather than failing the sender's gift.
          if (creator.status === 'active') {
            const cents = Math.min(opts.share.cents, opts.amountCents);
            revenue -= cents;
            entries.push({ accountKey: creator.accountKey, direction: 'CREDIT', amountCents: cents, metadata: { role: 'creator_share' } });
          }
        }
        if (revenue > 0) entries.push({ accountKey: 'system:revenue', direction: 'CREDIT', amountCents: revenue });
        const event = await postEvent(tx, {
          eventType: 'spend',
          entries,
          createdBy: userId,
          metadata: { user_id: userId, reference: opts.reference, amount_cents: opts.amountCents, ...opts.metadata },
          note: opts.note ?? '',
        });
        return { event, balanceCents: bal - opts.amountCents };
      },
    };
  }

  /** Runs `fn` with the payer's account locked, in one transaction (social's paid gifts use it). */
  function withPayer<T>(userId: number, fn: (payer: Payer) => Promise<T>): Promise<T> {
    return withLockedPayer(db(), userId, (tx, account) => fn(payerFor(tx, account, userId)));
  }

  /** Replays a stored Idempotency-Key response, or refuses another body with the same key. */
  async function replay(tx: Tx, userId: number, scope: string, key: string | undefined, hash: string) {
    if (!key) return null;
    const [r] = await tx
      .select()
      .from(coinIdempotency)
      .where(and(eq(coinIdempotency.userId, userId), eq(coinIdempotency.scope, scope), eq(coinIdempotency.key, key)))
      .limit(1);
    if (!r) return null;
    if (r.requestHash !== hash) throw idempotencyConflict();
    return r.response;
  }

  async function remember(tx: Tx, userId: number, scope: string, key: string | undefined, hash: string, eventId: number, response: Record<string, unknown>) {
    if (key) await tx.insert(coinIdempotency).values({ userId, scope, key, requestHash: hash, eventId, response });
  }

  async function transfer(senderId: number, input: { toUserId: number; amountCents: number; note?: string; idempotencyKey?: string }) {
    if (input.toUserId === senderId) throw new CoinError('Cannot transfer to the same user.', 'invalid_receiver');
    const hash = requestHash(['transfer', input.toUserId, input.amountCents, input.note ?? '']);
    return withLockedPayer(db(), senderId, async (tx, account) => {
      const prior = await replay(tx, senderId, 'transfer', input.idempotencyKey, hash);
      if (prior) return { replayed: true, body: prior };
      const receiver = await ensureUserAccount(tx, input.toUserId);
      if (receiver.status !== 'active') throw new CoinError('Coin account is not active.', 'account_inactive');
      const bal = await balanceOf(tx, account.accountKey);
      const fee = 0;
      if (bal < input.amountCents + fee) throw insufficientFunds();
      const event = await postEvent(tx, {
        eventType: 'transfer',
        entries: [
          { accountKey: account.accountKey, direction: 'DEBIT', amountCents: input.amountCents },
          { accountKey: receiver.accountKey, direction: 'CREDIT', amountCents: input.amountCents },
        ],
        createdBy: senderId,
        metadata: { sender_user_id: senderId, to_user_id: input.toUserId, amount_cents: input.amountCents, fee_cents: fee },
        note: input.note ?? '',
      }, [account, receiver]);
      const body = {
        event_id: event.id,
        to_user_id: input.toUserId,
        amount_cents: input.amountCents,
        fee_cents: fee,
        total_debit_cents: input.amountCents + fee,
        balance_cents: bal - input.amountCents - fee,
        currency: 'SLC',
      };
      await remember(tx, senderId, 'transfer', input.idempotencyKey, hash, event.id, body);
      return { replayed: false, body };
    });
  }

  async function spend(userId: number, input: { amountCents: number; reference: string; note?: string; idempotencyKey?: string }) {
    const hash = requestHash(['spend', input.amountCents, input.reference, input.note ?? '']);
    return withLockedPayer(db(), userId, async (tx, account) => {
      const prior = await replay(tx, userId, 'spend', input.idempotencyKey, hash);
      if (prior) return { replayed: true, body: prior };
      const { event, balanceCents } = await payerFor(tx, account, userId).spend({ amountCents: input.amountCents, reference: input.reference, note: input.note });
      const body = { event_id: event.id, amount_cents: input.amountCents, reference: input.reference, balance_cents: balanceCents, currency: 'SLC' };
      await remember(tx, userId, 'spend', input.idempotencyKey, hash, event.id, body);
      return { replayed: false, body };
    });
  }

  /**
   * Mints SLC for a verified payment inside the payments module's transaction. One event per
   * idempotency key: a second call returns the first event.
   */
  async function mint(tx: Tx, input: { userId: number; amountCents: number; idempotencyKey: string; metadata: Record<string, unknown> }): Promise<CoinEventRow> {
    const existing = await eventByKey(tx, input.idempotencyKey);
    if (existing) return existing;
    const account = await ensureUserAccount(tx, input.userId);
    return postEvent(tx, {
      eventType: 'mint',
      entries: [
        { accountKey: 'system:mint', direction: 'DEBIT', amountCents: input.amountCents },
        { accountKey: account.accountKey, direction: 'CREDIT', amountCents: input.amountCents },
      ],
      metadata: { ...input.metadata, amount_cents: input.amountCents },
      idempotencyKey: input.idempotencyKey,
    });
  }

  // ---- products, purchases, entitlements ----

  const presentProduct = (p: CoinProductRow) => ({
    code: p.code,
    title: p.title,
    description: p.description,
    price_slc: p.priceSlc,
    duration_days: p.durationDays,
    entitlement_key: p.entitlementKey,
    is_active: p.isActive,
  });

  async function products() {
    const rows = await db().select().from(coinProducts).where(eq(coinProducts.isActive, true)).orderBy(asc(coinProducts.sortOrder), asc(coinProducts.priceSlc), asc(coinProducts.id));
    return rows.map(presentProduct);
  }

  /** Staff tools: every product, active or not. */
  async function allProducts() {
    const rows = await db().select().from(coinProducts).orderBy(asc(coinProducts.sortOrder), asc(coinProducts.priceSlc), asc(coinProducts.id));
    return rows.map((r) => ({ ...presentProduct(r), is_active: r.isActive }));
  }

  async function entitlements(userId: number, q: typeof ctx.db | Tx = db()): Promise<Entitlements> {
    const rows = await q.select().from(userEntitlements).where(eq(userEntitlements.userId, userId));
    const now = Date.now();
    const out = {} as Entitlements;
    for (const k of ENTITLEMENT_KEYS) {
      const r = rows.find((x) => x.key === k);
      const until = r?.activeUntil ?? null;
      out[k] = { active: until !== null && until.getTime() > now, active_until: until ? until.toISOString() : null };
    }
    return out;
  }

  async function hasEntitlement(userId: number, key: string): Promise<boolean> {
    const grants = GRANTS[key];
    if (!grants) return false;
    const e = await entitlements(userId);
    return grants.some((k) => e[k].active);
  }

  async function extend(tx: Tx, userId: number, key: EntitlementKey, until: (base: Date) => Date, meta: Record<string, unknown>): Promise<Date> {
    const [cur] = await tx.select().from(userEntitlements).where(and(eq(userEntitlements.userId, userId), eq(userEntitlements.key, key))).for('update');
    const now = new Date();
    const base = cur?.activeUntil && cur.activeUntil > now ? cur.activeUntil : now;
    const next = until(base);
    if (cur) await tx.update(userEntitlements).set({ activeUntil: next, source: 'slc', meta, updatedAt: now }).where(eq(userEntitlements.id, cur.id));
    else await tx.insert(userEntitlements).values({ userId, key, activeUntil: next, source: 'slc', meta });
    return next;
  }

  async function purchase(userId: number, input: { productCode: string; quantity: number; idempotencyKey: string }) {
    const [product] = await db().select().from(coinProducts).where(and(eq(coinProducts.code, input.productCode), eq(coinProducts.isActive, true))).limit(1);
    if (!product) throw new ApiError(404, { detail: 'Product not found.', code: 'not_found' });
    const key = `purchase:${userId}:${input.idempotencyKey}`;
    return withLockedPayer(db(), userId, async (tx, account) => {
      const prior = await eventByKey(tx, key);
      if (prior) {
        if (prior.metadata.product_code !== input.productCode || prior.metadata.quantity !== input.quantity) throw idempotencyConflict();
        return {
          status: 200,
          body: {
            ok: true,
            product_code: input.productCode,
            charged_slc: Number(prior.metadata.total_price_slc),
            balance_slc: await balanceOf(tx, account.accountKey),
            entitlements: await entitlements(userId, tx),
            ledger_tx_id: String(prior.id),
          },
        };
      }
      const total = product.priceSlc * input.quantity;
      if (!Number.isSafeInteger(total) || total <= 0) throw new CoinError('invalid_amount', 'invalid_amount');
      const bal = await balanceOf(tx, account.accountKey);
      if (bal < total) throw new CoinError('insufficient_funds', 'insufficient_funds', 402);
      const event = await postEvent(tx, {
        eventType: 'spend',
        entries: [
          { accountKey: account.accountKey, direction: 'DEBIT', amountCents: total },
          { accountKey: 'system:revenue', direction: 'CREDIT', amountCents: total },
        ],
        createdBy: userId,
        idempotencyKey: key,
        metadata: {
          user_id: userId,
          product_code: product.code,
          entitlement_key: product.entitlementKey,
          quantity: input.quantity,
          unit_price_slc: product.priceSlc,
          total_price_slc: total,
          reference: `product:${product.code}`,
        },
      });
      const days = product.durationDays;
      const add = (base: Date) => (days === null ? LIFETIME : new Date(base.getTime() + days * input.quantity * 86_400_000));
      const meta = { product_code: product.code, quantity: input.quantity, unit_price_slc: product.priceSlc, total_price_slc: total };
      const until = await extend(tx, userId, product.entitlementKey, add, meta);
      if (product.entitlementKey === 'premium_plus') {
        // Premium+ includes Premium: extended the same way, and never ending before Premium+.
        await extend(tx, userId, 'premium', (base) => {
          const d = add(base);
          return d < until ? until : d;
        }, { source: 'premium_plus' });
      }
      return {
        status: 200,
        body: { ok: true, product_code: product.code, charged_slc: total, balance_slc: bal - total, entitlements: await entitlements(userId, tx), ledger_tx_id: String(event.id) },
      };
    });
  }

  async function upsertProduct(code: string, patch: Partial<{ title: string; description: string; priceSlc: number; durationDays: number | null; entitlementKey: EntitlementKey; isActive: boolean; sortOrder: number }>, create: boolean) {
    if (create) {
      const [row] = await db()
        .insert(coinProducts)
        .values({ code, title: patch.title ?? code, description: patch.description ?? '', priceSlc: patch.priceSlc!, durationDays: patch.durationDays ?? null, entitlementKey: patch.entitlementKey!, isActive: patch.isActive ?? true, sortOrder: patch.sortOrder ?? 0 })
        .returning();
      return presentProduct(row);
    }
    const [row] = await db().update(coinProducts).set({ ...patch, updatedAt: new Date() }).where(eq(coinProducts.code, code)).returning();
    return row ? presentProduct(row) : null;
  }

  // ---- accounts (operations) ----

  async function setAccountStatus(accountKey: string, status: 'active' | 'suspended') {
    const [row] = await db()
      .update(coinAccounts)
      .set({ status, ...(status === 'suspended' && { suspendedAt: new Date() }), updatedAt: new Date() })
      .where(eq(coinAccounts.accountKey, accountKey))
      .returning();
    return row ?? null;
  }

  async function recipientId(userId: number) {
    const a = await ensureUserAccount(db(), userId);
    return { account_key: a.accountKey };
  }

  /** Resolves a `user:<id>` account key to an active user-linked account's user id (creating it for `userId`). */
  async function userIdForKey(key: string, userId: number): Promise<number | null> {
    const a = (await accountByKey(db(), key)) ?? (key === userKey(userId) ? await ensureUserAccount(db(), userId) : null);
    if (!a || a.isSystem || a.userId === null || a.status !== 'active') return null;
    return a.userId;
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

  const ops = createCoinOps(ctx);

  return {
    balance,
    ledger,
    transfer,
    spend,
    withPayer,
    mint,
    products,
    allProducts,
    upsertProduct,
    purchase,
    entitlements,
    hasEntitlement,
    setAccountStatus,
    recipientId,
    userIdForKey,
    balancesOf,
    ...ops,
  };
}

export type CoinService = ReturnType<typeof createCoinService>;
