// Queue jobs and event subscriptions of the notifications module.
import type { Ctx } from '../../context.js';
import { NOTIFICATION_CREATED, NOTIFICATION_JOBS, type NotificationCreatedEvent } from './service.js';
import { createEventHandler, SUBSCRIBED_EVENTS } from './listeners.js';
import { parseMentions } from './delivery.js';

interface EventJob {
  event: string;
  payload: Record<string, unknown>;
}

export function notificationJobs(ctx: Ctx) {
  const handler = createEventHandler(ctx);
  const svc = () => ctx.services.notifications;
  ctx.queue.define<EventJob>(NOTIFICATION_JOBS.event, (d) => handler.handle(d.event, d.payload), { attempts: 5, backoffMs: 2000 });
  ctx.queue.define<{ notificationId: number; userId?: number }>(NOTIFICATION_JOBS.push, (d) => svc().fanOutPush(d.notificationId, d.userId), { attempts: 5, backoffMs: 2000 });
  ctx.queue.define<{ notificationId: number; deviceId: number }>(NOTIFICATION_JOBS.pushDevice, (d) => svc().sendPush(d.notificationId, d.deviceId), {
    attempts: 5,
    backoffMs: 5000,
  });
  // Receipts are asked for some minutes after sending (EXPO_RECEIPT_DELAY_SECONDS); not ready yet = retried.
  ctx.queue.define<{ ticketId: string; deviceId: number; pushToken: string }>(NOTIFICATION_JOBS.pushReceipt, (d) => svc().checkPushReceipt(d), {
    attempts: 5,
    backoffMs: 60_000,
  });
  ctx.queue.define<{ notificationId: number }>(NOTIFICATION_JOBS.email, (d) => svc().sendEmail(d.notificationId), { attempts: 5, backoffMs: 10_000 });

  // Listeners stay cheap: they only enqueue; lookups and inserts happen in the job.
  // Job ids from the outbox event id: a redelivered event does not queue its work twice.
  // A new post notifies only the people it mentions: one without a mention queues nothing (it was a
  // job per post that found no one).
  for (const event of SUBSCRIBED_EVENTS) {
    ctx.events.on<Record<string, unknown>>(event, async (payload, meta) => {
      if (event === 'post.created' && !parseMentions(payload.text).length) return;
      await ctx.queue.enqueue<EventJob>(NOTIFICATION_JOBS.event, { event, payload }, { jobId: `notify-evt-${meta.id}` });
    });
  }
  ctx.events.on<NotificationCreatedEvent>(NOTIFICATION_CREATED, async (e) => {
    if (e.push) await ctx.queue.enqueue(NOTIFICATION_JOBS.push, { notificationId: e.notificationId, userId: e.userId }, { jobId: `push-${e.notificationId}` });
    if (e.email) await ctx.queue.enqueue(NOTIFICATION_JOBS.email, { notificationId: e.notificationId }, { jobId: `email-${e.notificationId}` });
  });
}
