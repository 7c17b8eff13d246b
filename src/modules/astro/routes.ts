// astro/*: birth data + natal chart (three request shapes), the caller's chart, transits.
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import type { RouteRate } from '../../platform/http/guard.js';
import { declareRouteErrors } from '../../platform/http/errors.js';
import { AstroErrors } from './errors.js';
import { HOUSE_SYSTEMS, type HouseSystem } from './houses.js';
import { asyncRequested, checkDate, type AstroService, type NatalBody } from './service.js';

const Str = (max: number) => Type.String({ maxLength: max });
const NatalBodySchema = Type.Object(
  {
    source: Type.Optional(Type.String({ enum: ['profile', 'form', 'explicit'] })),
    date_of_birth: Type.Optional(Str(32)),
    time_of_birth: Type.Optional(Str(32)),
    birth_date: Type.Optional(Str(32)),
    birth_time: Type.Optional(Str(32)),
    timezone: Type.Optional(Str(64)),
    city: Type.Optional(Str(128)),
    country: Type.Optional(Str(128)),
    latitude: Type.Optional(Type.Union([Type.Number({ minimum: -90, maximum: 90 }), Type.Null()])),
    longitude: Type.Optional(Type.Union([Type.Number({ minimum: -180, maximum: 180 }), Type.Null()])),
    first_name: Type.Optional(Str(120)),
    last_name: Type.Optional(Str(120)),
  },
  { additionalProperties: false },
);

const Planet = Type.Object({ lon: Type.Number(), speed: Type.Number(), sign: Type.String() });
const House = Type.Object({ cusp_lon: Type.Number(), sign: Type.String() });
const AspectSchema = Type.Object({ p1: Type.String(), p2: Type.String(), aspect: Type.String(), orb: Type.Number() });
export const NatalChartSchema = Type.Object({
  planets: Type.Record(Type.String(), Planet),
  houses: Type.Record(Type.String(), House),
  aspects: Type.Array(AspectSchema),
  calculated_at: Type.String(),
});
const Accepted = Type.Object({ birth_data_id: Type.Integer(), task_id: Type.String() });
const ChartQuery = Type.Object({ house_system: Type.Optional(Type.String({ enum: [...HOUSE_SYSTEMS] })), async: Type.Optional(Type.String({ maxLength: 8 })) }, { additionalProperties: true });
const TransitQuery = Type.Object({ date: Type.Optional(Type.String({ maxLength: 32 })) }, { additionalProperties: true });
const Transits = Type.Object({
  date: Type.String(),
  sun_today: Type.String(),
  moon_today: Type.String(),
  planets: Type.Record(Type.String(), Planet),
  has_natal_chart: Type.Boolean(),
  aspects: Type.Array(AspectSchema),
});

export async function astroRoutes(app: App, ctx: Ctx, astro: AstroService) {
  const E = AstroErrors.specs;
  declareRouteErrors(app, [
    ['POST', /\/astro\/natal$/, [E.missingBirthData, E.locationUnresolved, E.calculationFailed]],
    ['GET', /\/astro\/natal\/me$/, [E.chartNotFound]],
  ]);
  const rate = ctx.config.intelligence.astroRate;
  const scope = (name: string): RouteRate[] => [
    { name, by: 'user', ...rate },
    { name: `${name}_ip`, by: 'ip', ...rate },
  ];

  app.post<{ Body: NatalBody; Querystring: { house_system?: HouseSystem; async?: string } }>(
    '/astro/natal',
    {
      config: { rateLimit: scope('astro') },
      schema: { tags: ['astro'], body: NatalBodySchema, querystring: ChartQuery, response: { 200: NatalChartSchema, 201: NatalChartSchema, 202: Accepted } },
    },
    async (req, reply) => {
      const wantAsync = asyncRequested(req.headers, req.query, ctx.config.intelligence.asyncDefault);
      const out = await astro.submit(req.user!.id, req.body ?? {}, { async: wantAsync });
      if ('body' in out) return reply.code(202).send(out.body);
      return reply.code(out.status).send(astro.present(out.chart!, req.query.house_system));
    },
  );

  // Reads have their own bucket (same rate) so looking at a chart never uses up the budget for computing one.
  app.get<{ Querystring: { house_system?: HouseSystem } }>(
    '/astro/natal/me',
    { config: { rateLimit: scope('astro_read') }, schema: { tags: ['astro'], querystring: ChartQuery, response: { 200: NatalChartSchema } } },
    async (req) => {
      const row = await astro.chartRow(req.user!.id);
      if (!row) throw AstroErrors.chartNotFound();
      return astro.present(row, req.query.house_system);
    },
  );

  app.get<{ Querystring: { date?: string } }>(
    '/astro/transits',
    { config: { rateLimit: scope('astro_read') }, schema: { tags: ['astro'], querystring: TransitQuery, response: { 200: Transits } } },
    async (req) => {
      let at = new Date();
      const d = req.query.date;
      if (d !== undefined) {
        checkDate('date', d);
        at = new Date(`${d}T12:00:00Z`);
      }
      return astro.transitsForUser(req.user!.id, at);
    },
  );
}
