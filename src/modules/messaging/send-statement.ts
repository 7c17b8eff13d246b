// A send's one statement: it decides (the sender is a member; in a direct thread the users module lets
// them message their peer) and writes the message, the thread's time, a direct thread's peer back if
// they had left, and message.created. Part of the messaging service (messages.ts' send()).
import { and, eq, getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { DbOrTx } from '../../platform/db/index.js';
import { cteColumns } from '../../platform/db/cte.js';
import { prepared } from '../../platform/db/prepared.js';
import { turnBatchWrites } from '../../platform/db/turn-batch.js';
import type { MessageRefusal } from '../users/dm-policy.js';
import { messages, threadMembers, threads, type MessageRow } from './schema.js';
import { MESSAGING_EVENTS } from './events.js';
import { MessagingErrors } from './errors.js';
import { refusalError } from './rules.js';

export type SendValues = Required<Pick<typeof messages.$inferInsert, 'threadId' | 'senderId' | 'body' | 'clientUuid' | 'replyToId' | 'type' | 'meta'>>;

/** Why the statement wrote nothing: the users module's refusal, or no thread of the sender's. */
type Refusal = MessageRefusal | 'no_thread' | null;

// (threads.ts' peerOf, in SQL: the other id of a direct thread's key)
const peerSql = (sender: SQL) =>
  sql`case when ${threads.directKey} is null then null when split_part(${threads.directKey}, ':', 1)::bigint = ${sender} then split_part(${threads.directKey}, ':', 2)::bigint else split_part(${threads.directKey}, ':', 1)::bigint end`;

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
    const peer = peerSql(sender);
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
   * The same for the sends of one turn without a reply or files, over arrays: each row decided on its
   * own, a row per send (`ord`, from 1) with its refusal and, when it wrote, its message, event and
   * recipients. Each send's message id is drawn first, so its row is found by it. A later send of the
   * batch with an earlier one's (thread, sender, client_uuid) finds it taken, as it would in a
   * statement after it.
   */
  function buildMany(q: DbOrTx) {
    const arr = (name: string, type: string) => sql`${sql.placeholder(name)}::${sql.raw(type)}[]`;
    const sender = sql`n.sender_id`;
    const g = q.$with('g', { ord: sql<number>`ord`.mapWith(Number).as('ord'), refusal: sql<Refusal>`refusal`.as('refusal') }).as(
      sql`select n.*, nextval(pg_get_serial_sequence('msg_messages', 'id')) as msg_id, t.id as found_id, t.peer, case when t.id is null then 'no_thread' when t.peer is null then null else ${ctx.services.users.messageRefusalSql(sender, sql`t.peer`)} end as refusal
          from unnest(${arr('threadIds', 'bigint')}, ${arr('senderIds', 'bigint')}, ${arr('bodies', 'text')}, ${arr('clientUuids', 'text')}, ${arr('types', 'text')}, ${arr('metas', 'jsonb')})
               with ordinality as n(thread_id, sender_id, body, client_uuid, type, meta, ord)
          left join lateral (
            select ${threads.id} as id, ${peerSql(sender)} as peer from ${threads}
            join ${threadMembers} on ${threadMembers.threadId} = ${threads.id} and ${threadMembers.userId} = ${sender}
            where ${threads.id} = n.thread_id) t on true`,
    );
    const m = q.$with('m', getTableColumns(messages)).as(
      sql`insert into ${messages} (id, thread_id, sender_id, body, client_uuid, type, meta) overriding system value
          select g.msg_id, g.found_id, g.sender_id, g.body, g.client_uuid, g.type, g.meta from g where g.refusal is null order by g.ord
          on conflict (thread_id, sender_id, client_uuid) do nothing returning *`,
    );
    // Each message with its send: the id was drawn for it (a send whose client_uuid was taken, also by
    // an earlier send of the batch, wrote nothing and has none).
    // (its columns, as rcpt's, are named apart from g's: the last select names them unqualified)
    const mg = q.$with('mg', { id: sql<number>`mg_id`.as('mg_id'), ord: sql<number>`mg_ord`.as('mg_ord') }).as(sql`select m.id as mg_id, g.ord as mg_ord from m join g on g.msg_id = m.id`);
    // (threads in id order: two turns' statements touching the same threads take their rows in one order)
    const touched = q.$with('touched', { id: sql<number>`id`.as('id') }).as(
      sql`update ${threads} set updated_at = x.at from (select thread_id, max(created_at) as at from m group by thread_id order by thread_id) x where ${threads.id} = x.thread_id returning ${threads.id}`,
    );
    const rcpt = q.$with('rcpt', { ord: sql<number>`rcpt_ord`.as('rcpt_ord'), ids: sql<number[]>`ids`.as('ids') }).as(
      sql`select g.ord as rcpt_ord, case when g.peer is not null then jsonb_build_array(g.peer)
          else coalesce((select jsonb_agg(user_id order by user_id) from ${threadMembers} where thread_id = g.found_id and user_id <> g.sender_id), '[]'::jsonb) end as ids
          from g where g.refusal is null`,
    );
    const rejoined = q.$with('rejoined', { id: sql<number>`id`.as('id') }).as(
      sql`insert into ${threadMembers} (thread_id, user_id) select distinct m.thread_id, g.peer from m join mg on mg.mg_id = m.id join g on g.ord = mg.mg_ord where g.peer is not null on conflict do nothing returning id`,
    );
    const event = ctx.events.cte(
      q,
      'ev',
      MESSAGING_EVENTS.created,
      sql`jsonb_build_object('messageId', m.id, 'threadId', m.thread_id, 'senderId', m.sender_id, 'recipientIds', rcpt.ids, 'body', m.body)`,
      sql`m join mg on mg.mg_id = m.id join rcpt on rcpt.rcpt_ord = mg.mg_ord`,
    );
    return q
      .with(g, m, mg, touched, rcpt, rejoined, event)
      .select({ ord: g.ord, refusal: g.refusal, m: cteColumns(messages, m), eventId: event.eventId, recipientIds: rcpt.ids })
      .from(g)
      .leftJoin(mg, sql`mg.mg_ord = g.ord`)
      .leftJoin(m, sql`m.id = mg.mg_id`)
      .leftJoin(event, sql`(ev.payload ->> 'messageId')::bigint = m.id`)
      .leftJoin(rcpt, sql`rcpt.rcpt_ord = g.ord`);
  }
  const manyStatement = prepared('messaging_send_many', (d) => buildMany(d));

  type Row = { refusal: Refusal; m: MessageRow | null; eventId: number | null; recipientIds: unknown };
  type Sent = { message: MessageRow; eventId: number; recipientIds: number[] } | null;
  /** The refusal thrown; null when the client_uuid was taken. */
  const outcome = (row: Row): Sent => {
    if (row.refusal === 'no_thread') throw MessagingErrors.threadNotFound();
    const refused = refusalError(row.refusal);
    if (refused) throw refused;
    if (!row.m) return null;
    const recipientIds = (typeof row.recipientIds === 'string' ? JSON.parse(row.recipientIds) : row.recipientIds) as number[];
    return { message: row.m, eventId: row.eventId!, recipientIds: recipientIds.map(Number) };
  };
  const one = async (tx: DbOrTx | null, values: SendValues) =>
    outcome((await (tx ? build(tx).prepare('') : statement(ctx.db)).execute({ ...values, meta: JSON.stringify(values.meta) }))[0] as Row);

  const inTurn = turnBatchWrites(
    (values: SendValues) => one(null, values),
    async (batch) => {
      const rows = (await manyStatement(ctx.db).execute({
        threadIds: batch.map((v) => v.threadId),
        senderIds: batch.map((v) => v.senderId),
        bodies: batch.map((v) => v.body),
        clientUuids: batch.map((v) => v.clientUuid),
        types: batch.map((v) => v.type),
        metas: batch.map((v) => JSON.stringify(v.meta)),
      })) as (Row & { ord: number })[];
      const byOrd = new Map(rows.map((r) => [r.ord, r]));
      return batch.map((_, i) => () => outcome(byOrd.get(i + 1)!));
    },
  );

  /**
   * Runs the statement (in `tx` when attachments join it). Throws the refusal; null when the
   * client_uuid was taken meanwhile. The sends of one turn without attachments or a reply share one statement.
   */
  return async function insertMessage(tx: DbOrTx | null, values: SendValues): Promise<Sent> {
    return tx || values.replyToId !== null ? one(tx, values) : inTurn(values);
  };
}
