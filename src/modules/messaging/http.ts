// What the messaging routes share: wire schemas, input shapes, rate buckets and per-request helpers.
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { Ctx } from '../../context.js';
import type { RouteRate } from '../../platform/http/guard.js';
import { fieldError } from '../../platform/http/errors.js';
import { originOf, parseInstant } from '../../platform/http/pagination.js';
import { Loose } from '../../platform/http/schemas.js';
import { me, UserSchema } from '../users/present.js';
import { MAX_BODY, parseId } from './service.js';

export const Id = Type.Integer({ minimum: 1, maximum: 999_999_999_999_999 });
/** The app sends some ids as strings ("thread", "user_id", "reply_to_message_id"). */
export const IdLike = Type.Union([Id, Type.String({ pattern: '^\\s*[1-9][0-9]{0,14}\\s*$' })]);
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
export const Body = Type.String({ maxLength: MAX_BODY });

/** W-User (users/present.ts) without its `$id`: a thread embeds it more than once (members and participants). */
export const WUser = Type.Object(UserSchema.properties);

/** A thread member: the membership row with its W-User. */
export const MemberSchema = Type.Object({ id: Type.Integer(), user: WUser, user_id: Type.Integer(), role: Type.String(), created_at: Type.String(), updated_at: Type.String() });
/** A message attachment (the URL is short-lived and signed; size fields are not measured yet). */
export const AttachmentSchema = Type.Object({
  id: Type.Integer(),
  url: Type.String(),
  type: Type.String(),
  mime_type: Type.String(),
  width: Type.Union([Type.Integer(), Type.Null()]),
  height: Type.Union([Type.Integer(), Type.Null()]),
  duration: Type.Union([Type.Number(), Type.Null()]),
});
/** The quoted message a reply shows (its id is a string, as the app compares it). */
export const ReplyToSchema = Type.Object({ id: Type.String(), sender_id: Type.Integer(), text_preview: Type.String(), has_attachments: Type.Boolean() });
export const ReactionSchema = Type.Object({ emoji: Type.String(), count: Type.Integer(), reacted_by_current_user: Type.Boolean(), reactedByCurrentUser: Type.Boolean(), user_ids: Type.Array(Type.Integer()) });

export const ThreadSchema = Type.Object(
  {
    id: Type.Integer(),
    is_group: Type.Boolean(),
    title: Type.String(),
    members: Type.Array(MemberSchema),
    participants: Type.Array(WUser),
    last_message: Type.Union([Type.Object({ body: Type.String(), created_at: Type.String() }), Type.Null()]),
    unread_count: Type.Integer(),
    created_at: Type.String(),
    updated_at: Type.String(),
  },
  { additionalProperties: true },
);

export const MessageSchema = Type.Object(
  {
    id: Type.Integer(),
    thread: Type.Integer(),
    sender: Type.Union([WUser, Type.Null()]),
    reply_to: Type.Union([ReplyToSchema, Type.Null()]),
    body: Type.String(),
    type: Type.String(),
    meta: Loose,
    status: Type.String(),
    delivered_at: Type.Union([Type.String(), Type.Null()]),
    read_at: Type.Union([Type.String(), Type.Null()]),
    client_uuid: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String(),
    attachments: Type.Array(AttachmentSchema),
    reactions: Type.Array(ReactionSchema),
  },
  { additionalProperties: true },
);

export const ReactionList = Type.Array(ReactionSchema);

export const PageOf = (item: ReturnType<typeof Type.Object>) =>
  Type.Object({ next: Nullable(Type.String()), previous: Nullable(Type.String()), results: Type.Array(item) }, { additionalProperties: true });

export const MessageInput = {
  body: Type.Optional(Body),
  text: Type.Optional(Body),
  content: Type.Optional(Body),
  client_uuid: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
  reply_to_message_id: Type.Optional(Nullable(IdLike)),
  reply_to: Type.Optional(Nullable(IdLike)),
};

export const perMinute = (name: string, limit: number): RouteRate[] => [{ name, by: 'user', limit, windowMs: 60_000 }];
/**
 * Sends: a token bucket of 300 refilled at 60 a minute per user. A phone flushing its offline
 * queue sends a burst (the app does not retry a 429); a sustained flood is still stopped.
 */
export const SEND_BURST = 300;
export const sendRate: RouteRate[] = [{ name: 'messages_create', by: 'user', limit: 60, windowMs: 60_000, burst: SEND_BURST, replacesUserBucket: true }];
export const tags = ['messaging'];

export function textOf(b: { body?: string; text?: string; content?: string }): string {
  return [b.body, b.text, b.content].find((v) => typeof v === 'string' && v.trim() !== '') ?? '';
}

/** `since`: a message id, or an ISO datetime with a zone (a naive one would be ambiguous). */
export function parseSince(raw: string | undefined): { id?: number; at?: Date } {
  if (raw === undefined || raw.trim() === '') return {};
  const id = parseId(raw);
  if (id !== null) return { id };
  const at = /(Z|[+-]\d{2}:?\d{2})$/i.test(raw.trim()) ? parseInstant(raw.trim()) : null;
  if (at) return { at };
  throw fieldError('since', 'Expected a message id or an ISO datetime with a time zone.');
}

/** The per-request helpers every messaging route uses. */
export function routeHelpers(ctx: Ctx) {
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
  return { viewer, origin, oneThread, oneMessage };
}

export type RouteHelpers = ReturnType<typeof routeHelpers>;
