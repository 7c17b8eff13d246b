// The messaging module's rules: threads (direct and group), memberships and read pointers,
// idempotent sends, reactions, delivery status, typing state. Realtime events and domain events
// are published only after the database commit.
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, lt, lte, ne, or, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { UploadedFile } from '../../platform/http/multipart.js';
import type { Viewer } from '../users/present.js';
import { sniffMedia } from '../../platform/storage/sniff.js';
import { badRequest, fieldError, notFound } from '../../platform/http/errors.js';
import { encodeCursor, olderThan, type Keyset } from '../../platform/http/pagination.js';
import { attachments, messages, reactions, threadMembers, threads, type MessageRow, type ThreadRow } from './schema.js';
import { createMessagingPresenter, textPreview } from './present.js';
import { assertMayMessage } from './rules.js';
import {
  MESSAGING_EVENTS,
  REMINDER_DELAY_MS,
  REMINDER_JOB,
  memberLeftFrame,
  messageNewFrame,
  messageStatusFrame,
  reactionFrame,
  typingFrame,
  type MessageCreatedEvent,
  type ReminderJob,
  type UnreadReminderEvent,
} from './events.js';

export const MAX_BODY = 10_000;
export const TYPING_TTL_MS = 7000;
const STATUS_FRAMES_MAX = 200;
const MAX_IMAGES = 4;

export interface SendInput {
  body: string;
  clientUuid?: string | null;
  replyToId?: number | null;
  type?: string;
  meta?: Record<string, unknown>;
  files?: UploadedFile[];
}

const directKey = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);
const typingKey = (threadId: number) => `typing:thread:${threadId}`;

/** A client-supplied id given as a number or a numeric string; anything else is null. */
export function parseId(raw: unknown): number | null {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  return Number.isSafeInteger(n) && n > 0 && n < 1e15 ? n : null;
}

/** Messages hidden by moderation are absent for everyone but their sender. */
const shownTo = (userId: number) => or(eq(messages.hidden, false), eq(messages.senderId, userId));

export function createMessagingService(ctx: Ctx) {
  const db = () => ctx.db;
  const presenter = createMessagingPresenter(ctx);
  const rt = () => ctx.services.realtime;

  // ---- threads -------------------------------------------------------------------------------

  /** The thread if `userId` is a member; other people's threads are 404. */
  async function threadForMember(threadId: number, userId: number): Promise<ThreadRow> {
    const [row] = await db()
      .select({ t: threads })
      .from(threads)
      .innerJoin(threadMembers, and(eq(threadMembers.threadId, threads.id), eq(threadMembers.userId, userId)))
      .where(eq(threads.id, threadId))
      .limit(1);
    if (!row) throw notFound('Thread not found.');
    return row.t;
  }

  async function memberIds(threadId: number): Promise<number[]> {
    const rows = await db().select({ u: threadMembers.userId }).from(threadMembers).where(eq(threadMembers.threadId, threadId));
    return rows.map((r) => r.u);
  }

  function peerOf(t: ThreadRow, userId: number): number | null {
    if (!t.directKey) return null;
    const [a, b] = t.directKey.split(':').map(Number);
    return a === userId ? b : a;
  }

  async function listThreads(userId: number, cursor: Keyset | null, limit: number) {
    const rows = await db()
      .select({ t: threads })
      .from(threads)
      .innerJoin(threadMembers, and(eq(threadMembers.threadId, threads.id), eq(threadMembers.userId, userId)))
      .where(olderThan(threads.updatedAt, threads.id, cursor))
      .orderBy(desc(threads.updatedAt), desc(threads.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit).map((r) => r.t);
    const last = page[page.length - 1];
    const nextCursor = rows.length > limit && last ? encodeCursor({ t: last.updatedAt.toISOString(), id: last.id }) : null;
    return { rows: page, nextCursor };
  }

  /** Get-or-create the one direct thread of a pair; safe under concurrent calls (unique direct_key). */
  async function getOrCreateDirect(userId: number, targetId: number, initialMessage?: string): Promise<{ thread: ThreadRow; created: boolean }> {
    if (targetId === userId) throw badRequest('Cannot start a direct thread with yourself', 'self_thread');
    const target = await ctx.services.users.getById(targetId);
    if (!target || !target.isActive) throw notFound('Target user not found');
    await assertMayMessage(ctx, userId, targetId);
    const key = directKey(userId, targetId);
    const result = await db().transaction(async (tx) => {
      const [inserted] = await tx.insert(threads).values({ isGroup: false, createdById: userId, directKey: key }).onConflictDoNothing({ target: threads.directKey }).returning();
      const thread = inserted ?? (await tx.select().from(threads).where(eq(threads.directKey, key)).limit(1))[0];
      // Re-adds a member who had left ("deleted" the conversation) so both sides see it again.
      await tx.insert(threadMembers).values([{ threadId: thread.id, userId }, { threadId: thread.id, userId: targetId }]).onConflictDoNothing();
      return { thread, created: Boolean(inserted) };
    });
    if (result.created && initialMessage?.trim()) await send(result.thread.id, userId, { body: initialMessage });
    return result;
  }

  async function createThread(userId: number, input: { participantIds: number[]; title?: string; isGroup?: boolean; initialMessage?: string }) {
    const others = [...new Set(input.participantIds)].filter((id) => id !== userId);
    if (!input.participantIds.length) throw fieldError('participant_ids', 'At least one participant is required.');
    if (!others.length) throw fieldError('participant_ids', 'Add at least one participant besides yourself.');
    const found = await ctx.services.users.getMany(others);
    const unknown = others.filter((id) => !found.get(id)?.isActive);
    if (unknown.length) throw fieldError('participant_ids', `Unknown participant IDs: ${unknown.join(', ')}`);
    if (others.length === 1 && input.isGroup !== true) return getOrCreateDirect(userId, others[0], input.initialMessage);
    for (const id of others) await assertMayMessage(ctx, userId, id);
    const thread = await db().transaction(async (tx) => {
      const [t] = await tx.insert(threads).values({ isGroup: true, title: input.title ?? '', createdById: userId }).returning();
      await tx.insert(threadMembers).values([userId, ...others].map((u) => ({ threadId: t.id, userId: u, role: u === userId ? 'admin' : 'member' })));
      return t;
    });
    if (input.initialMessage?.trim()) await send(thread.id, userId, { body: input.initialMessage });
    return { thread, created: true };
  }

  async function leave(threadId: number, userId: number) {
    await threadForMember(threadId, userId);
    const remaining = await db().transaction(async (tx) => {
      await tx.delete(threadMembers).where(and(eq(threadMembers.threadId, threadId), eq(threadMembers.userId, userId)));
      const left = await tx.select({ u: threadMembers.userId }).from(threadMembers).where(eq(threadMembers.threadId, threadId));
      if (!left.length) await tx.delete(threads).where(eq(threads.id, threadId));
      return left.map((r) => r.u);
    });
    await ctx.kv.hashDel(typingKey(threadId), String(userId));
    if (remaining.length) await rt().publishToUsers(remaining, memberLeftFrame(threadId, userId));
  }

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

  // ---- typing (ephemeral: ctx.kv hash with a TTL, never PostgreSQL) ------------------------

  async function setTyping(threadId: number, user: { id: number; name: string; handle: string }, isTyping: boolean) {
    await threadForMember(threadId, user.id);
    if (isTyping) await ctx.kv.hashSet(typingKey(threadId), String(user.id), String(Date.now()), TYPING_TTL_MS);
    else await ctx.kv.hashDel(typingKey(threadId), String(user.id));
    const others = (await memberIds(threadId)).filter((id) => id !== user.id);
    await rt().publishToUsers(others, typingFrame({ threadId, userId: user.id, name: user.name || null, handle: user.handle || null, isTyping }));
  }

  async function typingUserIds(threadId: number, viewerId: number): Promise<number[]> {
    await threadForMember(threadId, viewerId);
    const entries = await ctx.kv.hashGetAll(typingKey(threadId));
    const fresh = Date.now() - TYPING_TTL_MS;
    const ids = Object.entries(entries)
      .filter(([, at]) => Number(at) >= fresh)
      .map(([id]) => Number(id))
      .filter((id) => id !== viewerId);
    if (!ids.length) return [];
    const members = new Set(await memberIds(threadId));
    return ids.filter((id) => members.has(id)).sort((a, b) => a - b);
  }

  // ---- messages ------------------------------------------------------------------------------

  async function messageForMember(messageId: number, userId: number): Promise<MessageRow> {
    const [row] = await db()
      .select({ m: messages })
      .from(messages)
      .innerJoin(threadMembers, and(eq(threadMembers.threadId, messages.threadId), eq(threadMembers.userId, userId)))
      .where(and(eq(messages.id, messageId), shownTo(userId)))
      .limit(1);
    if (!row) throw notFound('Message not found.');
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
  async function send(threadId: number, senderId: number, input: SendInput): Promise<{ message: MessageRow; created: boolean }> {
    const thread = await threadForMember(threadId, senderId);
    const body = input.body.trim();
    if (body.length > MAX_BODY) throw fieldError('body', `Ensure this field has no more than ${MAX_BODY} characters.`);
    const clientUuid = input.clientUuid?.trim() || null;
    const peer = peerOf(thread, senderId);
    if (peer !== null) await assertMayMessage(ctx, senderId, peer);
    if (clientUuid) {
      const existing = await findByClientUuid(threadId, senderId, clientUuid);
      if (existing) return { message: existing, created: false };
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
    const result = await db().transaction(async (tx) => {
      const [row] = await tx
        .insert(messages)
        .values({ threadId, senderId, body, clientUuid, replyToId: input.replyToId ?? null, type, meta: input.meta ?? {} })
        .onConflictDoNothing({ target: [messages.threadId, messages.senderId, messages.clientUuid] })
        .returning();
      if (!row) return null; // a concurrent retry won; its message is returned below
      if (stored.length) await tx.insert(attachments).values(stored.map((s) => ({ messageId: row.id, storageKey: s.key, type: s.kind, mimeType: s.mime })));
      await tx.update(threads).set({ updatedAt: row.createdAt }).where(eq(threads.id, threadId));
      if (peer !== null) await tx.insert(threadMembers).values({ threadId, userId: peer }).onConflictDoNothing();
      // The event commits with the message: notifications, moderation and the unread reminders follow it.
      const members = await tx.select({ u: threadMembers.userId }).from(threadMembers).where(eq(threadMembers.threadId, threadId));
      const recipientIds = members.map((r) => r.u).filter((id) => id !== senderId);
      await ctx.events.emit<MessageCreatedEvent>(MESSAGING_EVENTS.created, { messageId: row.id, threadId, senderId, recipientIds, body: row.body }, tx);
      return row;
    });
    if (!result) {
      await Promise.all(stored.map((s) => ctx.storage.delete(s.key).catch(() => undefined)));
      const existing = clientUuid ? await findByClientUuid(threadId, senderId, clientUuid) : null;
      if (!existing) throw new Error('client_uuid conflict without a stored message');
      return { message: existing, created: false };
    }
    await afterCreate(result);
    return { message: result, created: true };
  }

  // Live frames are best effort (a client resyncs through threads/{id}/sync/); what must happen
  // follows the message.created event instead.
  async function afterCreate(m: MessageRow) {
    const members = await memberIds(m.threadId);
    const [presented] = await presenter.presentMessages(null, [m]);
    await rt().publishToUsers(members, messageNewFrame(presented));
  }

  /** message.created listener: the delayed unread checks, one job id per recipient (idempotent). */
  async function scheduleReminders(e: MessageCreatedEvent) {
    await Promise.all(
      e.recipientIds.map((recipientId) =>
        ctx.queue.enqueue<ReminderJob>(REMINDER_JOB, { messageId: e.messageId, recipientId }, { delayMs: REMINDER_DELAY_MS, jobId: `msg-unread-${e.messageId}-${recipientId}` }),
      ),
    );
  }

  /** Delayed job: notify only if the recipient has still not read the message. */
  async function remindIfUnread(job: ReminderJob) {
    const [row] = await db()
      .select({ m: messages, pointer: threadMembers.lastReadMessageId })
      .from(messages)
      .innerJoin(threadMembers, and(eq(threadMembers.threadId, messages.threadId), eq(threadMembers.userId, job.recipientId)))
      .where(eq(messages.id, job.messageId))
      .limit(1);
    // Per recipient: the status is per message, so in a group another member's read says nothing.
    if (!row || row.m.hidden || (row.pointer !== null && row.pointer >= row.m.id)) return;
    await ctx.events.emit<UnreadReminderEvent>(MESSAGING_EVENTS.unreadReminder, {
      messageId: row.m.id,
      threadId: row.m.threadId,
      senderId: row.m.senderId,
      recipientId: job.recipientId,
      preview: textPreview(row.m.body),
    });
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

  const STATUS_RANK: Record<string, number> = { pending: 0, sent: 1, delivered: 2, read: 3 };

  async function ack(messageId: number, userId: number, status: 'delivered' | 'read'): Promise<MessageRow> {
    const m = await messageForMember(messageId, userId);
    if (m.senderId === userId) throw badRequest('Only recipients can acknowledge a message.', 'own_message');
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

  async function edit(messageId: number, userId: number, body: string): Promise<MessageRow> {
    const m = await messageForMember(messageId, userId);
    if (m.senderId !== userId) throw notFound('Message not found.');
    const text = body.trim();
    if (!text) throw fieldError('body', 'This field may not be blank.');
    const [row] = await db().update(messages).set({ body: text, editedAt: new Date() }).where(eq(messages.id, messageId)).returning();
    return row;
  }

  async function remove(messageId: number, userId: number) {
    const m = await messageForMember(messageId, userId);
    if (m.senderId !== userId) throw notFound('Message not found.');
    const files = await db().select({ key: attachments.storageKey }).from(attachments).where(eq(attachments.messageId, messageId));
    await db().delete(messages).where(eq(messages.id, messageId));
    await Promise.all(files.map((f) => ctx.storage.delete(f.key).catch(() => undefined)));
  }

  const presentMessages = (viewer: Viewer | null, rows: MessageRow[], origin?: string) => presenter.presentMessages(viewer, rows, { origin });
  const presentThreads = (viewer: Viewer, rows: ThreadRow[], origin?: string) => presenter.presentThreads(viewer, rows, { origin });

  /** Moderation: hides a message from everyone but its sender (or shows it again). */
  async function hideMessage(messageId: number, hidden = true): Promise<boolean> {
    const r = await db().update(messages).set({ hidden }).where(eq(messages.id, messageId)).returning({ id: messages.id, threadId: messages.threadId, senderId: messages.senderId });
    if (!r.length) return false;
    // Open chats drop it at once; the sender keeps it (marked hidden) like the post author does.
    if (hidden) {
      const others = (await memberIds(r[0].threadId)).filter((id) => id !== r[0].senderId);
      await rt().publishToUsers(others, { type: 'message.deleted', message_id: messageId, thread_id: r[0].threadId, reason: 'moderation' });
    }
    return true;
  }

  /** The sender of a message, or null when it does not exist (moderation reports on messages). */
  async function senderOf(messageId: number): Promise<number | null> {
    const [row] = await db().select({ s: messages.senderId }).from(messages).where(eq(messages.id, messageId)).limit(1);
    return row?.s ?? null;
  }

  /** Everyone who shares a thread with `userId` (presence is announced to them). */
  async function peerIds(userId: number): Promise<number[]> {
    const mine = db().select({ t: threadMembers.threadId }).from(threadMembers).where(eq(threadMembers.userId, userId));
    const rows = await db()
      .selectDistinct({ u: threadMembers.userId })
      .from(threadMembers)
      .where(and(inArray(threadMembers.threadId, mine), ne(threadMembers.userId, userId)))
      .limit(5000);
    return rows.map((r) => r.u);
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

  /**
   * Of `candidates`, the users who share a thread with `userId`: the one rule for presence, both
   * for the frames (peerIds) and for `flags.online` in user objects.
   */
  async function peersAmong(userId: number, candidates: number[]): Promise<Set<number>> {
    const wanted = [...new Set(candidates)].filter((id) => id !== userId);
    if (!wanted.length) return new Set();
    const mine = db().select({ t: threadMembers.threadId }).from(threadMembers).where(eq(threadMembers.userId, userId));
    const rows = await db()
      .selectDistinct({ u: threadMembers.userId })
      .from(threadMembers)
      .where(and(inArray(threadMembers.threadId, mine), inArray(threadMembers.userId, wanted)));
    return new Set(rows.map((r) => r.u));
  }

  return {
    canReadAttachment,
    peersAmong,
    hideMessage,
    peerIds,
    senderOf,
    threadForMember,
    memberIds,
    listThreads,
    getOrCreateDirect,
    createThread,
    leave,
    markRead,
    setTyping,
    typingUserIds,
    messageForMember,
    listMessages,
    sync,
    send,
    remindIfUnread,
    scheduleReminders,
    toggleReaction,
    ack,
    edit,
    remove,
    presentMessages,
    presentThreads,
  };
}

export type MessagingService = ReturnType<typeof createMessagingService>;
