// payments/plans/: the subscription plans (public reads; staff writes, DELETE deactivates because
// subscriptions keep their plan).
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { clampPageSize, cursorPage, decodeCursor, paginate } from '../../platform/http/pagination.js';
import { IdParam, PageQuery } from '../../platform/http/schemas.js';
import { PaymentErrors as E } from './errors.js';
import { Open } from './http.js';
import { presentPlan, type PlanInput } from './subscriptions.js';

const PlanFields = {
  name: Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' }),
  price_cents: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
  /** Stripe's recurring intervals. */
  interval: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month'), Type.Literal('year')])),
  features: Type.Optional(Type.Union([Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50 }), Open])),
  is_active: Type.Optional(Type.Boolean()),
  /** The Stripe price a subscription checkout bills; without one the plan cannot be bought through Stripe. */
  external_price_id: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Za-z0-9_]{1,96}$' }), Type.Null()])),
};
const PlanBody = Type.Object(PlanFields, { additionalProperties: false });
const PlanPatch = Type.Object({ ...PlanFields, name: Type.Optional(PlanFields.name), price_cents: Type.Optional(PlanFields.price_cents) }, { additionalProperties: false });
const PlanSchema = Type.Object({ id: Type.Integer(), name: Type.String(), price_cents: Type.Integer(), interval: Type.String(), features: Type.Unknown(), is_active: Type.Boolean() });

type PlanWire = { name?: string; price_cents?: number; interval?: string; features?: unknown; is_active?: boolean; external_price_id?: string | null };

function planValues(b: PlanWire): Partial<PlanInput> {
  const out: Partial<PlanInput> = {};
  if (b.name !== undefined) out.name = b.name.trim();
  if (b.price_cents !== undefined) out.priceCents = b.price_cents;
  if (b.interval !== undefined) out.interval = b.interval;
  if (b.features !== undefined) out.features = b.features;
  if (b.is_active !== undefined) out.isActive = b.is_active;
  if (b.external_price_id !== undefined) out.externalPriceId = b.external_price_id;
  return out;
}

export async function planRoutes(app: App, ctx: Ctx) {
  const subs = ctx.services.payments.subscriptions;
  const money = ctx.config.money;

  app.get('/payments/plans', { config: { auth: 'none' }, schema: { tags: ['payments'], querystring: Type.Object(PageQuery) } }, async (req) => {
    if (!money.paymentsEnabled) return { next: null, previous: null, results: [] };
    const limit = clampPageSize(req.query.page_size);
    const page = paginate(await subs.listPlans(decodeCursor(req.query.cursor), limit), limit);
    return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, page.rows.map(presentPlan));
  });

  app.get('/payments/plans/:id', { config: { auth: 'none' }, schema: { tags: ['payments'], params: IdParam, response: { 200: PlanSchema } } }, async (req) => {
    const p = await subs.getPlan(req.params.id, { activeOnly: true });
    if (!p) throw E.planNotFound();
    return presentPlan(p);
  });

  app.post('/payments/plans', { config: { auth: 'staff' }, schema: { tags: ['payments'], description: 'Staff: adds a plan.', body: PlanBody, response: { 201: PlanSchema } } }, async (req, reply) => {
    const v = planValues(req.body);
    const row = await subs.createPlan({ name: v.name!, priceCents: v.priceCents!, interval: v.interval ?? 'month', features: v.features ?? [], isActive: v.isActive ?? true, externalPriceId: v.externalPriceId ?? null });
    return reply.status(201).send(presentPlan(row));
  });

  for (const [method, body] of [['PUT', PlanBody], ['PATCH', PlanPatch]] as const) {
    app.route({
      method,
      url: '/payments/plans/:id',
      config: { auth: 'staff' },
      schema: { tags: ['payments'], description: `Staff: ${method === 'PUT' ? 'replaces' : 'changes'} a plan (active or not).`, params: IdParam, body, response: { 200: PlanSchema } },
      handler: async (req) => {
        const row = await subs.updatePlan((req.params as { id: number }).id, planValues(req.body as PlanWire));
        if (!row) throw E.planNotFound();
        return presentPlan(row);
      },
    });
  }

  app.delete('/payments/plans/:id', { config: { auth: 'staff' }, schema: { tags: ['payments'], description: 'Staff: deactivates a plan (its subscriptions keep it).', params: IdParam } }, async (req, reply) => {
    if (!(await subs.updatePlan(req.params.id, { isActive: false }))) throw E.planNotFound();
    return reply.status(204).send();
  });
}
