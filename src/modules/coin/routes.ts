// coin/* endpoints, me/entitlements/ and users/me/recipient-id/ (all need a signed-in user).
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { declareRouteErrors, fieldError, unauthorized } from '../../platform/http/errors.js';
import { MAX_CENTS } from './ledger.js';
import { CoinErrors } from './errors.js';
import { idempotencyKey, scope } from '../../platform/http/route-helpers.js';


const Amount = Type.Integer({ minimum: 1, maximum: MAX_CENTS });
const State = Type.Object({ active: Type.Boolean(), active_until: Type.Union([Type.String(), Type.Null()]) });
export const EntitlementsSchema = Type.Object({ premium: State, premium_plus: State });
const Open = Type.Object({}, { additionalProperties: true });

const ProductSchema = Type.Object({
  code: Type.String(),
  title: Type.String(),
  description: Type.String(),
  price_slc: Type.Integer(),
  duration_days: Type.Union([Type.Integer(), Type.Null()]),
  entitlement_key: Type.String(),
  is_active: Type.Boolean(),
});

const EntrySchema = Type.Object({
  id: Type.Integer(),
  event_id: Type.Integer(),
  event_type: Type.String(),
  occurred_at: Type.String(),
  account_key: Type.String(),
  amount_cents: Type.Integer(),
  currency: Type.String(),
  direction: Type.String(),
  note: Type.String(),
  event_metadata: Open,
  metadata: Open,
  created_at: Type.String(),
});

const TransferResponse = Type.Object({
  event_id: Type.Integer(),
  to_user_id: Type.Integer(),
  amount_cents: Type.Integer(),
  fee_cents: Type.Integer(),
  total_debit_cents: Type.Integer(),
  balance_cents: Type.Integer(),
  currency: Type.String(),
});
const SpendResponse = Type.Object({ event_id: Type.Integer(), amount_cents: Type.Integer(), reference: Type.String(), balance_cents: Type.Integer(), currency: Type.String() });


const me = (req: FastifyRequest) => {
  if (!req.user) throw unauthorized();
  return req.user.id;
};


export async function coinRoutes(app: App, ctx: Ctx) {
  const coin = ctx.services.coin;
  const t = ctx.config.money.throttles;
  const E = CoinErrors.specs;
  const debit = [E.insufficientFunds, E.accountInactive, E.idempotencyConflict];
  declareRouteErrors(app, [
    ['GET', /\/coin\/ledger$/, [E.invalidLimit, E.invalidCursor]],
    ['POST', /\/coin\/transfer$/, [E.invalidReceiver, E.selfTransfer, ...debit]],
    ['POST', /\/coin\/spend$/, debit],
    ['PATCH', /\/coin\/products\/:code$/, [E.productNotFound]],
    ['POST', /\/coin\/purchase$/, [E.productNotFound, E.purchaseUnpaid, E.accountInactive, E.idempotencyConflict, E.invalidAmount]],
  ]);

  app.get('/coin/balance', { schema: { tags: ['coin'], response: { 200: Type.Object({ account_key: Type.String(), balance_cents: Type.Integer(), currency: Type.String() }) } } }, async (req) =>
    coin.balance(me(req)),
  );

  app.get(
    '/coin/ledger',
    {
      schema: {
        tags: ['coin'],
        description: 'The caller\'s ledger entries, newest first; `next_cursor` pages on.',
        querystring: Type.Object({ limit: Type.Optional(Type.String()), cursor: Type.Optional(Type.String()) }, { additionalProperties: true }),
        response: { 200: Type.Object({ results: Type.Array(EntrySchema), next_cursor: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (req) => {
      let limit = 50;
      if (req.query.limit !== undefined && req.query.limit !== '') {
        if (!/^-?\d{1,9}$/.test(req.query.limit.trim())) throw CoinErrors.invalidLimit();
        limit = Math.min(200, Math.max(1, Number(req.query.limit)));
      }
      const cursor = req.query.cursor || undefined;
      if (cursor && cursor.length > 512) throw CoinErrors.invalidCursor();
      return coin.ledger(me(req), limit, cursor);
    },
  );

  app.post(
    '/coin/transfer',
    {
      config: { rateLimit: scope('coin_transfer', t.transfer) },
      schema: {
        tags: ['coin'],
        description: 'Moves SLC to another user. Optional `Idempotency-Key` header: a retry with the same key and body returns the first result.',
        body: Type.Object(
          {
            to_user_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 999_999_999_999_999 })),
            receiver_account_key: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
            amount_cents: Amount,
            note: Type.Optional(Type.String({ maxLength: 255 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: TransferResponse },
      },
    },
    async (req, reply) => {
      const sender = me(req);
      const key = idempotencyKey(req, false);
      const b = req.body;
      const rawKey = b.receiver_account_key?.trim();
      if (b.to_user_id === undefined && !rawKey) throw fieldError('non_field_errors', 'invalid_receiver');
      let receiver: number | null = null;
      if (rawKey) {
        // A `user:<id>` key names an account even before its first use (accounts are created lazily).
        const m = /^user:([1-9]\d{0,14})$/.exec(rawKey);
        const u = m ? await ctx.services.users.getById(Number(m[1])) : null;
        receiver = u?.isActive ? await coin.userIdForKey(rawKey, u.id) : null;
        if (receiver === null) throw CoinErrors.invalidReceiver();
      }
      if (b.to_user_id !== undefined) {
        const u = await ctx.services.users.getById(b.to_user_id);
        if (!u || !u.isActive || (receiver !== null && receiver !== b.to_user_id)) throw CoinErrors.invalidReceiver();
        receiver = b.to_user_id;
      }
      if (receiver === null || receiver === sender) throw CoinErrors.invalidReceiver();
      const r = await coin.transfer(sender, { toUserId: receiver, amountCents: b.amount_cents, note: b.note, idempotencyKey: key });
      return reply.status(201).send(r.body as never);
    },
  );

  app.post(
    '/coin/spend',
    {
      config: { rateLimit: scope('coin_spend', t.spend) },
      schema: {
        tags: ['coin'],
        description: 'Spends SLC (credited to revenue). Optional `Idempotency-Key` header.',
        body: Type.Object({ amount_cents: Amount, reference: Type.String({ minLength: 1, maxLength: 128 }), note: Type.Optional(Type.String({ maxLength: 255 })) }, { additionalProperties: false }),
        response: { 201: SpendResponse },
      },
    },
    async (req, reply) => {
      const r = await coin.spend(me(req), { amountCents: req.body.amount_cents, reference: req.body.reference, note: req.body.note, idempotencyKey: idempotencyKey(req, false) });
      return reply.status(201).send(r.body as never);
    },
  );

  app.get('/coin/products', { schema: { tags: ['coin'], response: { 200: Type.Array(ProductSchema) } } }, async (req) => {
    me(req);
    return coin.products();
  });

  const ProductPatch = {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    price_slc: Type.Optional(Amount),
    duration_days: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 36_500 }), Type.Null()])),
    entitlement_key: Type.Optional(Type.Union([Type.Literal('premium'), Type.Literal('premium_plus')])),
    is_active: Type.Optional(Type.Boolean()),
    sort_order: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
  };
  type ProductBody = { title?: string; description?: string; price_slc?: number; duration_days?: number | null; entitlement_key?: 'premium' | 'premium_plus'; is_active?: boolean; sort_order?: number };
  const patchOf = (b: ProductBody) => ({
    ...(b.title !== undefined && { title: b.title }),
    ...(b.description !== undefined && { description: b.description }),
    ...(b.price_slc !== undefined && { priceSlc: b.price_slc }),
    ...(b.duration_days !== undefined && { durationDays: b.duration_days }),
    ...(b.entitlement_key !== undefined && { entitlementKey: b.entitlement_key }),
    ...(b.is_active !== undefined && { isActive: b.is_active }),
    ...(b.sort_order !== undefined && { sortOrder: b.sort_order }),
  });

  app.post(
    '/coin/products',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['coin'],
        description: 'Staff: adds a product.',
        body: Type.Object({ code: Type.String({ pattern: '^[a-z0-9_]{1,64}$' }), ...ProductPatch, title: Type.String({ minLength: 1, maxLength: 128 }), price_slc: Amount, entitlement_key: Type.Union([Type.Literal('premium'), Type.Literal('premium_plus')]) }, { additionalProperties: false }),
        response: { 201: ProductSchema },
      },
    },
    async (req, reply) => reply.status(201).send((await coin.upsertProduct(req.body.code, patchOf(req.body as ProductBody), true))!),
  );

  app.patch(
    '/coin/products/:code',
    {
      config: { auth: 'staff' },
      schema: { tags: ['coin'], description: 'Staff: edits or deactivates a product.', params: Type.Object({ code: Type.String({ maxLength: 64 }) }), body: Type.Object(ProductPatch, { additionalProperties: false }), response: { 200: ProductSchema } },
    },
    async (req) => {
      const p = await coin.upsertProduct(req.params.code, patchOf(req.body as ProductBody), false);
      if (!p) throw CoinErrors.productNotFound();
      return p;
    },
  );

  app.post(
    '/coin/purchase',
    {
      config: { rateLimit: scope('coin_spend', t.spend) },
      schema: {
        tags: ['coin'],
        description: 'Buys a product with SLC. `idempotency_key` makes retries charge once and extend the entitlement once.',
        body: Type.Object(
          {
            product_code: Type.String({ minLength: 1, maxLength: 64 }),
            quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 12, default: 1 })),
            idempotency_key: Type.String({ maxLength: 255 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ ok: Type.Boolean(), product_code: Type.String(), charged_slc: Type.Integer(), balance_slc: Type.Integer(), entitlements: EntitlementsSchema, ledger_tx_id: Type.String() }),
        },
      },
    },
    async (req, reply) => {
      const key = req.body.idempotency_key.trim();
      if (!key) throw fieldError('idempotency_key', 'This field may not be blank.');
      const r = await coin.purchase(me(req), { productCode: req.body.product_code, quantity: req.body.quantity ?? 1, idempotencyKey: key });
      return reply.status(200).send(r.body);
    },
  );

  app.get('/me/entitlements', { schema: { tags: ['coin'], response: { 200: EntitlementsSchema } } }, async (req) => coin.entitlements(me(req)));
}
