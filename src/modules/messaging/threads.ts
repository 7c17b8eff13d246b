// Threads: direct (one per pair, get-or-create) and group threads, membership, leaving, and who
// shares a thread with whom (presence). Part of the one messaging service (service.ts).
import { and, eq, inArray, ne, sql, type SQL } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { prepared } from '../../platform/db/prepared.js';
import { handOutOnce, turnBatch } from '../../platform/db/turn-batch.js';
import { fieldError } from '../../platform/http/errors.js';
import { encodeCursor, olderThanPlaceholders, type Keyset } from '../../platform/http/pagination.js';
import { threadMembers, threads, type ThreadRow } from './schema.js';
import { assertMayMessage } from './rules.js';
import { memberLeftFrame } from './events.js';
import { typingKey } from './typing.js';
import type { SendInput } from './messages.js';
import { MessagingErrors } from './errors.js';
import { threadsFromRows, threadsWithDetails } from './present.js';
import { userTag } from '../../platform/pages.js';

/**
 * The (viewer, peer) pairs, of the viewers and users given as bigint arrays, that share a thread:
 * the presence rule of peersAmong, as a subquery other modules put into their page query instead of
 * a lookup of their own. Used as `(viewer, user) in (...)`, PostgreSQL runs it once per statement
 * and hashes it; the correlated `exists` it replaces scanned the viewer's memberships again for
 * every row (a sequential scan per row while the table is small: 44 % of a feed batch's statement).
 */
export function peerPairsSql(viewerIds: SQL, userIds: SQL): SQL {
  return sql`select tm_a.user_id, tm_b.user_id from ${threadMembers} tm_a join ${threadMembers} tm_b on tm_b.thread_id = tm_a.thread_id and tm_b.user_id <> tm_a.user_id where tm_a.user_id = any(${viewerIds}) and tm_b.user_id = any(${userIds})`;
}

// Every send, read and thread page starts here: built once, planned once.
// (thread, member) pairs: the checks of one turn of the event loop go out as one query.
const threadsOfMembers = prepared('messaging_threads_of_members', (db) =>
  db
    .select({ t: threads, member: sql<number>`"q"."uid"`.mapWith(Number) })
    .from(sql`unnest(${sql.placeholder('threadIds')}::bigint[], ${sql.placeholder('userIds')}::bigint[]) as q(tid, uid)`)
    .innerJoin(threads, sql`${threads.id} = "q"."tid"`)
    .innerJoin(threadMembers, sql`${threadMembers.threadId} = "q"."tid" and ${threadMembers.userId} = "q"."uid"`),
);

const directKey = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);

/**
 * The page cache's tag of a user's thread list (threads/). A list also carries the tag of each member
 * it shows, so a member's own write (an edit, a read receipt, leaving: all requests) drops it by
 * itself; this one is for what changes lists that did not show the writer: a send (the thread moves
 * up), a thread someone starts with the user, moderation.
 */
export const inboxTag = (userId: number) => `tl:${userId}`;

export function createThreads(ctx: Ctx, send: (threadId: number, senderId: number, input: SendInput) => Promise<unknown>) {
  const db = () => ctx.db;
  const rt = () => ctx.services.realtime;
  /** After a write: the thread lists of these users change (order, last message, unread counts, members). */
  const inboxesChanged = (userIds: number[]) => ctx.pages.drop(userIds.map(inboxTag));

  const threadOfMemberInTurn = turnBatch(async (pairs: [number, number][]): Promise<(ThreadRow | null)[]> => {
    const rows = await threadsOfMembers(db()).execute({ threadIds: pairs.map((p) => p[0]), userIds: pairs.map((p) => p[1]) });
    const found = new Map(rows.map((r) => [`${r.t.id}:${r.member}`, r.t]));
    const handOut = handOutOnce<ThreadRow>();
    return pairs.map(([threadId, userId]) => {
      const t = found.get(`${threadId}:${userId}`);
      return t ? handOut(t) : null;
    });
  });

  /** The thread if `userId` is a member; other people's threads are 404. */
  async function threadForMember(threadId: number, userId: number): Promise<ThreadRow> {
    const t = await threadOfMemberInTurn([threadId, userId]);
    if (!t) throw MessagingErrors.threadNotFound();
    return t;
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

  // Prepared, first page and later pages apart: the page's own query is one of the inbox's hottest.
  // It reads each thread's members, last message and unread count with the thread (threadsWithDetails).
  const firstThreads = prepared('messaging_threads_first', (d) => threadsWithDetails(ctx, d));
  const laterThreads = prepared('messaging_threads_after', (d) => threadsWithDetails(ctx, d, olderThanPlaceholders(threads.updatedAt, threads.id)));

  async function listThreads(userId: number, cursor: Keyset | null, limit: number) {
    const rows = cursor
      ? await laterThreads(db()).execute({ viewer: userId, t: cursor.t, id: cursor.id, limit: limit + 1 })
      : await firstThreads(db()).execute({ viewer: userId, limit: limit + 1 });
    const all = threadsFromRows(userId, rows);
    const page = all.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor = all.length > limit && last ? encodeCursor({ t: last.updatedAt.toISOString(), id: last.id }) : null;
    return { rows: page, nextCursor };
  }

  /** Get-or-create the one direct thread of a pair; safe under concurrent calls (unique direct_key). */
  async function getOrCreateDirect(userId: number, targetId: number, initialMessage?: string): Promise<{ thread: ThreadRow; created: boolean }> {
    if (targetId === userId) throw MessagingErrors.selfThread();
    const target = await ctx.services.users.getById(targetId);
    if (!target || !target.isActive) throw MessagingErrors.targetNotFound();
    await assertMayMessage(ctx, userId, targetId);
    const key = directKey(userId, targetId);
    const result = await db().transaction(async (tx) => {
      const [inserted] = await tx.insert(threads).values({ isGroup: false, createdById: userId, directKey: key }).onConflictDoNothing({ target: threads.directKey }).returning();
      const thread = inserted ?? (await tx.select().from(threads).where(eq(threads.directKey, key)).limit(1))[0];
      // Re-adds a member who had left ("deleted" the conversation) so both sides see it again.
      await tx.insert(threadMembers).values([{ threadId: thread.id, userId }, { threadId: thread.id, userId: targetId }]).onConflictDoNothing();
      return { thread, created: Boolean(inserted) };
    });
    inboxesChanged([userId, targetId]);
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
    // Members now see each other's presence on pages (authors' `online`). (A direct thread's creator
    // is one of its two: the request's own drop covers it.)
    ctx.pages.drop(others.map(userTag)); // (their lists too: they carry their owner's tag)
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
    threadForMember,
    memberIds,
    peerOf,
    listThreads,
    inboxesChanged,
    getOrCreateDirect,
    createThread,
    leave,
    peerIds,
    peersAmong,
  };
}

export type Threads = ReturnType<typeof createThreads>;
