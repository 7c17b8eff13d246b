// Messages: send (threads/{id}/messages and messages/), history, one message, edit, delete, reactions.
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { fieldError } from '../../platform/http/errors.js';
import { clampPageSize, decodeCursor, cursorPage } from '../../platform/http/pagination.js';
import { IdParam, PageQuery } from '../../platform/http/schemas.js';
import { parseId } from './service.js';
import { Id, IdLike, Body, MessageSchema, ReactionList, PageOf, MessageInput, perMinute, sendRate, tags, textOf, type RouteHelpers } from './http.js';
import { MessagingErrors } from './errors.js';

export function messageRoutes(app: App, ctx: Ctx, h: RouteHelpers) {
  const svc = ctx.services.messaging;
  const { viewer, origin, oneMessage } = h;

  app.post(
    '/threads/:id/messages',
    {
      config: { rateLimit: sendRate, multipart: { files: 5, fileSize: ctx.config.http.videoMaxBytes } },
      schema: {
        tags,
        params: IdParam,
        body: Type.Object(MessageInput, { additionalProperties: false }),
        response: { 200: MessageSchema, 201: MessageSchema },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const files = req.uploads.filter((f) => ['attachments', 'images', 'video'].includes(f.field));
      if (files.length !== req.uploads.length) throw fieldError('attachments', 'Unknown file field.');
      const r = await svc.send(req.params.id, viewer(req).id, {
        body: textOf(b),
        clientUuid: b.client_uuid,
        replyToId: parseId(b.reply_to_message_id ?? b.reply_to ?? null),
        files,
        answerFor: { viewer: viewer(req), origin: origin(req) },
      });
      return reply.status(r.created ? 201 : 200).send(r.presented ?? (await oneMessage(req, r.message)));
    },
  );

  app.get(
    '/messages',
    {
      schema: {
        tags,
        querystring: Type.Object({ ...PageQuery, thread: Type.Optional(Id) }),
        response: { 200: PageOf(MessageSchema) },
      },
    },
    async (req) => {
      const page = await svc.listMessages(viewer(req).id, req.query.thread ?? null, decodeCursor(req.query.cursor), clampPageSize(req.query.page_size, 30, 100));
      return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, await svc.presentMessages(viewer(req), page.rows, origin(req)));
    },
  );

  app.post(
    '/messages',
    {
      config: { rateLimit: sendRate },
      schema: {
        tags,
        body: Type.Object(
          {
            thread: IdLike,
            ...MessageInput,
            type: Type.Optional(Type.Literal('text')),
            meta: Type.Optional(Type.Object({}, { additionalProperties: true, maxProperties: 20 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: MessageSchema, 201: MessageSchema },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (b.meta && JSON.stringify(b.meta).length > 4096) throw fieldError('meta', 'Ensure this object is at most 4096 bytes of JSON.');
      const r = await svc.send(parseId(b.thread)!, viewer(req).id, {
        body: textOf(b),
        clientUuid: b.client_uuid,
        replyToId: parseId(b.reply_to_message_id ?? b.reply_to ?? null),
        type: b.type,
        meta: b.meta as Record<string, unknown> | undefined,
        answerFor: { viewer: viewer(req), origin: origin(req) },
      });
      return reply.status(r.created ? 201 : 200).send(r.presented ?? (await oneMessage(req, r.message)));
    },
  );

  app.get('/messages/:id', { schema: { tags, params: IdParam, response: { 200: MessageSchema } } }, async (req) =>
    oneMessage(req, await svc.messageForMember(req.params.id, viewer(req).id)),
  );

  app.patch(
    '/messages/:id',
    { schema: { tags, params: IdParam, body: Type.Object({ body: Body }, { additionalProperties: false }), response: { 200: MessageSchema } } },
    async (req) => oneMessage(req, await svc.edit(req.params.id, viewer(req).id, req.body.body)),
  );

  app.delete('/messages/:id', { schema: { tags, params: IdParam } }, async (req, reply) => {
    await svc.remove(req.params.id, viewer(req).id);
    return reply.status(204).send();
  });

  app.get('/messages/:id/reactions', { schema: { tags, params: IdParam, response: { 200: Type.Object({ reactions: ReactionList }) } } }, async (req) => {
    const m = await oneMessage(req, await svc.messageForMember(req.params.id, viewer(req).id));
    return { reactions: m.reactions };
  });

  app.post(
    '/messages/:id/reactions',
    {
      config: { rateLimit: perMinute('message_reactions', 120) },
      schema: {
        tags,
        params: IdParam,
        body: Type.Object({ emoji: Type.String({ minLength: 1, maxLength: 16 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ action: Type.String(), reactions: ReactionList }) },
      },
    },
    async (req) => {
      const emoji = req.body.emoji.trim();
      if (!emoji) throw MessagingErrors.emojiRequired();
      const r = await svc.toggleReaction(req.params.id, viewer(req).id, emoji);
      const m = await oneMessage(req, r.message);
      return { action: r.action, reactions: m.reactions };
    },
  );
}
