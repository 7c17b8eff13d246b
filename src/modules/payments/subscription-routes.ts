// payments/subscriptions/: the caller's subscriptions, starting one through Stripe Checkout, the
// read-only PUT/PATCH of the original, cancel-and-delete, and the legacy wallet.
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { ApiError } from '../../platform/http/errors.js';
import { clampPageSize, cursorPage, decodeCursor, paginate } from '../../platform/http/pagination.js';
import { IdParam, PageQuery } from '../../platform/http/schemas.js';
import { PaymentErrors as E } from './errors.js';
import { me, Open } from './http.js';

const RedirectUrl = Type.String({ maxLength: 2000, pattern: '^https?://[^\\s]+$' });
const StartBody = Type.Object(
  {
    plan_id: Type.Union([Type.Integer({ minimum: 1, maximum: 999_999_999_999_999 }), Type.String({ pattern: '^[1-9][0-9]{0,14}$' })]),
    success_url: Type.Optional(RedirectUrl),
    cancel_url: Type.Optional(RedirectUrl),
  },
  { additionalProperties: false },
);

export async function subscriptionRoutes(app: App, ctx: Ctx) {
  const payments = ctx.services.payments;
  const subs = payments.subscriptions;
  const money = ctx.config.money;

  app.get('/payments/subscriptions/wallet', { schema: { tags: ['payments'], description: 'The legacy wallet (SLC balances live in coin/balance/).' } }, async (req) => payments.wallet(me(req)));

  app.get('/payments/subscriptions', { schema: { tags: ['payments'], querystring: Type.Object(PageQuery) } }, async (req) => {
    const limit = clampPageSize(req.query.page_size);
    const page = paginate(await subs.listOwn(me(req), decodeCursor(req.query.cursor), limit), limit);
    return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, await subs.present(page.rows));
  });

  app.get('/payments/subscriptions/:id', { schema: { tags: ['payments'], params: IdParam } }, async (req) => {
    const s = await subs.getOwn(me(req), req.params.id);
    if (!s) throw E.subscriptionNotFound();
    return (await subs.present([s]))[0];
  });

  app.post(
    '/payments/subscriptions',
    {
      schema: {
        tags: ['payments'],
        description:
          'Starts a subscription to an active plan: the row is `incomplete` until Stripe reports it; a plan with a Stripe price returns a subscription-mode Checkout Session. An already running subscription to the plan → 409.',
        body: StartBody,
      },
    },
    async (req, reply) => {
      const user = me(req);
      if (!money.paymentsEnabled) throw E.paymentsDisabled();
      const plan = await subs.getPlan(Number(req.body.plan_id), { activeOnly: true });
      if (!plan) throw new ApiError(400, { plan_id: ['Plan not available'] });
      const out = await subs.start(user, plan, { successUrl: req.body.success_url, cancelUrl: req.body.cancel_url });
      return reply.status(201).send(out);
    },
  );

  // The original's serializer makes every field read-only: PUT/PATCH change nothing and answer the row.
  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/payments/subscriptions/:id',
      schema: { tags: ['payments'], description: 'Read-only fields: changes nothing.', params: IdParam, body: Type.Optional(Open) },
      handler: async (req) => {
        const s = await subs.getOwn(me(req), (req.params as { id: number }).id);
        if (!s) throw E.subscriptionNotFound();
        return (await subs.present([s]))[0];
      },
    });
  }

  app.delete('/payments/subscriptions/:id', { schema: { tags: ['payments'], description: 'Cancels the Stripe subscription (if any) and deletes the row.', params: IdParam } }, async (req, reply) => {
    if (!(await subs.remove(me(req), req.params.id))) throw E.subscriptionNotFound();
    return reply.status(204).send();
  });
}
