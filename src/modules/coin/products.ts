// The SLC store: products (staff edit them), purchases with SLC, and the entitlements they extend.
import { and, asc, eq } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { Tx } from '../../platform/db/index.js';
import { balanceOf, eventByKey, postEvent, withLockedPayer } from './ledger.js';
import { coinProducts, ENTITLEMENT_KEYS, userEntitlements, type CoinProductRow, type EntitlementKey } from './schema.js';
import { CoinErrors } from './errors.js';

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

const presentProduct = (p: CoinProductRow) => ({
  code: p.code,
  title: p.title,
  description: p.description,
  price_slc: p.priceSlc,
  duration_days: p.durationDays,
  entitlement_key: p.entitlementKey,
  is_active: p.isActive,
});

export function createCoinProducts(ctx: Ctx) {
  const db = () => ctx.db;

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
    if (!product) throw CoinErrors.productNotFound();
    const key = `purchase:${userId}:${input.idempotencyKey}`;
    return withLockedPayer(db(), userId, async (tx, account) => {
      const prior = await eventByKey(tx, key);
      if (prior) {
        if (prior.metadata.product_code !== input.productCode || prior.metadata.quantity !== input.quantity) throw CoinErrors.idempotencyConflict();
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
      if (!Number.isSafeInteger(total) || total <= 0) throw CoinErrors.invalidAmount('invalid_amount');
      const bal = await balanceOf(tx, account.accountKey);
      if (bal < total) throw CoinErrors.purchaseUnpaid();
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

  return { products, allProducts, upsertProduct, purchase, entitlements, hasEntitlement };
}
