// threads/{id}/typing: who is typing (GET) and the caller's typing state (POST).
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { IdParam, Loose } from '../../platform/http/schemas.js';
import { me } from '../users/present.js';
import { perMinute, tags, type RouteHelpers } from './http.js';

export function typingRoutes(app: App, ctx: Ctx, h: RouteHelpers) {
  const svc = ctx.services.messaging;
  const { viewer, origin } = h;

  app.get(
    '/threads/:id/typing',
    { schema: { tags, params: IdParam, response: { 200: Type.Object({ typing_user_ids: Type.Array(Type.Integer()), users: Type.Array(Loose) }) } } },
    async (req) => {
      const ids = await svc.typingUserIds(req.params.id, viewer(req).id);
      const rows = await ctx.services.users.getMany(ids);
      const users = await ctx.services.users.present(viewer(req), ids.map((id) => rows.get(id)).filter((u) => u !== undefined), { origin: origin(req) });
      return { typing_user_ids: users.map((u) => u.id), users };
    },
  );

  app.post(
    '/threads/:id/typing',
    {
      config: { rateLimit: perMinute('typing', 120) },
      schema: {
        tags,
        params: IdParam,
        body: Type.Object({ is_typing: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: Type.Object({ is_typing: Type.Boolean() }) },
      },
    },
    async (req) => {
      const u = me(req);
      const isTyping = req.body.is_typing ?? true;
      await svc.setTyping(req.params.id, { id: u.id, name: u.name, handle: u.handle }, isTyping);
      return { is_typing: isTyping };
    },
  );
}
