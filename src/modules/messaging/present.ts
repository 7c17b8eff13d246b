// W-Thread and W-Message wire shapes, hydrated in batches (a fixed number of queries per page).
import { inArray, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { prepared } from '../../platform/db/prepared.js';
import type { Viewer } from '../users/present.js';
import { attachments, messages, reactions, threadMembers, threads, type MessageRow, type ThreadRow } from './schema.js';

type PresentedUser = Awaited<ReturnType<Ctx['services']['users']['present']>>[number];

export interface PresentOpts {
  origin?: string;
}

/** Reply preview: the trimmed body, cut to 117 characters plus "..." beyond 120. */
export function textPreview(body: string): string {
  const t = body.trim();
  return t.length > 120 ? `${t.slice(0, 117)}...` : t;
}

// A thread page's hydration, whatever its size: prepared once, the page's ids as one array parameter.
const pageIds = sql`any(${sql.placeholder('ids')}::bigint[])`;
const threadPageMembers = prepared('messaging_page_members', (db) => db.select().from(threadMembers).where(sql`${threadMembers.threadId} = ${pageIds}`).orderBy(threadMembers.id));
// Per thread of the page, in one statement: the newest message the viewer may see (one backward
// probe of the (thread_id, id) index, instead of DISTINCT ON over every message of the page's
// threads) and the viewer's unread count (messages of others after the viewer's read pointer).
const threadPageLastAndUnread = prepared('messaging_page_last_unread', (db) => {
  const viewer = sql.placeholder('viewer');
  const thread = sql.raw('"msg_threads"."id"');
  return db
    .select({
      threadId: threads.id,
      last: sql<unknown>`(select json_build_object('body', m.body, 'created_at', m.created_at) from ${messages} m where m.thread_id = ${thread} and (m.hidden = false or m.sender_id = ${viewer}) order by m.id desc limit 1)`,
      unread: sql<number>`(select count(*)::int from ${messages} m join ${threadMembers} tm on tm.thread_id = m.thread_id and tm.user_id = ${viewer} where m.thread_id = ${thread} and m.sender_id <> ${viewer} and m.hidden = false and (tm.last_read_message_id is null or m.id > tm.last_read_message_id))`,
    })
    .from(threads)
    .where(sql`${threads.id} = ${pageIds}`);
});

export function createMessagingPresenter(ctx: Ctx) {
  const db = () => ctx.db;

  async function usersById(viewer: Viewer | null, ids: number[], opts: PresentOpts & { peers?: Set<number> }): Promise<Map<number, PresentedUser>> {
    const rows = await ctx.services.users.getManyForDisplay(ids);
    const presented = await ctx.services.users.present(viewer, [...rows.values()], { origin: opts.origin, peers: opts.peers });
    return new Map(presented.map((u) => [u.id, u]));
  }

  async function presentMessages(viewer: Viewer | null, rows: MessageRow[], opts: PresentOpts = {}) {
    return (await presentMessagesFor([{ viewer, origin: opts.origin }], rows))[0];
  }

  /**
   * The same messages for several viewers (a send's live frame and its HTTP answer) from one set of
   * queries: only the senders' W-Users and the URLs differ per viewer.
   */
  async function presentMessagesFor(
    audiences: { viewer: Viewer | null; origin?: string }[],
    rows: MessageRow[],
    /** Messages just created: their attachments are the ones inserted with them, and no reaction exists yet. */
    fresh?: { files: (typeof attachments.$inferSelect)[] },
  ) {
    if (!rows.length) return audiences.map(() => []);
    const ids = rows.map((m) => m.id);
    const replyIds = [...new Set(rows.map((m) => m.replyToId).filter((x): x is number => x !== null))];
    const [files, reacts, replies, senderRows] = await Promise.all([
      fresh ? fresh.files : db().select().from(attachments).where(inArray(attachments.messageId, ids)).orderBy(attachments.id),
      fresh ? [] : db().select({ messageId: reactions.messageId, userId: reactions.userId, emoji: reactions.emoji }).from(reactions).where(inArray(reactions.messageId, ids)).orderBy(reactions.createdAt),
      replyIds.length ? db().select({ id: messages.id, senderId: messages.senderId, body: messages.body }).from(messages).where(inArray(messages.id, replyIds)) : Promise.resolve([]),
      ctx.services.users.getManyForDisplay(rows.map((m) => m.senderId)),
    ]);
    const replyFiles = replyIds.length
      ? new Set((await db().selectDistinct({ id: attachments.messageId }).from(attachments).where(inArray(attachments.messageId, replyIds))).map((r) => r.id))
      : new Set<number>();
    const replyById = new Map(replies.map((r) => [r.id, r]));
    return Promise.all(audiences.map(async ({ viewer, origin }) => {
      const presentedSenders = await ctx.services.users.present(viewer, [...senderRows.values()], { origin });
      const senders = new Map(presentedSenders.map((u) => [u.id, u]));
      const urls = new Map(await Promise.all(files.map(async (f) => [f.id, await ctx.services.media.urlFor(f.storageKey, origin)] as const)));
      return present(viewer, rows, { files, reacts, replyById, replyFiles, senders, urls });
    }));
  }

  function present(
    viewer: Viewer | null,
    rows: MessageRow[],
    d: {
      files: (typeof attachments.$inferSelect)[];
      reacts: { messageId: number; userId: number; emoji: string }[];
      replyById: Map<number, { id: number; senderId: number; body: string }>;
      replyFiles: Set<number>;
      senders: Map<number, PresentedUser>;
      urls: Map<number, string>;
    },
  ) {
    const { files, reacts, replyById, replyFiles, senders, urls } = d;
    return rows.map((m) => {
      const byEmoji = new Map<string, number[]>();
      for (const r of reacts) if (r.messageId === m.id) byEmoji.set(r.emoji, [...(byEmoji.get(r.emoji) ?? []), r.userId]);
      const reply = m.replyToId !== null ? replyById.get(m.replyToId) : undefined;
      return {
        id: m.id,
        thread: m.threadId,
        thread_id: m.threadId,
        sender: senders.get(m.senderId) ?? null,
        sender_id: m.senderId,
        reply_to: reply
          ? { id: String(reply.id), sender_id: reply.senderId, text_preview: textPreview(reply.body), has_attachments: replyFiles.has(reply.id) }
          : null,
        body: m.body,
        type: m.type,
        meta: m.meta,
        status: m.status,
        delivered_at: m.deliveredAt?.toISOString() ?? null,
        read_at: m.readAt?.toISOString() ?? null,
        client_uuid: m.clientUuid,
        created_at: m.createdAt.toISOString(),
        edited_at: m.editedAt?.toISOString() ?? null,
        attachments: files
          .filter((f) => f.messageId === m.id)
          .map((f) => ({ id: f.id, url: urls.get(f.id)!, type: f.type, mime_type: f.mimeType, width: null, height: null, duration: null })),
        reactions: [...byEmoji].map(([emoji, userIds]) => {
          const mine = viewer !== null && userIds.includes(viewer.id);
          return { emoji, count: userIds.length, reacted_by_current_user: mine, reactedByCurrentUser: mine, user_ids: userIds };
        }),
      };
    });
  }

  async function presentThreads(viewer: Viewer, rows: ThreadRow[], opts: PresentOpts = {}) {
    if (!rows.length) return [];
    const ids = rows.map((t) => t.id);
    const [members, perThread] = await Promise.all([threadPageMembers(db()).execute({ ids }), threadPageLastAndUnread(db()).execute({ ids, viewer: viewer.id })]);
    const last = new Map<number, { body: string; createdAt: Date }>();
    const unreadBy = new Map<number, number>();
    for (const r of perThread) {
      unreadBy.set(r.threadId, Number(r.unread));
      if (r.last === null || r.last === undefined) continue;
      const o = (typeof r.last === 'string' ? JSON.parse(r.last) : r.last) as { body: string; created_at: string };
      last.set(r.threadId, { body: o.body, createdAt: new Date(o.created_at) });
    }
    // Everyone in the viewer's threads shares a conversation with the viewer: presence needs no look-up.
    const peers = new Set(members.map((m) => m.userId).filter((id) => id !== viewer.id));
    const people = await usersById(viewer, members.map((m) => m.userId), { ...opts, peers });
    return rows.map((t) => {
      const mine = members.filter((m) => m.threadId === t.id && people.has(m.userId));
      const lm = last.get(t.id);
      return {
        id: t.id,
        is_group: t.isGroup,
        title: t.title,
        members: mine.map((m) => ({
          id: m.id,
          user: people.get(m.userId)!,
          user_id: m.userId,
          role: m.role,
          created_at: m.createdAt.toISOString(),
          updated_at: m.updatedAt.toISOString(),
        })),
        participants: mine.filter((m) => m.userId !== viewer.id).map((m) => people.get(m.userId)!),
        last_message: lm ? { body: lm.body, created_at: lm.createdAt.toISOString() } : null,
        unread_count: unreadBy.get(t.id) ?? 0,
        created_at: t.createdAt.toISOString(),
        updated_at: t.updatedAt.toISOString(),
      };
    });
  }

  return { presentMessages, presentMessagesFor, presentThreads };
}

export type PresentedMessage = Awaited<ReturnType<ReturnType<typeof createMessagingPresenter>['presentMessages']>>[number];
export type PresentedThread = Awaited<ReturnType<ReturnType<typeof createMessagingPresenter>['presentThreads']>>[number];
export type MessagingPresenter = ReturnType<typeof createMessagingPresenter>;
