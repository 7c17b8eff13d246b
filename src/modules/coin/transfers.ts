// Moving SLC: transfers between users, spends, the payer other modules debit inside one transaction
// (social's paid gifts), and the mint the payments module calls. Each debit holds the payer's row lock
// from balance read to insert; an Idempotency-Key replays the first answer.
import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { Tx } from '../../platform/db/index.js';
import { balanceOf, ensureUserAccount, eventByKey, postEvent, withLockedPayer, type EntryInput } from './ledger.js';
import { coinIdempotency, type CoinAccountRow, type CoinEventRow } from './schema.js';
import { CoinErrors } from './errors.js';

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

export function createCoinTransfers(ctx: Ctx) {
  const db = () => ctx.db;

  function payerFor(tx: Tx, account: CoinAccountRow, userId: number): Payer {
    return {
      tx,
      account,
      balance: () => balanceOf(tx, account.accountKey),
      async spend(opts) {
        const bal = await balanceOf(tx, account.accountKey);
        if (bal < opts.amountCents) throw CoinErrors.insufficientFunds();
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
    if (r.requestHash !== hash) throw CoinErrors.idempotencyConflict();
    return r.response;
  }

  async function remember(tx: Tx, userId: number, scope: string, key: string | undefined, hash: string, eventId: number, response: Record<string, unknown>) {
    if (key) await tx.insert(coinIdempotency).values({ userId, scope, key, requestHash: hash, eventId, response });
  }

  async function transfer(senderId: number, input: { toUserId: number; amountCents: number; note?: string; idempotencyKey?: string }) {
    if (input.toUserId === senderId) throw CoinErrors.selfTransfer();
    const hash = requestHash(['transfer', input.toUserId, input.amountCents, input.note ?? '']);
    return withLockedPayer(db(), senderId, async (tx, account) => {
      const prior = await replay(tx, senderId, 'transfer', input.idempotencyKey, hash);
      if (prior) return { replayed: true, body: prior };
      const receiver = await ensureUserAccount(tx, input.toUserId);
      if (receiver.status !== 'active') throw CoinErrors.accountInactive();
      const bal = await balanceOf(tx, account.accountKey);
      const fee = 0;
      if (bal < input.amountCents + fee) throw CoinErrors.insufficientFunds();
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

  return { transfer, spend, withPayer, mint };
}
