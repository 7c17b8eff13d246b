// moderation/: reporters' own reports, the staff queue and enforcements.
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { clampPageSize, decodeCursor, pageUrl } from '../../platform/http/pagination.js';
import { IdParam, Page, PageQuery } from '../../platform/http/schemas.js';
import { ENFORCEMENT_ACTIONS, REPORT_STATUSES, TARGET_TYPES } from './service.js';
import type { EnforcementRow, ReportRow } from './schema.js';
import { ModerationErrors } from './errors.js';
import { declareRouteErrors } from '../../platform/http/errors.js';

const Enum = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(t: T) => Type.Union([t, Type.Null()]);
const TargetId = Type.Integer({ minimum: 1, maximum: 999_999_999_999_999 });
const Reason = Type.String({ minLength: 1, maxLength: 255 });
const Notes = Type.String({ maxLength: 5000 });

const ReportSchema = Type.Object({
  id: Type.Integer(),
  target_type: Type.String(),
  target_id: Type.Integer(),
  reason: Type.String(),
  status: Type.String(),
  notes: Type.String(),
  created_at: Type.String(),
});
const AdminReportSchema = Type.Object({ ...ReportSchema.properties, reporter: Nullable(Type.Integer()), source: Type.String(), updated_at: Type.String() });
const EnforcementSchema = Type.Object({
  id: Type.Integer(),
  target_type: Type.String(),
  target_id: Type.Integer(),
  action: Type.String(),
  reason: Type.String(),
  expires_at: Nullable(Type.String()),
  created_at: Type.String(),
  lifted_at: Nullable(Type.String()),
  created_by: Nullable(Type.Integer()),
  report_id: Nullable(Type.Integer()),
});

const presentReport = (r: ReportRow) => ({
  id: r.id,
  target_type: r.targetType,
  target_id: r.targetId,
  reason: r.reason,
  status: r.status,
  notes: r.notes,
  created_at: r.createdAt.toISOString(),
});
const presentAdminReport = (r: ReportRow) => ({ ...presentReport(r), reporter: r.reporterId, source: r.source, updated_at: r.updatedAt.toISOString() });
const presentEnforcement = (e: EnforcementRow) => ({
  id: e.id,
  target_type: e.targetType,
  target_id: e.targetId,
  action: e.action,
  reason: e.reason,
  expires_at: e.expiresAt?.toISOString() ?? null,
  created_at: e.createdAt.toISOString(),
  lifted_at: e.liftedAt?.toISOString() ?? null,
  created_by: e.createdBy,
  report_id: e.reportId,
});

const NewReport = Type.Object({ target_type: Enum(TARGET_TYPES), target_id: TargetId, reason: Reason }, { additionalProperties: false });
const tags = ['moderation'];

export async function moderationRoutes(app: App, ctx: Ctx) {
  await app.register(async (scope) => moderationRoutesIn(scope as App, ctx));
}

async function moderationRoutesIn(app: App, ctx: Ctx) {
  const E = ModerationErrors.specs;
  declareRouteErrors(app, [
    ['POST', /\/moderation\/reports\/?$/, [E.targetTypeUnavailable, E.unknownTarget, E.cannotReportSelf, E.reportConflict]],
    ['*', /\/reports\/:id$/, [E.reportNotFound]],
    ['PATCH', /\/admin\/reports\/:id$/, [E.reportNotOpen]],
    ['POST', /\/admin\/enforcements\/?$/, [E.targetTypeUnavailable, E.unknownTarget, E.invalidActionForTarget, E.cannotEnforceSelf]],
    ['*', /\/enforcements\/:id(\/|$)/, [E.enforcementNotFound]],
    ['POST', /\/enforcements\/:id\/lift$/, [E.alreadyLifted]],
  ]);
  const svc = ctx.services.moderation;
  const me = (req: FastifyRequest) => req.user!;
  /**
   * The acting moderator. Routes declare `config.auth: 'moderator'` (staff, superusers and the
   * moderation_team role): the guard answers 403 to anyone else before the body is even read.
   */
  const moderator = (req: FastifyRequest) => ({ id: me(req).id, ip: req.ip });
  const next = (req: FastifyRequest, cursor: string | null) => (cursor ? pageUrl(req, ctx.config.publicBaseUrl, cursor) : null);

  // ---- the reporter's own reports ----

  app.get('/moderation/reports', { schema: { tags, querystring: Type.Object(PageQuery), response: { 200: Page(ReportSchema) } } }, async (req) => {
    const limit = clampPageSize(req.query.page_size);
    const page = await svc.listReports({ reporterId: me(req).id, cursor: decodeCursor(req.query.cursor), limit });
    return { next: next(req, page.nextCursor), previous: null, results: page.rows.map(presentReport) };
  });

  app.post(
    '/moderation/reports',
    {
      config: { rateLimit: [{ name: 'report', by: 'user', limit: 30, windowMs: 3_600_000 }] },
      schema: { tags, body: NewReport, response: { 200: ReportSchema, 201: ReportSchema } },
    },
    async (req, reply) => {
      const { row, created } = await svc.fileReport(me(req).id, req.body);
      return reply.status(created ? 201 : 200).send(presentReport(row));
    },
  );

  app.get('/moderation/reports/:id', { schema: { tags, params: IdParam, response: { 200: ReportSchema } } }, async (req) =>
    presentReport(await svc.getReport(req.params.id, me(req).id)),
  );
  app.put(
    '/moderation/reports/:id',
    { schema: { tags, params: IdParam, body: Type.Object({ reason: Reason }, { additionalProperties: false }), response: { 200: ReportSchema } } },
    async (req) => presentReport(await svc.updateOwnReason(me(req).id, req.params.id, req.body.reason)),
  );
  app.patch(
    '/moderation/reports/:id',
    { schema: { tags, params: IdParam, body: Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false }), response: { 200: ReportSchema } } },
    async (req) => presentReport(await svc.updateOwnReason(me(req).id, req.params.id, req.body?.reason)),
  );
  app.delete('/moderation/reports/:id', { schema: { tags, params: IdParam } }, async (req, reply) => {
    await svc.withdraw(me(req).id, req.params.id);
    return reply.status(204).send();
  });

  // ---- staff queue ----

  app.get(
    '/moderation/admin/reports',
    { config: { auth: 'moderator' }, schema: { tags, querystring: Type.Object({ ...PageQuery, status: Type.Optional(Enum(REPORT_STATUSES)) }), response: { 200: Page(AdminReportSchema) } } },
    async (req) => {
      const limit = clampPageSize(req.query.page_size);
      const page = await svc.listReports({ status: req.query.status as never, cursor: decodeCursor(req.query.cursor), limit });
      return { next: next(req, page.nextCursor), previous: null, results: page.rows.map(presentAdminReport) };
    },
  );

  app.post(
    '/moderation/admin/reports',
    {
      config: { auth: 'moderator' },
      schema: {
        tags,
        body: Type.Object({ target_type: Enum(TARGET_TYPES), target_id: TargetId, reason: Reason, notes: Type.Optional(Notes) }, { additionalProperties: false }),
        response: { 200: AdminReportSchema, 201: AdminReportSchema },
      },
    },
    async (req, reply) => {
      const { row, created } = await svc.staffCreateReport(moderator(req), req.body);
      return reply.status(created ? 201 : 200).send(presentAdminReport(row));
    },
  );

  app.get('/moderation/admin/reports/:id', { config: { auth: 'moderator' }, schema: { tags, params: IdParam, response: { 200: AdminReportSchema } } }, async (req) => {
    return presentAdminReport(await svc.getReport(req.params.id));
  });
  app.put(
    '/moderation/admin/reports/:id',
    {
      config: { auth: 'moderator' },
      schema: {
        tags,
        params: IdParam,
        body: Type.Object({ status: Enum(REPORT_STATUSES), notes: Type.Optional(Notes) }, { additionalProperties: false }),
        response: { 200: AdminReportSchema },
      },
    },
    async (req) => presentAdminReport(await svc.staffUpdateReport(moderator(req), req.params.id, req.body as never)),
  );
  app.patch(
    '/moderation/admin/reports/:id',
    {
      config: { auth: 'moderator' },
      schema: {
        tags,
        params: IdParam,
        body: Type.Object({ status: Type.Optional(Enum(REPORT_STATUSES)), notes: Type.Optional(Notes) }, { additionalProperties: false }),
        response: { 200: AdminReportSchema },
      },
    },
    async (req) => presentAdminReport(await svc.staffUpdateReport(moderator(req), req.params.id, (req.body ?? {}) as never)),
  );
  app.delete('/moderation/admin/reports/:id', { config: { auth: 'moderator' }, schema: { tags, params: IdParam } }, async (req, reply) => {
    await svc.staffDeleteReport(moderator(req), req.params.id);
    return reply.status(204).send();
  });

  // ---- enforcements ----

  app.get('/moderation/enforcements', { config: { auth: 'moderator' }, schema: { tags, querystring: Type.Object(PageQuery), response: { 200: Page(EnforcementSchema) } } }, async (req) => {
    const limit = clampPageSize(req.query.page_size);
    const page = await svc.listEnforcements({ cursor: decodeCursor(req.query.cursor), limit });
    return { next: next(req, page.nextCursor), previous: null, results: page.rows.map(presentEnforcement) };
  });
  app.get('/moderation/enforcements/:id', { config: { auth: 'moderator' }, schema: { tags, params: IdParam, response: { 200: EnforcementSchema } } }, async (req) => {
    return presentEnforcement(await svc.getEnforcement(req.params.id));
  });
  app.post(
    '/moderation/admin/enforcements',
    {
      config: { auth: 'moderator' },
      schema: {
        tags,
        body: Type.Object(
          {
            target_type: Enum(TARGET_TYPES),
            target_id: TargetId,
            action: Enum(ENFORCEMENT_ACTIONS),
            reason: Type.Optional(Type.String({ maxLength: 255 })),
            expires_at: Type.Optional(Type.Union([Type.String({ format: 'date-time', maxLength: 64 }), Type.Null()])),
            report_id: Type.Optional(Type.Union([TargetId, Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 201: EnforcementSchema },
      },
    },
    async (req, reply) => reply.status(201).send(presentEnforcement(await svc.enforce(moderator(req), req.body as never))),
  );

  app.post(
    '/moderation/admin/enforcements/:id/lift',
    { config: { auth: 'moderator' }, schema: { tags, params: IdParam, response: { 200: EnforcementSchema } } },
    async (req) => presentEnforcement(await svc.lift(moderator(req), req.params.id)),
  );
}
