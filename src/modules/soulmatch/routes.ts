// soulmatch/*: v2 (with/{id}, recommendations) and the legacy v1 list and refresh.
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import type { RouteRate } from '../../platform/http/guard.js';
import { declareRouteErrors } from '../../platform/http/errors.js';
import { SoulmatchErrors } from './errors.js';
import { IdParam, Loose } from '../../platform/http/schemas.js';
import { asyncRequested } from '../astro/service.js';
import type { ExplainLevel } from './score.js';
import type { Mode, SoulmatchService } from './service.js';

const flag = (v: unknown) => typeof v === 'string' && ['1', 'true', 'yes'].includes(v.trim().toLowerCase());
const modeOf = (v: unknown): Mode => (v === 'dating' ? 'dating' : 'compat');
const explainOf = (v: unknown): ExplainLevel => (v === 'premium' || v === 'premium_plus' ? v : 'free');
const Q = Type.Object(
  { mode: Type.Optional(Type.String({ maxLength: 32 })), explain: Type.Optional(Type.String({ maxLength: 32 })), include_meta: Type.Optional(Type.String({ maxLength: 8 })), debug_v2: Type.Optional(Type.String({ maxLength: 8 })), async: Type.Optional(Type.String({ maxLength: 8 })) },
  { additionalProperties: true },
);
type Query = { mode?: string; explain?: string; include_meta?: string; debug_v2?: string; async?: string };

export async function soulmatchRoutes(app: App, ctx: Ctx, sm: SoulmatchService) {
  const rate = ctx.config.intelligence.matchingRate;
  const matching: RouteRate[] = [
    { name: 'matching', by: 'user', ...rate },
    { name: 'matching_ip', by: 'ip', ...rate },
  ];
  const E = SoulmatchErrors.specs;
  declareRouteErrors(app, [
    ['GET', /\/soulmatch\/with\/:id\/?$/, [E.selfMatch, E.userNotFound]],
    ['POST', /\/soulmatch\/refresh\/?$/, [E.disabled]],
  ]);

  app.get<{ Params: { id: number }; Querystring: Query }>(
    '/soulmatch/with/:id',
    { config: { rateLimit: matching }, schema: { tags: ['soulmatch'], params: IdParam, querystring: Q, response: { 200: Loose, 202: Loose } } },
    async (req, reply) => {
      const opts = { mode: modeOf(req.query.mode), includeMeta: flag(req.query.include_meta), explain: explainOf(req.query.explain) };
      if (asyncRequested(req.headers, req.query, ctx.config.intelligence.asyncDefault)) {
        const out = await sm.compareQueued(req.user!.id, req.params.id, opts);
        return reply.code(out.status).send(out.body);
      }
      return sm.compare(req.user!.id, req.params.id, opts);
    },
  );

  app.get<{ Querystring: Query }>(
    '/soulmatch/recommendations',
    { config: { rateLimit: matching }, schema: { tags: ['soulmatch'], querystring: Q, response: { 200: Type.Any() } } },
    async (req) => {
      const out = await sm.recommendations(req.user!.id, { mode: modeOf(req.query.mode), explain: explainOf(req.query.explain), debug: flag(req.query.debug_v2) });
      return flag(req.query.include_meta) ? out : out.results;
    },
  );

  app.get('/soulmatch', { schema: { tags: ['soulmatch'], response: { 200: Type.Array(Loose) } } }, async (req) => {
    if (!ctx.config.intelligence.featureSoulmatch) return [];
    const rows = await sm.legacyList(req.user!.id);
    const viewer = { id: req.user!.id, isStaff: req.user!.isStaff };
    const presented = await ctx.services.users.present(viewer, rows.map((r) => r.target));
    return rows.map((r, i) => ({ target: presented[i], score: r.row.score, breakdown: r.row.breakdown }));
  });

  app.post('/soulmatch/refresh', { schema: { tags: ['soulmatch'], response: { 200: Type.Object({ status: Type.String() }) } } }, async (req) => {
    // The contract's disabled answer; the app never calls this route.
    if (!ctx.config.intelligence.featureSoulmatch) throw SoulmatchErrors.disabled();
    await sm.legacyRefresh(req.user!.id);
    return { status: 'refreshed' };
  });
}
