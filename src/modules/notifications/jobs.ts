// Queue jobs and event subscriptions of the notifications module.
import type { Ctx } from '../../context.js';
import { batchJobId } from '../../platform/events.js';
import { NOTIFICATION_CREATED, NOTIFICATION_JOBS, type NotificationCreatedEvent } from './service.js';
import { createEventHandler, SUBSCRIBED_EVENTS } from './listeners.js';
import { parseMentions } from './delivery.js';

/** The subscribed events of one relay batch (a job queued before batches carries one, as event and payload). */
interface EventJob {
  events?: { event: string; payload: Record<string, unknown> }[];
  event?: string;
  payload?: Record<string, unknown>;
}

/** The notifications of one relay batch whose recipients have push on (or one, as queued before batches). */
interface PushJob {
  items?: { notificationId: number; userId?: number }[];
  notificationId?: number;
  userId?: number;
}

/** The notifications of one relay batch to e-mail (or one, as queued before batches). */
interface EmailJob {
  notificationIds?: number[];
  notificationId?: number;
}

export function notificationJobs(ctx: Ctx) {
  const handler = createEventHandler(ctx);
  const svc = () => ctx.services.notifications;
  ctx.queue.define<EventJob>(
    NOTIFICATION_JOBS.event,
    (d) => handler.handleMany(d.events ?? (d.event && d.payload ? [{ event: d.event, payload: d.payload }] : [])),
    { attempts: 5, backoffMs: 2000 },
  );
  ctx.queue.define<PushJob>(
    NOTIFICATION_JOBS.push,
    (d) => svc().fanOutPush(d.items ?? (d.notificationId !== undefined ? [{ notificationId: d.notificationId, userId: d.userId }] : [])),
    { attempts: 5, backoffMs: 2000 },
  );
  ctx.queue.define<{ notificationId: number; deviceId: number }>(NOTIFICATION_JOBS.pushDevice, (d) => svc().sendPush(d.notificationId, d.deviceId), {
    attempts: 5,
    backoffMs: 5000,
  });
  // Receipts are asked for some minutes after sending (EXPO_RECEIPT_DELAY_SECONDS); not ready yet = retried.
  ctx.queue.define<{ ticketId: string; deviceId: number; pushToken: string }>(NOTIFICATION_JOBS.pushReceipt, (d) => svc().checkPushReceipt(d), {
    attempts: 5,
    backoffMs: 60_000,
  });
  ctx.queue.define<EmailJob>(NOTIFICATION_JOBS.email, (d) => svc().sendEmails(d.notificationIds ?? (d.notificationId !== undefined ? [d.notificationId] : [])), { attempts: 5, backoffMs: 10_000 });

  // Listeners stay cheap: they only enqueue, a job per relay batch (a job per event cost the queue
  // more than the work: one follows every unread message); lookups and inserts happen in the job.
  // A new post notifies only the people it mentions: one without a mention queues nothing.
  // Nothing the acting client reads next depends on these jobs: they are queued after the response.
  for (const event of SUBSCRIBED_EVENTS) {
    ctx.events.onBatch<Record<string, unknown>>(
      event,
      async (batch) => {
        const todo = event === 'post.created' ? batch.filter((e) => parseMentions(e.payload.text).length) : batch;
        if (!todo.length) return;
        const events = todo.map((e) => ({ event, payload: e.payload }));
        await ctx.queue.enqueue<EventJob>(NOTIFICATION_JOBS.event, { events }, { jobId: batchJobId(`notify-${event.replace('.', '_')}`, todo) });
      },
      { afterResponse: true },
    );
  }
  ctx.events.onBatch<NotificationCreatedEvent>(NOTIFICATION_CREATED, async (batch) => {
    const push = batch.filter((e) => e.payload.push);
    const email = batch.filter((e) => e.payload.email);
    const jobs: Promise<void>[] = [];
    if (push.length) {
      const items = push.map((e) => ({ notificationId: e.payload.notificationId, userId: e.payload.userId }));
      jobs.push(ctx.queue.enqueue<PushJob>(NOTIFICATION_JOBS.push, { items }, { jobId: batchJobId('push-batch', push) }));
    }
    if (email.length) {
      const notificationIds = email.map((e) => e.payload.notificationId);
      jobs.push(ctx.queue.enqueue<EmailJob>(NOTIFICATION_JOBS.email, { notificationIds }, { jobId: batchJobId('email-batch', email) }));
    }
    await Promise.all(jobs);
  });
}
