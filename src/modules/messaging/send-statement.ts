// A send's one statement: it decides (the sender is a member; in a direct thread the users module lets
// them message their peer) and writes the message, the thread's time, a direct thread's peer back if
// they had left, and message.created. Part of the messaging service (messages.ts' send()).
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { DbOrTx } from '../../platform/db/index.js';
import { cteColumns } from '../../platform/db/cte.js';
import { prepared } from '../../platform/db/prepared.js';
import type { MessageRefusal } from '../users/dm-policy.js';
import { messages, threadMembers, threads } from './schema.js';
import { MESSAGING_EVENTS } from './events.js';
import { MessagingErrors } from './errors.js';
import { refusalError } from './rules.js';

export type SendValues = Required<Pick<typeof messages.$inferInsert, 'threadId' | 'senderId' | 'body' | 'clientUuid' | 'replyToId' | 'type' | 'meta'>>;

/** Why the statement wrote nothing: the users module's refusal, or no thread of the sender's. */
type Refusal = MessageRefusal | 'no_thread' | null;

export function createSendStatement(ctx: Ctx) {
  /**
   * The statement, its values as placeholders, built once per database handle and prepared. When it
   * refuses it writes nothing and says why (`refusal`); with no refusal and no message, the
   * client_uuid was taken. A group's recipients are its members as the statement reads them.
   */
  function build(q: DbOrTx) {
    const p = sql.placeholder;
    const sender = sql`${p('senderId')}::bigint`;
    const threadId = sql`${p('threadId')}::bigint`;
    // (threads.ts' peerOf, in SQL: the other id of a direct thread's key)
    const peer = sql`case when ${threads.directKey} is null then null when split_part(${threads.directKey}, ':', 1)::bigint = ${sender} then split_part(${threads.directKey}, ':', 2)::bigint else split_part(${threads.directKey}, ':', 1)::bigint end`;
    const g = q.$with('g', { threadId: sql<number | null>`thread_id`.as('thread_id'), peer: sql<number | null>`peer`.as('peer'), refusal: sql<Refusal>`refusal`.as('refusal') }).as(
      sql`select t.id as thread_id, t.peer, case when t.id is null then 'no_thread' when t.peer is null then null else ${ctx.services.users.messageRefusalSql(sender, sql`t.peer`)} end as refusal
          from (select 1) one left join lateral (
            select ${threads.id} as id, ${peer} as peer from ${threads}
            join ${threadMembers} on ${threadMembers.threadId} = ${threads.id} and ${threadMembers.userId} = ${sender}
            where ${threads.id} = ${threadId}) t on true`,
    );
    const m = q.$with('m', getTableColumns(messages)).as(
      sql`insert into ${messages} (thread_id, sender_id, body, client_uuid, reply_to_id, type, meta)
          select g.thread_id, ${sender}, ${p('body')}::text, ${p('clientUuid')}::varchar, ${p('replyToId')}::bigint, ${p('type')}::varchar, ${p('meta')}::jsonb from g where g.refusal is null
          on conflict (thread_id, sender_id, client_uuid) do nothing returning *`,
    );
    const touched = q.$with('touched').as(
      q.update(threads).set({ updatedAt: sql`(select created_at from m)` }).where(and(eq(threads.id, threadId), sql`exists (select 1 from m)`)).returning({ id: threads.id }),
    );
    const rcpt = q.$with('rcpt', { ids: sql<number[]>`ids`.as('ids') }).as(
      sql`select case when g.peer is not null then jsonb_build_array(g.peer)
          else coalesce((select jsonb_agg(user_id order by user_id) from ${threadMembers} where thread_id = g.thread_id and user_id <> ${sender}), '[]'::jsonb) end as ids from g`,
    );
    const rejoined = q.$with('rejoined', { id: sql<number>`id`.as('id') }).as(sql`insert into ${threadMembers} (thread_id, user_id) select m.thread_id, g.peer from m, g where g.peer is not null on conflict do nothing returning id`);
    const event = ctx.events.cte(q, 'ev', MESSAGING_EVENTS.created, sql`jsonb_build_object('messageId', m.id, 'threadId', m.thread_id, 'senderId', m.sender_id, 'recipientIds', (select ids from rcpt), 'body', m.body)`, sql`m`);
    return q
      .with(g, m, touched, rcpt, rejoined, event)
      .select({ refusal: g.refusal, m: cteColumns(messages, m), eventId: sql<number>`(select event_id from ev)`.mapWith(Number), recipientIds: sql<unknown>`(select ids from rcpt)` })
      .from(g)
      .leftJoin(m, sql`true`);
  }
  const statement = prepared('messaging_send', (d) => build(d));

  /**
   * Runs the statement (in `tx` when attachments join it). Throws the refusal; null when the
   * client_uuid was taken meanwhile.
   */
  return async function insertMessage(tx: DbOrTx | null, values: SendValues) {
    const [row] = await (tx ? build(tx).prepare('') : statement(ctx.db)).execute({ ...values, meta: JSON.stringify(values.meta) });
    if (row.refusal === 'no_thread') throw MessagingErrors.threadNotFound();
    const refused = refusalError(row.refusal);
    if (refused) throw refused;
    if (!row.m) return null;
    const recipientIds = (typeof row.recipientIds === 'string' ? JSON.parse(row.recipientIds) : row.recipientIds) as number[];
    return { message: row.m, eventId: row.eventId, recipientIds: recipientIds.map(Number) };
  };
}
