// Who may message whom, as the users module decides it: a block either way, the recipient's account,
// and their settings.dm_policy. One SQL expression, so a send can decide inside its own statement
// (the messaging module's) and a thread's creation with one query per turn. Part of the one users
// service (service.ts).
import { sql, type Column, type Placeholder, type SQL } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { prepared } from '../../platform/db/prepared.js';
import { turnBatch } from '../../platform/db/turn-batch.js';
import { blocks, follows, users } from './schema.js';

/** Why a message may not go: the refusals in the order they are checked. */
export type MessageRefusal = 'blocked' | 'unavailable' | 'nobody' | 'restricted';

type Operand = number | Placeholder | SQL | Column;

/**
 * Why `sender` may not message `recipient` (a MessageRefusal), or null when they may. "followers":
 * only people who follow the recipient; "following": only people the recipient follows; "mutual"
 * (and any other value): both. The recipient is read once, whatever the expression it is given as.
 */
export function messageRefusalSql(sender: Operand, recipient: Operand): SQL<MessageRefusal | null> {
  const follows_ = (a: SQL | Operand, b: SQL | Operand) => sql`exists (select 1 from ${follows} where ${follows.followerId} = ${a} and ${follows.followeeId} = ${b})`;
  const r = sql`dm_r.rid`;
  const policy = sql`coalesce(dm_u.settings ->> 'dm_policy', 'everyone')`;
  return sql<MessageRefusal | null>`(select case
      when exists (select 1 from ${blocks} where (${blocks.userId} = ${sender} and ${blocks.targetId} = ${r}) or (${blocks.userId} = ${r} and ${blocks.targetId} = ${sender})) then 'blocked'
      when dm_u.id is null or not dm_u.is_active then 'unavailable'
      when ${policy} = 'everyone' then null
      when ${policy} = 'nobody' then 'nobody'
      when (${policy} = 'following' or ${follows_(sender, r)}) and (${policy} = 'followers' or ${follows_(r, sender)}) then null
      else 'restricted' end
    from (select (${recipient})::bigint as rid) dm_r left join ${users} dm_u on dm_u.id = dm_r.rid)`;
}

export function createDmPolicy(ctx: Ctx) {
  const refusals = prepared('users_message_refusals', (d) =>
    d
      .select({ refusal: sql<MessageRefusal | null>`${messageRefusalSql(sql`q.s`, sql`q.r`)}` })
      .from(sql`unnest(${sql.placeholder('senders')}::bigint[], ${sql.placeholder('recipients')}::bigint[]) with ordinality as q(s, r, n)`)
      .orderBy(sql`q.n`),
  );
  // The checks of one turn of the event loop (a burst of sends or thread creations) go out as one query.
  const refusalsInTurn = turnBatch(async (pairs: [number, number][]): Promise<(MessageRefusal | null)[]> => {
    const rows = await refusals(ctx.db).execute({ senders: pairs.map((p) => p[0]), recipients: pairs.map((p) => p[1]) });
    return rows.map((row) => row.refusal);
  });

  /** Why `senderId` may not message `recipientId`, or null when they may. */
  function messageRefusal(senderId: number, recipientId: number): Promise<MessageRefusal | null> {
    return refusalsInTurn([senderId, recipientId]);
  }

  return { messageRefusal, messageRefusalSql };
}
