// POST posts/{id}/gifts/ and comments/{id}/gifts/: paid gifts (SLC), Idempotency-Key required.
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { ApiError } from '../../platform/http/errors.js';
import { IdParam } from '../../platform/http/schemas.js';
import { idempotencyKey, scope } from '../../platform/http/route-helpers.js';
import { author, IdLike, idOf } from './http.js';
import { createPaidGifts, type GiftTarget } from './paid-gifts.js';
import { SocialErrors } from './errors.js';

const Body = Type.Object(
  { gift_type_id: IdLike, quantity: Type.Optional(Type.Unknown()), note: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])) },
  { additionalProperties: false },
);

/** 1–50 as a number or a digit string; anything else is the contract's invalid_quantity. */
function quantityOf(v: unknown): number {
  const n = v === undefined || v === null ? 1 : typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,3}$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 50) throw SocialErrors.invalidQuantity();
  return n;
}

export async function paidGiftRoutes(app: App, ctx: Ctx) {
  const social = ctx.services.social;
  const paid = createPaidGifts(ctx);
  const origin = (req: FastifyRequest) => ctx.config.publicBaseUrl ?? `${req.protocol}://${req.host}`;
  const opts = {
    config: { rateLimit: scope('paid_reaction', ctx.config.money.throttles.paidReaction) },
    schema: { tags: ['gifts'], description: 'Sends a paid gift (SLC). Header `Idempotency-Key` required: a retry returns the first reaction (200).', params: IdParam, body: Body },
  };

  async function handle(request: FastifyRequest, kind: GiftTarget['type']) {
    const req = request as FastifyRequest<{ Params: { id: number }; Body: { gift_type_id: number | string; quantity?: unknown; note?: string | null } }>;
    const sender = author(req).id;
    if (!ctx.config.money.paymentsEnabled) throw new ApiError(403, { detail: 'Payments disabled' });
    const target = { type: kind, id: req.params.id };
    const visible = kind === 'post' ? await social.getPost(sender, target.id) : await social.getCommentForViewer(sender, target.id);
    if (!visible) throw kind === 'post' ? SocialErrors.postNotFound() : SocialErrors.commentNotFound();
    const key = idempotencyKey(req, true)!;
    if (key.length > 128) throw SocialErrors.invalidIdempotencyKey();
    const quantity = quantityOf(req.body.quantity);
    return paid.send(sender, target, visible, { giftTypeId: idOf(req.body.gift_type_id), quantity, note: req.body.note ?? undefined, key }, origin(req));
  }

  app.post('/posts/:id/gifts', opts, async (req, reply) => {
    const r = await handle(req, 'post');
    return reply.status(r.status).send(r.body);
  });
  app.post('/comments/:id/gifts', opts, async (req, reply) => {
    const r = await handle(req, 'comment');
    return reply.status(r.status).send(r.body);
  });
}
