// Read receipts and delivery status: the caller's read pointer, delivered/read acks (forward-only) and
// their status frames to senders. Part of the one messaging service (service.ts).
import { and, desc, eq, inArray, lte, ne, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { messages, threadMembers, type MessageRow } from './schema.js';
import { messageStatusFrame } from './events.js';
import type { Threads } from './threads.js';
import type { Messages } from './messages.js';
import { MessagingErrors } from './errors.js';

const STATUS_FRAMES_MAX = 200;

export function createReceipts(ctx: Ctx, threadOps: Threads, messageOps: Messages) {
  const db = () => ctx.db;
  const rt = () => ctx.services.realtime;
  const { threadForMember } = threadOps;
  const { messageForMember } = messageOps;

  /** Moves the caller's read pointer forward and marks others' messages up to it as read. */
  async function markRead(threadId: number, userId: number, requested: number | null): Promise<number | null> {
    await threadForMember(threadId, userId);
    let target: number | null = null;
    if (requested !== null) {
      const [m] = await db().select({ id: messages.id }).from(messages).where(and(eq(messages.id, requested), eq(messages.threadId, threadId))).limit(1);
      target = m?.id ?? null;
    }
    if (target === null) {
      const [m] = await db().select({ id: messages.id }).from(messages).where(eq(messages.threadId, threadId)).orderBy(desc(messages.id)).limit(1);
      if (!m) return null;
      target = m.id;
    }
    const now = new Date();
    const { pointer, changed } = await db().transaction(async (tx) => {
      const [mem] = await tx
        .update(threadMembers)
        .set({ lastReadMessageId: sql`greatest(coalesce(${threadMembers.lastReadMessageId}, 0), ${target})`, updatedAt: now })
        .where(and(eq(threadMembers.threadId, threadId), eq(threadMembers.userId, userId)))
        .returning({ p: threadMembers.lastReadMessageId });
      const p = mem?.p ?? target!;
      // No RETURNING: a backlog of thousands would come back whole. The frames below announce the
      // newest changed messages only (ticks of older ones follow on sync).
      await tx
        .update(messages)
        .set({ status: 'read', readAt: now, deliveredAt: sql`coalesce(${messages.deliveredAt}, ${now.toISOString()}::timestamptz)` })
        .where(and(eq(messages.threadId, threadId), ne(messages.senderId, userId), lte(messages.id, p), ne(messages.status, 'read')));
      const changed = await tx
        .select()
        .from(messages)
        .where(and(eq(messages.threadId, threadId), ne(messages.senderId, userId), lte(messages.id, p), eq(messages.readAt, now)))
        .orderBy(desc(messages.id))
        .limit(STATUS_FRAMES_MAX);
      return { pointer: p, changed };
    });
    await publishStatuses(changed);
    return pointer;
  }

  /** One frame per changed message; a huge backlog only announces its newest 200 (ticks of older ones follow on sync). */
  async function publishStatuses(rows: MessageRow[]) {
    const recent = rows.length > STATUS_FRAMES_MAX ? [...rows].sort((x, y) => y.id - x.id).slice(0, STATUS_FRAMES_MAX) : rows;
    await Promise.all(recent.map((m) => rt().publishToUsers([m.senderId], messageStatusFrame(m))));
  }

  const STATUS_RANK: Record<string, number> = { pending: 0, sent: 1, delivered: 2, read: 3 };

  async function ack(messageId: number, userId: number, status: 'delivered' | 'read'): Promise<MessageRow> {
    const m = await messageForMember(messageId, userId);
    if (m.senderId === userId) throw MessagingErrors.ownMessage();
    const now = new Date();
    if (status === 'read') {
      // A read ack also moves the reader's own pointer (forward-only), which unread counts and reminders use.
      await db()
        .update(threadMembers)
        .set({ lastReadMessageId: sql`greatest(coalesce(${threadMembers.lastReadMessageId}, 0), ${messageId})`, updatedAt: now })
        .where(and(eq(threadMembers.threadId, m.threadId), eq(threadMembers.userId, userId)));
    }
    if (STATUS_RANK[m.status] >= STATUS_RANK[status]) return m;
    const [updated] = await db()
      .update(messages)
      .set(
        status === 'read'
          ? { status, readAt: now, deliveredAt: sql`coalesce(${messages.deliveredAt}, ${now.toISOString()}::timestamptz)` }
          : { status, deliveredAt: now },
      )
      // Forward-only, also against a concurrent ack.
      .where(and(eq(messages.id, messageId), inArray(messages.status, status === 'read' ? ['pending', 'sent', 'delivered'] : ['pending', 'sent'])))
      .returning();
    if (!updated) return (await db().select().from(messages).where(eq(messages.id, messageId)))[0] ?? m;
    await publishStatuses([updated]);
    return updated;
  }

  return {
    markRead,
    ack,
  };
}

export type Receipts = ReturnType<typeof createReceipts>;
