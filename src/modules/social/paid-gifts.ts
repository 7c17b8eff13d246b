// Paid gifts on posts and comments: the SLC charge (through ctx.services.coin, holding the
// sender's account lock) and the reaction row are one transaction; replays by Idempotency-Key
// return the first reaction; `gift.received` goes to post:<id>/comment:<id> after the commit.
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { ApiError } from '../../platform/http/errors.js';
import type { GiftTypeRow } from '../payments/schema.js';
import type { PresentedGiftType } from '../payments/gifts.js';
import { paidReactions, type PaidReactionRow } from './schema.js';
import { SocialErrors } from './errors.js';
import { dropPostPages } from './page-tags.js';

export type GiftTarget = { type: 'post' | 'comment'; id: number };

const giftError = (status: number, detail: string, code: string) => new ApiError(status, { detail, code });

export function createPaidGifts(ctx: Ctx) {
  const db = () => ctx.db;

  function presentReaction(r: PaidReactionRow, giftType: PresentedGiftType) {
    return {
      id: r.id,
      sender_id: r.senderId,
      target_type: r.targetType,
      post: r.postId,
      comment: r.commentId,
      gift_type: giftType,
      quantity: r.quantity,
      total_amount_cents: r.totalAmountCents,
      created_at: r.createdAt.toISOString(),
      idempotency_key: r.idempotencyKey,
    };
  }

  async function publish(r: PaidReactionRow, g: GiftTypeRow, origin: string | null) {
    try {
      const gt = ctx.services.payments.gifts.present(g, origin);
      const now = new Date();
      const event: Record<string, unknown> = {
        type: 'gift.received',
        id: r.id,
        target: { type: r.targetType, id: r.targetType === 'post' ? r.postId : r.commentId },
        sender: { id: r.senderId },
        gift_type: { ...gt, price_slc_cents: gt.price_slc_cents || gt.price_cents },
        quantity: r.quantity,
        total_amount_cents: r.totalAmountCents,
        created_at: r.createdAt.toISOString(),
        server_time: now.toISOString(),
      };
      if (gt.effects.persist.mode === 'window' && gt.effects.persist.window_seconds > 0) {
        event.expires_at = new Date(now.getTime() + gt.effects.persist.window_seconds * 1000).toISOString();
      }
      await ctx.services.realtime.publish(`${r.targetType}:${event.target && (event.target as { id: number }).id}`, event);
    } catch (err) {
      ctx.log.warn({ err, reaction: r.id }, 'gift_received publish failed');
    }
  }

  /** `visible` is the target as the sender may see it (null: hidden, private, blocked or gone → 404). */
  async function send(senderId: number, target: GiftTarget, t: { authorId: number } | null, input: { giftTypeId: number; quantity: number; note?: string; key: string }, origin: string | null) {
    if (!t) throw target.type === 'post' ? SocialErrors.postNotFound() : SocialErrors.commentNotFound();
    const gift = await ctx.services.payments.gifts.get(input.giftTypeId);
    if (!gift) throw giftError(404, 'GiftType not found.', 'invalid_gift_type');
    if (!gift.isActive) throw giftError(400, 'Gift is not active.', 'gift_inactive');
    const unit = gift.priceSlcCents || gift.priceCents;
    const total = unit * input.quantity;
    if (!Number.isSafeInteger(total) || total <= 0) throw giftError(400, 'invalid_amount', 'invalid_amount');
    const share = Math.floor((total * ctx.config.money.giftCreatorShareBps) / 10_000);
    const giftRef = gift.key ?? String(gift.id);

    const r = await ctx.services.coin.withPayer(senderId, async (payer) => {
      // Under the sender's account lock: a concurrent retry with the same key waits here, then replays.
      const [prior] = await payer.tx
        .select()
        .from(paidReactions)
        .where(and(eq(paidReactions.senderId, senderId), eq(paidReactions.idempotencyKey, input.key)))
        .limit(1);
      if (prior) {
        const sameTarget = prior.targetType === target.type && (target.type === 'post' ? prior.postId : prior.commentId) === target.id;
        if (!sameTarget || prior.giftTypeId !== gift.id || prior.quantity !== input.quantity) throw giftError(400, 'Idempotency key conflict.', 'idempotency_conflict');
        return { row: prior, replayed: true, balance: await payer.balance() };
      }
      const { event, balanceCents } = await payer.spend({
        amountCents: total,
        reference: `gift:${target.type}:${target.id}:${giftRef}`,
        note: input.note?.trim() || `gift:${giftRef} x${input.quantity}`,
        metadata: { gift_type_id: gift.id, quantity: input.quantity, target_type: target.type, target_id: target.id, creator_share_cents: t.authorId === senderId ? 0 : share },
        share: { userId: t.authorId, cents: share },
      });
      const [row] = await payer.tx
        .insert(paidReactions)
        .values({
          senderId,
          targetType: target.type,
          postId: target.type === 'post' ? target.id : null,
          commentId: target.type === 'comment' ? target.id : null,
          giftTypeId: gift.id,
          quantity: input.quantity,
          totalAmountCents: total,
          coinEventId: event.id,
          idempotencyKey: input.key,
          note: (input.note ?? '').slice(0, 255),
        })
        .returning();
      return { row, replayed: false, balance: balanceCents };
    });
    if (!r.replayed && target.type === 'post') dropPostPages(ctx, [target.id]);
    if (!r.replayed) await publish(r.row, gift, origin);
    return { status: r.replayed ? 200 : 201, body: { reaction: presentReaction(r.row, ctx.services.payments.gifts.present(gift, origin)), slc_balance_cents: r.balance, currency: 'SLC' } };
  }

  /** recent_gifts (newest five) and gift_summary (gift key → quantity) for a page of posts or comments. */
  async function giftData(kind: 'post' | 'comment', ids: number[], origin: string) {
    const out = new Map<number, { recent: Record<string, unknown>[]; summary: Record<string, number> }>();
    for (const id of ids) out.set(id, { recent: [], summary: {} });
    if (!ids.length) return out;
    const col = kind === 'post' ? paidReactions.postId : paidReactions.commentId;
    const ranked = db()
      .select({
        id: paidReactions.id,
        target: sql<number>`${col}`.as('target'),
        giftTypeId: paidReactions.giftTypeId,
        quantity: paidReactions.quantity,
        total: paidReactions.totalAmountCents,
        senderId: paidReactions.senderId,
        createdAt: paidReactions.createdAt,
        rn: sql<number>`row_number() over (partition by ${col} order by ${paidReactions.createdAt} desc, ${paidReactions.id} desc)`.as('rn'),
      })
      .from(paidReactions)
      .where(inArray(col, ids))
      .as('ranked');
    const [recent, sums] = await Promise.all([
      db().select().from(ranked).where(sql`${ranked.rn} <= 5`).orderBy(desc(ranked.createdAt), desc(ranked.id)),
      db()
        .select({ target: col, giftTypeId: paidReactions.giftTypeId, n: sql<number>`sum(${paidReactions.quantity})::int` })
        .from(paidReactions)
        .where(inArray(col, ids))
        .groupBy(col, paidReactions.giftTypeId),
    ]);
    const types = await ctx.services.payments.gifts.getMany([...recent.map((r) => r.giftTypeId), ...sums.map((s) => s.giftTypeId)]);
    for (const s of sums) {
      const g = types.get(s.giftTypeId);
      const entry = out.get(Number(s.target));
      if (entry) entry.summary[g?.key ?? String(s.giftTypeId)] = Number(s.n);
    }
    for (const r of recent) {
      const g = types.get(r.giftTypeId);
      const entry = out.get(Number(r.target));
      if (!entry || !g) continue;
      const gt = ctx.services.payments.gifts.present(g, origin);
      entry.recent.push({
        id: r.id,
        gift_type_id: g.id,
        gift_type: gt,
        key: gt.key,
        name: gt.name,
        kind: gt.kind,
        media_url: gt.media_url,
        art_url: gt.art_url,
        animation_url: gt.animation_url,
        quantity: r.quantity,
        count: r.quantity,
        total_amount_cents: Number(r.total),
        sender_id: r.senderId,
        created_at: new Date(r.createdAt).toISOString(),
      });
    }
    return out;
  }

  return { send, giftData };
}
