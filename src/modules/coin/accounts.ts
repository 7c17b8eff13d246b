// Coin accounts as such: staff suspend and reactivate them; the app resolves a recipient's account key.
import { eq } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { accountByKey, ensureUserAccount, userKey } from './ledger.js';
import { coinAccounts } from './schema.js';

export function createCoinAccounts(ctx: Ctx) {
  const db = () => ctx.db;

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

  return { setAccountStatus, recipientId, userIdForKey };
}
