// audit/events/: staff-only, read-only view of the audit log.
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { notFound } from '../../platform/http/errors.js';
import { clampPageSize, decodeCursor, paginate, cursorPage } from '../../platform/http/pagination.js';
import { Page, PageQuery } from '../../platform/http/schemas.js';
import type { AuditEventRow } from './schema.js';

const Nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(t: T) => Type.Union([t, Type.Null()]);

export const AuditEventSchema = Type.Object({
  id: Type.String(),
  created_at: Type.String(),
  actor_user: Nullable(Type.Integer()),
  actor_ip: Nullable(Type.String()),
  action: Type.String(),
  object_type: Type.String(),
  object_id: Type.String(),
  metadata: Type.Object({}, { additionalProperties: true }),
  hash_prev: Type.String(),
  hash_self: Type.String(),
});

export const presentAuditEvent = (e: AuditEventRow) => ({
  id: e.id,
  created_at: e.createdAt.toISOString(),
  actor_user: e.actorUserId,
  actor_ip: e.actorIp,
  action: e.action,
  object_type: e.objectType,
  object_id: e.objectId,
  metadata: e.metadata,
  hash_prev: e.hashPrev,
  hash_self: e.hashSelf,
});

export async function auditRoutes(app: App, ctx: Ctx) {
  const audit = ctx.services.audit;
  const staff = { auth: 'staff' as const };

  app.get('/audit/events', { config: staff, schema: { tags: ['audit'], querystring: Type.Object(PageQuery), response: { 200: Page(AuditEventSchema) } } }, async (req) => {
    const limit = clampPageSize(req.query.page_size);
    const rows = await audit.list({ cursor: decodeCursor(req.query.cursor), limit });
    // The keyset is (created_at, seq): ids are UUIDs and carry no order.
    const page = paginate(
      rows.map((r) => ({ ...r, id: r.seq, row: r })),
      limit,
    );
    return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, page.rows.map((p) => presentAuditEvent(p.row)));
  });

  app.get(
    '/audit/events/:id',
    { config: staff, schema: { tags: ['audit'], params: Type.Object({ id: Type.String({ maxLength: 200 }) }), response: { 200: AuditEventSchema } } },
    async (req) => {
      const row = await audit.getById(req.params.id);
      if (!row) throw notFound('No AuditEvent matches the given query.');
      return presentAuditEvent(row);
    },
  );
}
