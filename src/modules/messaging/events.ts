// Names and payloads of the messaging module's domain events and realtime frames.
import type { PresentedMessage } from './present.js';

export const MESSAGING_EVENTS = {
  created: 'message.created',
  unreadReminder: 'message.unread_reminder',
} as const;

export interface MessageCreatedEvent {
  messageId: number;
  threadId: number;
  senderId: number;
  recipientIds: number[];
  body: string;
}

export interface UnreadReminderEvent {
  messageId: number;
  threadId: number;
  senderId: number;
  recipientId: number;
  preview: string;
}

export const REMINDER_JOB = 'messaging.unread_reminder';
export const REMINDER_DELAY_MS = 3000;

export interface ReminderJob {
  /** [message, recipient] pairs: every recipient of every message of one relay batch. */
  items?: [number, number][];
  /** One pair, as jobs queued before batches carry it. */
  messageId?: number;
  recipientId?: number;
}

const now = () => new Date().toISOString();

/** The app finds the message under payload.message (and message), the thread under thread_id. */
export function messageNewFrame(m: PresentedMessage) {
  return { type: 'message:new', message: m, thread_id: m.thread, thread: String(m.thread), payload: { message: m } };
}

export function messageStatusFrame(m: { id: number; threadId: number; status: string; deliveredAt: Date | null; readAt: Date | null; clientUuid: string | null }) {
  return {
    type: 'message:status',
    message_id: String(m.id),
    id: String(m.id),
    status: m.status,
    thread_id: m.threadId,
    thread: String(m.threadId),
    delivered_at: m.deliveredAt?.toISOString() ?? null,
    read_at: m.readAt?.toISOString() ?? null,
    client_uuid: m.clientUuid,
  };
}

export function reactionFrame(e: { messageId: number; threadId: number; emoji: string; userId: number; action: 'added' | 'removed' }) {
  return {
    type: 'message:reaction',
    message_id: String(e.messageId),
    thread_id: e.threadId,
    thread: String(e.threadId),
    emoji: e.emoji,
    user_id: e.userId,
    action: e.action,
    removed: e.action === 'removed',
  };
}

export function typingFrame(e: { threadId: number; userId: number; name: string | null; handle: string | null; isTyping: boolean }) {
  return {
    type: 'typing',
    thread_id: e.threadId,
    thread: String(e.threadId),
    user_id: e.userId,
    user_name: e.name,
    user_handle: e.handle,
    is_typing: e.isTyping,
    timestamp: now(),
  };
}

export function memberLeftFrame(threadId: number, userId: number) {
  return { type: 'member_left', thread_id: threadId, thread: String(threadId), user_id: userId, timestamp: now() };
}
