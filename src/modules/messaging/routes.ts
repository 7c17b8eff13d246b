// Messaging endpoints. The same route set answers under /api/v1/ and /api/v1/messaging/.
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import type { RouteRate } from '../../platform/http/guard.js';
import { badRequest, fieldError } from '../../platform/http/errors.js';
import { clampPageSize, decodeCursor, originOf, cursorPage, parseInstant } from '../../platform/http/pagination.js';
import { IdParam, Loose, PageQuery } from '../../platform/http/schemas.js';
import { me } from '../users/present.js';
import { MAX_BODY, parseId } from './service.js';

const Id = Type.Integer({ minimum: 1, maximum: 999_999_999_999_999 });
/** The app sends some ids as strings ("thread", "user_id", "reply_to_message_id"). */
const IdLike = Type.Union([Id, Type.String({ pattern: '^\\s*[1-9][0-9]{0,14}\\s*$' })]);
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Body = Type.String({ maxLength: MAX_BODY });

const ThreadSchema = Type.Object(
  {
    id: Type.Integer(),
    is_group: Type.Boolean(),
    title: Type.String(),
    members: Type.Array(Loose),
    participants: Type.Array(Loose),
    last_message: Type.Union([Loose, Type.Null()]),
    unread_count: Type.Integer(),
    created_at: Type.String(),
    updated_at: Type.String(),
  },
  { additionalProperties: true },
);

const MessageSchema = Type.Object(
  {
    id: Type.Integer(),
    thread: Type.Integer(),
    sender: Type.Union([Loose, Type.Null()]),
    reply_to: Type.Union([Loose, Type.Null()]),
    body: Type.String(),
    type: Type.String(),
    meta: Loose,
    status: Type.String(),
    delivered_at: Type.Union([Type.String(), Type.Null()]),
    read_at: Type.Union([Type.String(), Type.Null()]),
    client_uuid: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String(),
    attachments: Type.Array(Loose),
    reactions: Type.Array(Loose),
  },
  { additionalProperties: true },
);

const ReactionList = Type.Array(
  Type.Object({ emoji: Type.String(), count: Type.Integer(), reacted_by_current_user: Type.Boolean(), reactedByCurrentUser: Type.Boolean(), user_ids: Type.Array(Type.Integer()) }),
);

const PageOf = (item: ReturnType<typeof Type.Object>) =>
  Type.Object({ next: Nullable(Type.String()), previous: Nullable(Type.String()), results: Type.Array(item) }, { additionalProperties: true });

const MessageInput = {
  body: Type.Optional(Body),
  text: Type.Optional(Body),
  content: Type.Optional(Body),
  client_uuid: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
  reply_to_message_id: Type.Optional(Nullable(IdLike)),
  reply_to: Type.Optional(Nullable(IdLike)),
};

const perMinute = (name: string, limit: number): RouteRate[] => [{ name, by: 'user', limit, windowMs: 60_000 }];
/**
 * Sends: a token bucket of 300 refilled at 60 a minute per user. A phone flushing its offline
 * queue sends a burst (the app does not retry a 429); a sustained flood is still stopped.
 */
export const SEND_BURST = 300;
const sendRate: RouteRate[] = [{ name: 'messages_create', by: 'user', limit: 60, windowMs: 60_000, burst: SEND_BURST, replacesUserBucket: true }];
const tags = ['messaging'];

function textOf(b: { body?: string; text?: string; content?: string }): string {
  return [b.body, b.text, b.content].find((v) => typeof v === 'string' && v.trim() !== '') ?? '';
}

/** `since`: a message id, or an ISO datetime with a zone (a naive one would be ambiguous). */
function parseSince(raw: string | undefined): { id?: number; at?: Date } {
  if (raw === undefined || raw.trim() === '') return {};
  const id = parseId(raw);
  if (id !== null) return { id };
  const at = /(Z|[+-]\d{2}:?\d{2})$/i.test(raw.trim()) ? parseInstant(raw.trim()) : null;
  if (at) return { at };
  throw fieldError('since', 'Expected a message id or an ISO datetime with a time zone.');
}

async function messagingRoutes(app: App, ctx: Ctx) {
  const svc = ctx.services.messaging;
  const viewer = (req: FastifyRequest) => {
    const u = me(req);
    return { id: u.id, isStaff: u.isStaff };
  };
  const origin = (req: FastifyRequest) => originOf(req, ctx.config.publicBaseUrl);
  const oneThread = async (req: FastifyRequest, threadId: number) => {
    const t = await svc.threadForMember(threadId, viewer(req).id);
    return (await svc.presentThreads(viewer(req), [t], origin(req)))[0];
  };
  const oneMessage = async (req: FastifyRequest, row: Parameters<typeof svc.presentMessages>[1][number]) =>
    (await svc.presentMessages(viewer(req), [row], origin(req)))[0];

  // ---- threads ----

  app.get(
    '/threads',
    {
      schema: {
        tags,
        querystring: Type.Object({ ...PageQuery, search: Type.Optional(Type.String({ maxLength: 100 })) }),
        response: { 200: PageOf(ThreadSchema) },
      },
    },
    async (req) => {
      const page = await svc.listThreads(viewer(req).id, decodeCursor(req.query.cursor), clampPageSize(req.query.page_size, 20, 100));
      return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, await svc.presentThreads(viewer(req), page.rows, origin(req)));
    },
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
      });
      return reply.status(r.created ? 201 : 200).send(await oneMessage(req, r.message));
    },
  );

  // ---- messages ----

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
      });
      return reply.status(r.created ? 201 : 200).send(await oneMessage(req, r.message));
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
      if (!emoji) throw badRequest('emoji is required', 'invalid');
      const r = await svc.toggleReaction(req.params.id, viewer(req).id, emoji);
      const m = await oneMessage(req, r.message);
      return { action: r.action, reactions: m.reactions };
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

export async function registerMessagingRoutes(app: App, ctx: Ctx) {
  await app.register(async (scope) => messagingRoutes(scope as App, ctx));
  await app.register(async (scope) => messagingRoutes(scope as App, ctx), { prefix: '/messaging' });
}
