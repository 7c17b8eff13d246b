// Turns domain events from other modules into notifications. Runs inside the
// `notifications.event` job (listeners only enqueue), so lookups never slow a request.
import type { Ctx } from '../../context.js';
import { parseMentions, preview } from './delivery.js';

export const SUBSCRIBED_EVENTS = ['user.followed', 'post.liked', 'comment.liked', 'comment.created', 'post.created', 'message.unread_reminder'] as const;

export type SubscribedEvent = (typeof SUBSCRIBED_EVENTS)[number];

type P = Record<string, unknown>;
/** Events of a batch handled at once (the queue's default concurrency per job). */
const SIDE_BY_SIDE = 4;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);

export function createEventHandler(ctx: Ctx) {
  const notify = () => ctx.services.notifications;
  const users = () => ctx.services.users;

  /**
   * Only people who may see the post hear about it: the social module's one visibility rule
   * (audience, blocks, suspensions, takedowns) decides for every recipient of a mention, reply or
   * comment notification. A private post's text reaches nobody but its author.
   */
  async function mayRead(userId: number, postId: number): Promise<boolean> {
    return ctx.services.social.canViewPost(userId, postId);
  }

  async function mentionRecipients(text: unknown, actorId: number, postId: number, skip: Set<number>): Promise<number[]> {
    const handles = parseMentions(text);
    if (!handles.length) return [];
    const found = (await users().findByHandles(handles)).filter((u) => u.isActive && u.id !== actorId && !skip.has(u.id));
    const out: number[] = [];
    for (const u of found) if (await mayRead(u.id, postId)) out.push(u.id);
    return out;
  }

  async function handle(event: string, p: P) {
    switch (event as SubscribedEvent) {
      case 'user.followed': {
        const follower = num(p.followerId);
        const followee = num(p.followeeId);
        if (follower === null || followee === null) return;
        await notify().create(followee, 'follow', { actor_id: follower }, { dedupeKey: `follow:${follower}` });
        return;
      }
      case 'post.liked': {
        const [post, liker, author] = [num(p.postId), num(p.userId), num(p.authorId)];
        if (post === null || liker === null || author === null) return;
        await notify().create(author, 'like', { actor_id: liker, post_id: post }, { dedupeKey: `like:${post}:${liker}` });
        return;
      }
      case 'comment.liked': {
        const [comment, liker, author] = [num(p.commentId), num(p.userId), num(p.authorId)];
        if (comment === null || liker === null || author === null) return;
        await notify().create(author, 'comment_like', { actor_id: liker, comment_id: comment }, { dedupeKey: `comment_like:${comment}:${liker}` });
        return;
      }
      case 'comment.created': {
        const [comment, post, author, postAuthor, parentAuthor] = [num(p.commentId), num(p.postId), num(p.authorId), num(p.postAuthorId), num(p.parentAuthorId)];
        if (comment === null || post === null || author === null) return;
        const base = { actor_id: author, post_id: post, comment_id: comment, preview: preview(p.text) };
        const notified = new Set<number>();
        // A reply to the post author's own comment is one `reply`, not a `reply` and a `comment`.
        if (parentAuthor !== null && parentAuthor !== author && (await mayRead(parentAuthor, post))) {
          await notify().create(parentAuthor, 'reply', base, { dedupeKey: `reply:${comment}` });
          notified.add(parentAuthor);
        }
        if (postAuthor !== null && postAuthor !== author && !notified.has(postAuthor)) {
          await notify().create(postAuthor, 'comment', base, { dedupeKey: `comment:${comment}` });
          notified.add(postAuthor);
        }
        for (const id of await mentionRecipients(p.text, author, post, notified)) {
          await notify().create(id, 'mention', base, { dedupeKey: `mention:comment:${comment}` });
        }
        return;
      }
      case 'post.created': {
        const [post, author] = [num(p.postId), num(p.authorId)];
        if (post === null || author === null) return;
        const payload = { actor_id: author, post_id: post, preview: preview(p.text) };
        for (const id of await mentionRecipients(p.text, author, post, new Set())) {
          await notify().create(id, 'mention', payload, { dedupeKey: `mention:post:${post}` });
        }
        return;
      }
      case 'message.unread_reminder': {
        const item = reminderItem(p);
        if (item) await notify().create(item.userId, item.type, item.payload, { dedupeKey: item.dedupeKey, actorId: item.actorId });
        return;
      }
    }
  }

  /** The notification an unread reminder asks for (null for a malformed event). */
  function reminderItem(p: P) {
    const [message, thread, sender, recipient] = [num(p.messageId), num(p.threadId), num(p.senderId), num(p.recipientId)];
    if (message === null || thread === null || sender === null || recipient === null) return null;
    const payload = { actor_id: sender, sender_id: sender, thread_id: thread, message_id: message, preview: preview(p.preview) };
    return { userId: recipient, type: 'message', payload, dedupeKey: `message:${message}`, actorId: sender };
  }

  /**
   * A batch of events (one job): the unread reminders, which follow every unread message, stored in
   * one createMany; the others one by one, a few at a time, so that their lookups share round trips
   * and a batch of a hundred never takes the whole connection pool from the requests. A failure
   * throws once the rest were tried (the job is retried; dedupe keys make that safe).
   */
  async function handleMany(events: { event: string; payload: P }[]) {
    const reminders = events.filter((e) => e.event === 'message.unread_reminder');
    const others = events.filter((e) => e.event !== 'message.unread_reminder');
    const failures: unknown[] = [];
    const items = reminders.flatMap((e) => reminderItem(e.payload) ?? []);
    if (items.length) await notify().createMany(items).catch((err: unknown) => failures.push(err));
    for (let i = 0; i < others.length; i += SIDE_BY_SIDE) {
      for (const r of await Promise.allSettled(others.slice(i, i + SIDE_BY_SIDE).map((e) => handle(e.event, e.payload)))) {
        if (r.status === 'rejected') failures.push(r.reason);
      }
    }
    if (failures.length) throw failures[0];
  }

  return { handle, handleMany };
}
