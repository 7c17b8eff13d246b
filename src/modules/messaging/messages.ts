// Messages: the member's history and sync, idempotent sends with attachments, unread reminders,
// reactions, edits, deletes and moderation. Part of the one messaging service (service.ts).
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, lt, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/index.js';
import { prepared } from '../../platform/db/prepared.js';
import { batchJobId } from '../../platform/events.js';
import type { Ctx } from '../../context.js';
import type { UploadedFile } from '../../platform/http/multipart.js';
import { sniffMedia } from '../../platform/storage/sniff.js';
import { fieldError } from '../../platform/http/errors.js';
import { encodeCursor, type Keyset } from '../../platform/http/pagination.js';
import { attachments, messages, reactions, threadMembers, type AttachmentRow, type MessageRow } from './schema.js';
import { type MessagingPresenter, type PresentedMessage } from './present.js';
import type { Viewer } from '../users/present.js';
import { assertMayMessage } from './rules.js';
import { createSendStatement } from './send-statement.js';
import { MESSAGING_EVENTS, REMINDER_DELAY_MS, REMINDER_JOB, messageNewFrame, reactionFrame, type MessageCreatedEvent, type ReminderJob } from './events.js';
import type { Threads } from './threads.js';
import { MessagingErrors } from './errors.js';

export const MAX_BODY = 10_000;

const MAX_IMAGES = 4;

export interface SendInput {
  body: string;
  clientUuid?: string | null;
  replyToId?: number | null;
  type?: string;
  meta?: Record<string, unknown>;
  files?: UploadedFile[];
  /** Who the HTTP answer is for: presented together with the live frame (one set of queries). */
  answerFor?: { viewer: Viewer; origin?: string };
}

/** A client-supplied id given as a number or a numeric string; anything else is null. */
export function parseId(raw: unknown): number | null {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  return Number.isSafeInteger(n) && n > 0 && n < 1e15 ? n : null;
}

/** Messages hidden by moderation are absent for everyone but their sender. */
const shownTo = (userId: number) => or(eq(messages.hidden, false), eq(messages.senderId, userId));

export function createMessages(ctx: Ctx, threadOps: Threads, presenter: MessagingPresenter) {
  const db = () => ctx.db;
  const rt = () => ctx.services.realtime;
  const { threadForMember, memberIds, peerOf } = threadOps;
  const insertMessage = createSendStatement(ctx);

  // ---- messages ------------------------------------------------------------------------------

  async function messageForMember(messageId: number, userId: number): Promise<MessageRow> {
    const [row] = await db()
      .select({ m: messages })
      .from(messages)
      .innerJoin(threadMembers, and(eq(threadMembers.threadId, messages.threadId), eq(threadMembers.userId, userId)))
      .where(and(eq(messages.id, messageId), shownTo(userId)))
      .limit(1);
    if (!row) throw MessagingErrors.messageNotFound();
    return row.m;
  }

  async function listMessages(userId: number, threadId: number | null, cursor: Keyset | null, limit: number) {
    if (threadId !== null) await threadForMember(threadId, userId);
    const mine = db().select({ id: threadMembers.threadId }).from(threadMembers).where(eq(threadMembers.userId, userId));
    const rows = await db()
      .select()
      .from(messages)
      .where(and(threadId !== null ? eq(messages.threadId, threadId) : inArray(messages.threadId, mine), cursor ? lt(messages.id, cursor.id) : undefined, shownTo(userId)))
      .orderBy(desc(messages.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { rows: page, nextCursor: rows.length > limit && last ? encodeCursor({ t: last.createdAt.toISOString(), id: last.id }) : null };
  }

  /** Messages newer than `since` (an id or an ISO datetime), oldest first. */
  async function sync(threadId: number, userId: number, since: { id?: number; at?: Date }, limit = 500) {
    await threadForMember(threadId, userId);
    return db()
      .select()
      .from(messages)
      .where(and(eq(messages.threadId, threadId), since.id !== undefined ? gt(messages.id, since.id) : undefined, since.at ? gt(messages.createdAt, since.at) : undefined, shownTo(userId)))
      .orderBy(asc(messages.id))
      .limit(limit);
  }

  function checkFiles(files: UploadedFile[]) {
    const sniffed = files.map((f) => {
      const s = sniffMedia(f.head);
      if (!s) throw fieldError('attachments', 'Unsupported attachment type.');
      return { file: f, ...s };
    });
    const images = sniffed.filter((s) => s.kind === 'image').length;
    const videos = sniffed.length - images;
    if (images && videos) throw fieldError('attachments', 'Cannot mix images and videos in the same message.');
    if (images > MAX_IMAGES) throw fieldError('attachments', 'You can attach up to 4 images per message.');
    if (videos > 1) throw fieldError('attachments', 'Only one video can be attached per message.');
    return sniffed;
  }

  async function findByClientUuid(threadId: number, senderId: number, clientUuid: string) {
    const [m] = await db()
      .select()
      .from(messages)
      .where(and(eq(messages.threadId, threadId), eq(messages.senderId, senderId), eq(messages.clientUuid, clientUuid)))
      .limit(1);
    return m ?? null;
  }

  /** Creates a message, or returns the sender's earlier one with the same client_uuid (created: false). */
  async function send(threadId: number, senderId: number, input: SendInput): Promise<{ message: MessageRow; created: boolean; presented?: PresentedMessage }> {
    const body = input.body.trim();
    if (body.length > MAX_BODY) throw fieldError('body', `Ensure this field has no more than ${MAX_BODY} characters.`);
    const clientUuid = input.clientUuid?.trim() || null;
    // A plain text send (the app's usual one) is decided by its statement: membership and the users
    // module's refusal are read in the same round trip as the write. A send with files, a reply or no
    // body checks first, in the order its errors answer, and a retry of it is answered with the first
    // message before anything can refuse it or store its files again (the statement checks again).
    if (input.files?.length || input.replyToId != null || !body) {
      const peer = peerOf(await threadForMember(threadId, senderId), senderId);
      if (peer !== null) await assertMayMessage(ctx, senderId, peer);
      if (clientUuid) {
        const existing = await findByClientUuid(threadId, senderId, clientUuid);
        if (existing) return { message: existing, created: false };
      }
    }
    if (input.replyToId != null) {
      const [r] = await db().select({ threadId: messages.threadId }).from(messages).where(eq(messages.id, input.replyToId)).limit(1);
      if (!r) throw fieldError('reply_to_message_id', `Invalid pk "${input.replyToId}" - object does not exist.`);
      if (r.threadId !== threadId) throw fieldError('reply_to_message_id', 'Must reply within the same thread.');
    }
    const files = checkFiles(input.files ?? []);
    if (!body && !files.length) throw fieldError('body', 'A message needs a body or an attachment.');
    const stored = await Promise.all(
      files.map(async (f) => {
        const key = `messages/attachments/${randomUUID()}.${f.ext}`;
        await ctx.storage.put(key, f.file, f.mime);
        return { key, kind: f.kind, mime: f.mime };
      }),
    );
    const type = stored.length ? stored[0].kind : (input.type ?? 'text');
    const dropStored = () => Promise.all(stored.map((s) => ctx.storage.delete(s.key).catch(() => undefined)));
    // One statement (send-statement.ts) decides, writes the message, touches the thread, puts a direct
    // thread's peer back if they had left, and records message.created (its recipients: a group's
    // members as of the statement). Attachments, when there are any, join it in a transaction.
    const write = async (tx: DbOrTx | null) => {
      const sent = await insertMessage(tx, { threadId, senderId, body, clientUuid, replyToId: input.replyToId ?? null, type, meta: input.meta ?? {} });
      if (!sent) return null; // a concurrent retry won; its message is returned below
      const files = stored.length
        ? (await tx!.insert(attachments).values(stored.map((s) => ({ messageId: sent.message.id, storageKey: s.key, type: s.kind, mimeType: s.mime }))).returning()).sort((a, b) => a.id - b.id)
        : [];
      return { ...sent, files };
    };
    const written = await (stored.length ? db().transaction(write) : write(null)).catch(async (e: unknown) => {
      await dropStored();
      throw e;
    });
    if (written) ctx.events.emitted(MESSAGING_EVENTS.created, [written.eventId]);
    const result = written && { row: written.message, files: written.files, memberIds: [senderId, ...written.recipientIds] };
    if (!result) {
      await dropStored();
      const existing = clientUuid ? await findByClientUuid(threadId, senderId, clientUuid) : null;
      if (!existing) throw new Error('client_uuid conflict without a stored message');
      return { message: existing, created: false };
    }
    // Every member's list changes (order, last message, unread counts), also pages that did not show this thread.
    threadOps.inboxesChanged(result.memberIds);
    const presented = await afterCreate(result.row, result.memberIds, result.files, input.answerFor);
    return { message: result.row, created: true, presented };
  }

  // Live frames are best effort (a client resyncs through threads/{id}/sync/); what must happen
  // follows the message.created event instead. The members are the ones the transaction read, and
  // the sender's answer is presented with the frame.
  async function afterCreate(m: MessageRow, members: number[], files: AttachmentRow[], answerFor?: { viewer: Viewer; origin?: string }) {
    const [[frame], answer] = await presenter.presentMessagesFor([{ viewer: null }, ...(answerFor ? [answerFor] : [])], [m], { files });
    await rt().publishToUsers(members, messageNewFrame(frame));
    return answer?.[0];
  }

  /**
   * message.created listener: one delayed job for the messages of a relay batch, not one per
   * message and recipient (at 500 messages/s the queue's own work per job cost more than the
   * send). Its id comes from the batch's
   * events, so a redelivered batch queues it once; a batch redelivered in other company can remind
   * twice, which the notification's dedupe key absorbs.
   */
  async function scheduleReminders(events: { payload: MessageCreatedEvent; meta: { id: number } }[]) {
    const items = events.flatMap(({ payload: e }) => e.recipientIds.map((r): [number, number] => [e.messageId, r]));
    if (!items.length) return;
    await ctx.queue.enqueue<ReminderJob>(REMINDER_JOB, { items }, { delayMs: REMINDER_DELAY_MS, jobId: batchJobId('msg-unread', events) });
  }

  /**
   * Delayed job: notify only the recipients who have still not read their message. One statement
   * for the whole batch reads each message and its recipient's read pointer and writes
   * message.unread_reminder for those still unread. Per recipient: the status is per message, so in
   * a group another member's read says nothing.
   */
  const remindStatement = prepared('messaging_unread_reminders', (d) => {
    const p = sql.placeholder;
    const unread = d.$with('unread', { id: sql<number>`id`.as('id') }).as(
      sql`select m.id, m.thread_id, m.sender_id, m.body, due.recipient_id
          from unnest(${p('messages')}::bigint[], ${p('recipients')}::bigint[]) as due(message_id, recipient_id)
          join ${messages} m on m.id = due.message_id
          join ${threadMembers} tm on tm.thread_id = m.thread_id and tm.user_id = due.recipient_id
          where not m.hidden and (tm.last_read_message_id is null or tm.last_read_message_id < m.id)`,
    );
    // The preview as textPreview() makes it (bodies are stored trimmed).
    const preview = sql`case when char_length(unread.body) > 120 then left(unread.body, 117) || '...' else unread.body end`;
    const event = ctx.events.cte(
      d,
      'ev',
      MESSAGING_EVENTS.unreadReminder,
      sql`jsonb_build_object('messageId', unread.id, 'threadId', unread.thread_id, 'senderId', unread.sender_id, 'recipientId', unread.recipient_id, 'preview', ${preview})`,
      sql`unread`,
    );
    return d.with(unread, event).select({ eventId: event.eventId }).from(event);
  });

  async function remindIfUnread(job: ReminderJob) {
    // (A job queued before batches carries one pair.)
    const items = job.items ?? (job.messageId !== undefined && job.recipientId !== undefined ? [[job.messageId, job.recipientId] as [number, number]] : []);
    if (!items.length) return;
    const rows = await remindStatement(db()).execute({ messages: items.map((i) => i[0]), recipients: items.map((i) => i[1]) });
    if (rows.length) ctx.events.emitted(MESSAGING_EVENTS.unreadReminder, rows.map((r) => r.eventId));
  }

  async function toggleReaction(messageId: number, userId: number, emoji: string) {
    const m = await messageForMember(messageId, userId);
    // One transaction: the insert-or-delete decides once, even when a concurrent toggle races it.
    const action = await db().transaction(async (tx): Promise<'added' | 'removed'> => {
      const added = await tx.insert(reactions).values({ messageId, userId, emoji }).onConflictDoNothing().returning({ e: reactions.emoji });
      if (added.length) return 'added';
      await tx.delete(reactions).where(and(eq(reactions.messageId, messageId), eq(reactions.userId, userId), eq(reactions.emoji, emoji)));
      return 'removed';
    });
    // Never echoed to the reactor: the app already applied it optimistically.
    const others = (await memberIds(m.threadId)).filter((id) => id !== userId);
    await rt().publishToUsers(others, reactionFrame({ messageId, threadId: m.threadId, emoji, userId, action }));
    return { action, message: m };
  }

  async function edit(messageId: number, userId: number, body: string): Promise<MessageRow> {
    const m = await messageForMember(messageId, userId);
    if (m.senderId !== userId) throw MessagingErrors.messageNotFound();
    const text = body.trim();
    if (!text) throw fieldError('body', 'This field may not be blank.');
    const [row] = await db().update(messages).set({ body: text, editedAt: new Date() }).where(eq(messages.id, messageId)).returning();
    return row;
  }

  async function remove(messageId: number, userId: number) {
    const m = await messageForMember(messageId, userId);
    if (m.senderId !== userId) throw MessagingErrors.messageNotFound();
    const files = await db().select({ key: attachments.storageKey }).from(attachments).where(eq(attachments.messageId, messageId));
    await db().delete(messages).where(eq(messages.id, messageId));
    await Promise.all(files.map((f) => ctx.storage.delete(f.key).catch(() => undefined)));
  }

  /** Moderation: hides a message from everyone but its sender (or shows it again). */
  async function hideMessage(messageId: number, hidden = true): Promise<boolean> {
    const r = await db().update(messages).set({ hidden }).where(eq(messages.id, messageId)).returning({ id: messages.id, threadId: messages.threadId, senderId: messages.senderId });
    if (!r.length) return false;
    const members = await memberIds(r[0].threadId);
    threadOps.inboxesChanged(members); // (no member's request: moderation)
    // Open chats drop it at once; the sender keeps it (marked hidden) like the post author does.
    if (hidden) {
      const others = members.filter((id) => id !== r[0].senderId);
      await rt().publishToUsers(others, { type: 'message.deleted', message_id: messageId, thread_id: r[0].threadId, reason: 'moderation' });
    }
    return true;
  }

  /** The sender of a message, or null when it does not exist (moderation reports on messages). */
  async function senderOf(messageId: number): Promise<number | null> {
    const [row] = await db().select({ s: messages.senderId }).from(messages).where(eq(messages.id, messageId)).limit(1);
    return row?.s ?? null;
  }

  /**
   * Whether `userId` is a member of the thread holding the attachment stored under `key` (GET /media/),
   * and the message is not taken down (its sender still sees it, as in the thread).
   */
  async function canReadAttachment(userId: number, key: string): Promise<boolean> {
    const [row] = await db()
      .select({ id: attachments.id })
      .from(attachments)
      .innerJoin(messages, eq(messages.id, attachments.messageId))
      .innerJoin(threadMembers, and(eq(threadMembers.threadId, messages.threadId), eq(threadMembers.userId, userId)))
      .where(and(eq(attachments.storageKey, key), or(eq(messages.hidden, false), eq(messages.senderId, userId))))
      .limit(1);
    return Boolean(row);
  }

  return {
    messageForMember,
    listMessages,
    sync,
    send,
    remindIfUnread,
    scheduleReminders,
    toggleReaction,
    edit,
    remove,
    hideMessage,
    senderOf,
    canReadAttachment,
  };
}

export type Messages = ReturnType<typeof createMessages>;
