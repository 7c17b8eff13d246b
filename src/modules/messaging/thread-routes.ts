// threads/: list, create (direct or group), direct get-or-create, one thread, leave, and sync.
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { clampPageSize, decodeCursor, cursorPage } from '../../platform/http/pagination.js';
import { IdParam, PageQuery } from '../../platform/http/schemas.js';
import { cachedPage } from '../../platform/http/cached-page.js';
import { userTag } from '../../platform/pages.js';
import { parseId } from './service.js';
import { inboxTag } from './threads.js';
import { IdLike, Nullable, Body, ThreadSchema, MessageSchema, PageOf, perMinute, tags, parseSince, type RouteHelpers } from './http.js';

export function threadRoutes(app: App, ctx: Ctx, h: RouteHelpers) {
  const svc = ctx.services.messaging;
  const { viewer, origin, oneThread } = h;

  app.get(
    '/threads',
    {
      schema: {
        tags,
        querystring: Type.Object({ ...PageQuery, search: Type.Optional(Type.String({ maxLength: 100 })) }),
        response: { 200: PageOf(ThreadSchema) },
      },
    },
    // Kept in the page cache (docs/perf.md) under the viewer's inbox, the viewer and every member shown.
    (req, reply) =>
      cachedPage(ctx.pages, ctx.config.publicBaseUrl, req, reply, async () => {
        const me = viewer(req);
        const page = await svc.listThreads(me.id, decodeCursor(req.query.cursor), clampPageSize(req.query.page_size, 20, 100));
        const presented = await svc.presentThreads(me, page.rows, origin(req));
        const members = presented.flatMap((t) => t.members.map((m) => userTag(m.user_id)));
        return { body: cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, presented), tags: [inboxTag(me.id), userTag(me.id), ...members] };
      }),
  );

  app.post(
    '/threads',
    {
      config: { rateLimit: perMinute('threads_create', 20) },
      schema: {
        tags,
        body: Type.Object(
          {
            participant_ids: Type.Array(IdLike, { maxItems: 50 }),
            title: Type.Optional(Nullable(Type.String({ maxLength: 120 }))),
            is_group: Type.Optional(Type.Boolean()),
            initial_message: Type.Optional(Nullable(Body)),
          },
          { additionalProperties: false },
        ),
        response: { 200: ThreadSchema, 201: ThreadSchema },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const ids = b.participant_ids.map((v) => parseId(v)!);
      const r = await svc.createThread(viewer(req).id, { participantIds: ids, title: b.title ?? undefined, isGroup: b.is_group, initialMessage: b.initial_message ?? undefined });
      return reply.status(r.created ? 201 : 200).send(await oneThread(req, r.thread.id));
    },
  );

  app.post(
    '/threads/direct',
    {
      config: { rateLimit: perMinute('threads_create', 20) },
      schema: {
        tags,
        body: Type.Object({ user_id: IdLike, initial_message: Type.Optional(Nullable(Body)) }, { additionalProperties: false }),
        response: { 200: ThreadSchema, 201: ThreadSchema },
      },
    },
    async (req, reply) => {
      const r = await svc.getOrCreateDirect(viewer(req).id, parseId(req.body.user_id)!, req.body.initial_message ?? undefined);
      return reply.status(r.created ? 201 : 200).send(await oneThread(req, r.thread.id));
    },
  );

  app.get('/threads/:id', { schema: { tags, params: IdParam, response: { 200: ThreadSchema } } }, async (req) => oneThread(req, req.params.id));

  app.post('/threads/:id/leave', { schema: { tags, params: IdParam, body: Type.Optional(Type.Object({}, { additionalProperties: false })) } }, async (req, reply) => {
    await svc.leave(req.params.id, viewer(req).id);
    return reply.status(204).send();
  });

  app.get(
    '/threads/:id/sync',
    {
      schema: {
        tags,
        params: IdParam,
        querystring: Type.Object({ since: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: { 200: Type.Object({ next: Type.Null(), previous: Type.Null(), results: Type.Array(MessageSchema), messages: Type.Array(MessageSchema) }) },
      },
    },
    async (req) => {
      const rows = await svc.sync(req.params.id, viewer(req).id, parseSince(req.query.since));
      const results = await svc.presentMessages(viewer(req), rows, origin(req));
      return { next: null, previous: null, results, messages: results };
    },
  );
}
