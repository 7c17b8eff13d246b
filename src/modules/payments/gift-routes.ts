// payments/gifts/: the gift catalogue (public reads, staff writes; DELETE deactivates).
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { ApiError } from '../../platform/http/errors.js';
import { clampPageSize, cursorPage, decodeCursor, paginate } from '../../platform/http/pagination.js';
import { IdParam, PageQuery } from '../../platform/http/schemas.js';
import { PaymentErrors as E } from './errors.js';
import { validateEffects } from './gifts.js';
import { Open, originOf } from './http.js';

const GiftBody = {
  key: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), Type.Null()])),
  name: Type.String({ minLength: 1, maxLength: 64 }),
  price_cents: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
  price_slc_cents: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
  kind: Type.Optional(Type.Union([Type.Literal('static'), Type.Literal('animated')])),
  art_url: Type.Optional(Type.String({ maxLength: 500 })),
  media_url: Type.Optional(Type.String({ maxLength: 500 })),
  animation_url: Type.Optional(Type.String({ maxLength: 500 })),
  is_active: Type.Optional(Type.Boolean()),
  effects: Type.Optional(Type.Union([Open, Type.Null()])),
  metadata: Type.Optional(Open),
};
const GiftPatch = Type.Object({ ...GiftBody, name: Type.Optional(GiftBody.name), price_cents: Type.Optional(GiftBody.price_cents) }, { additionalProperties: false });

const COLUMNS: Record<string, string> = {
  key: 'key',
  name: 'name',
  price_cents: 'priceCents',
  price_slc_cents: 'priceSlcCents',
  kind: 'kind',
  art_url: 'artUrl',
  media_url: 'mediaUrl',
  animation_url: 'animationUrl',
  is_active: 'isActive',
  effects: 'effects',
  metadata: 'metadata',
};

/** Wire fields → columns, effects validated (null = none). */
function giftValues(b: Record<string, unknown>) {
  if (b.effects !== undefined) {
    const err = validateEffects(b.effects);
    if (err) throw new ApiError(400, { effects: [err] });
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b)) if (COLUMNS[k]) out[COLUMNS[k]] = k === 'effects' && v === null ? {} : v;
  return out;
}

export async function giftRoutes(app: App, ctx: Ctx) {
  const money = ctx.config.money;
  const gifts = ctx.services.payments.gifts;
  const origin = (req: FastifyRequest) => originOf(ctx.config.publicBaseUrl, req);

  app.get('/payments/gifts', { config: { auth: 'none' }, schema: { tags: ['payments'], querystring: Type.Object(PageQuery) } }, async (req) => {
    if (!money.paymentsEnabled) return { next: null, previous: null, results: [] };
    const limit = clampPageSize(req.query.page_size);
    const page = paginate(await gifts.listActive(decodeCursor(req.query.cursor), limit), limit);
    return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, page.rows.map((g) => gifts.present(g, origin(req))));
  });

  app.get('/payments/gifts/:id', { config: { auth: 'none' }, schema: { tags: ['payments'], params: IdParam } }, async (req) => {
    const g = await gifts.get(req.params.id);
    if (!g || !g.isActive) throw E.giftTypeNotFound();
    return gifts.present(g, origin(req));
  });

  app.post('/payments/gifts', { config: { auth: 'staff' }, schema: { tags: ['payments'], description: 'Staff: adds a gift type.', body: Type.Object(GiftBody, { additionalProperties: false }) } }, async (req, reply) => {
    const row = await gifts.create(giftValues(req.body) as never);
    return reply.status(201).send(gifts.present(row, origin(req)));
  });

  const patch = async (req: FastifyRequest, id: number, body: Record<string, unknown>) => {
    const row = await gifts.update(id, giftValues(body));
    if (!row) throw E.giftTypeNotFound();
    return gifts.present(row, origin(req));
  };
  app.patch('/payments/gifts/:id', { config: { auth: 'staff' }, schema: { tags: ['payments'], params: IdParam, body: GiftPatch } }, async (req) => patch(req, req.params.id, req.body));
  app.put('/payments/gifts/:id', { config: { auth: 'staff' }, schema: { tags: ['payments'], params: IdParam, body: GiftPatch } }, async (req) => patch(req, req.params.id, req.body));
  app.delete('/payments/gifts/:id', { config: { auth: 'staff' }, schema: { tags: ['payments'], description: 'Staff: deactivates a gift type (sent gifts keep it).', params: IdParam } }, async (req, reply) => {
    if (!(await gifts.update(req.params.id, { isActive: false }))) throw E.giftTypeNotFound();
    return reply.status(204).send();
  });
}
