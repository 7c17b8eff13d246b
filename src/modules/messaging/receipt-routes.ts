// Read receipts: threads/{id}/read (the read pointer) and messages/{id}/ack (delivered / read).
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { IdParam } from '../../platform/http/schemas.js';
import { parseId } from './service.js';
import { Nullable, MessageSchema, tags, type RouteHelpers } from './http.js';

export function receiptRoutes(app: App, ctx: Ctx, h: RouteHelpers) {
  const svc = ctx.services.messaging;
  const { viewer, oneMessage } = h;

  app.post(
    '/threads/:id/read',
    {
      schema: {
        tags,
        params: IdParam,
        body: Type.Object(
          {
            last_read_message_id: Type.Optional(Nullable(Type.Union([Type.Integer(), Type.String({ maxLength: 32 })]))),
            last_read_id: Type.Optional(Nullable(Type.Union([Type.Integer(), Type.String({ maxLength: 32 })]))),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ status: Type.String(), last_read_message_id: Type.String() }), 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const requested = parseId(req.body.last_read_message_id ?? req.body.last_read_id ?? null);
      const pointer = await svc.markRead(req.params.id, viewer(req).id, requested);
      if (pointer === null) return reply.status(204).send(null);
      return { status: 'read', last_read_message_id: String(pointer) };
    },
  );

  app.post(
    '/messages/:id/ack',
    {
      schema: {
        tags,
        params: IdParam,
        body: Type.Object({ status: Type.Union([Type.Literal('delivered'), Type.Literal('read')]) }, { additionalProperties: false }),
        response: { 200: MessageSchema },
      },
    },
    async (req) => oneMessage(req, await svc.ack(req.params.id, viewer(req).id, req.body.status)),
  );
}
