// notifications/: the owner's own notifications. Clients read and mark them; only the server creates them.
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { ApiError } from '../../platform/http/errors.js';
import { clampPageSize, decodeCursor, cursorPage } from '../../platform/http/pagination.js';
import { IdParam, Page, PageQuery } from '../../platform/http/schemas.js';
import type { NotificationRow } from './schema.js';

export const NotificationSchema = Type.Object({
  id: Type.Integer(),
  type: Type.String(),
  payload: Type.Object({}, { additionalProperties: true }),
  is_read: Type.Boolean(),
  created_at: Type.String(),
  read_at: Type.Union([Type.String(), Type.Null()]),
});

export const presentNotification = (n: NotificationRow) => ({
  id: n.id,
  type: n.type,
  payload: n.payload,
  is_read: n.isRead,
  created_at: n.createdAt.toISOString(),
  read_at: n.readAt ? n.readAt.toISOString() : null,
});

const tags = ['notifications'];
// Routes default to auth 'user', so the guard has set req.user.
const me = (req: { user: { id: number } | null }) => req.user!;

export async function notificationRoutes(app: App, ctx: Ctx) {
  const svc = ctx.services.notifications;

  app.get('/notifications', { schema: { tags, querystring: Type.Object(PageQuery), response: { 200: Page(NotificationSchema) } } }, async (req) => {
    const limit = clampPageSize(req.query.page_size);
    const page = await svc.list(me(req).id, { cursor: decodeCursor(req.query.cursor), limit });
    return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, page.rows.map(presentNotification));
  });

  // The original let clients forge notifications for themselves; creation is server-side only now.
  app.post('/notifications', { schema: { tags, hide: true } }, async (_req, reply) => {
    throw new ApiError(405, { detail: 'Method "POST" not allowed.' }, { allow: 'GET, HEAD, OPTIONS' });
    return reply;
  });

  app.get('/notifications/unread-count', { schema: { tags, response: { 200: Type.Object({ unread_count: Type.Integer() }) } } }, async (req) => ({
    unread_count: await svc.unreadCount(me(req).id),
  }));

  app.post('/notifications/mark-all-read', { schema: { tags, response: { 200: Type.Object({ updated: Type.Integer() }) } } }, async (req) => ({
    updated: await svc.markAllRead(me(req).id),
  }));

  app.get('/notifications/:id', { schema: { tags, params: IdParam, response: { 200: NotificationSchema } } }, async (req) =>
    presentNotification(await svc.getOwn(me(req).id, req.params.id)),
  );

  app.post('/notifications/:id/read', { schema: { tags, params: IdParam, response: { 200: NotificationSchema } } }, async (req) =>
    presentNotification(await svc.setRead(me(req).id, req.params.id, true)),
  );

  // Only is_read is writable; the original silently ignored type/payload, here they are rejected.
  const update = async (userId: number, id: number, isRead: boolean | undefined) =>
    presentNotification(isRead === undefined ? await svc.getOwn(userId, id) : await svc.setRead(userId, id, isRead));
  app.put(
    '/notifications/:id',
    { schema: { tags, params: IdParam, body: Type.Object({ is_read: Type.Boolean() }, { additionalProperties: false }), response: { 200: NotificationSchema } } },
    async (req) => update(me(req).id, req.params.id, req.body.is_read),
  );
  app.patch(
    '/notifications/:id',
    {
      schema: { tags, params: IdParam, body: Type.Object({ is_read: Type.Optional(Type.Boolean()) }, { additionalProperties: false }), response: { 200: NotificationSchema } },
    },
    async (req) => update(me(req).id, req.params.id, req.body?.is_read),
  );

  app.delete('/notifications/:id', { schema: { tags, params: IdParam } }, async (req, reply) => {
    await svc.remove(me(req).id, req.params.id);
    return reply.status(204).send();
  });
}
