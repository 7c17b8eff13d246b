// The notifications' delivery jobs: push to each device (and its receipt later), e-mail in batches.
import { and, inArray, isNull } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { notifications, type NotificationRow } from './schema.js';
import { messageText } from './delivery.js';
import { fingerprint, PermanentDeliveryError, type Providers } from './providers.js';
import { NOTIFICATION_JOBS } from './service.js';

export function createDeliveries(ctx: Ctx, deps: { byId(id: number): Promise<NotificationRow | null>; providers(): Providers }) {
  const { byId, providers } = deps;
  const users = () => ctx.services.users;

  const actorName = async (payload: Record<string, unknown>) => {
    const id = payload.actor_id;
    const u = typeof id === 'number' ? await users().getById(id) : null;
    return u ? u.name || u.handle : 'Someone';
  };

  /**
   * One job per device of each notification's recipient (the devices of the whole batch read in one
   * query), so a failing device retries alone and never re-sends to the others; each job reads the
   * notification itself (a deleted one sends nothing). The job ids make a retried fan-out queue
   * nothing twice.
   */
  async function fanOutPush(items: { notificationId: number; userId?: number }[]) {
    const owned: { notificationId: number; userId: number }[] = [];
    for (const i of items) {
      // (An event written before it carried userId.)
      const owner = i.userId ?? (await byId(i.notificationId))?.userId;
      if (owner !== undefined) owned.push({ notificationId: i.notificationId, userId: owner });
    }
    const devices = await users().listDevicesOf([...new Set(owned.map((o) => o.userId))]);
    await Promise.all(
      owned.flatMap(({ notificationId, userId }) =>
        devices.filter((d) => d.userId === userId).map((d) => ctx.queue.enqueue(NOTIFICATION_JOBS.pushDevice, { notificationId, deviceId: d.id }, { jobId: `push-${notificationId}-${d.id}` })),
      ),
    );
  }

  async function sendPush(notificationId: number, deviceId: number) {
    const n = await byId(notificationId);
    if (!n) return;
    const device = (await users().listDevices(n.userId)).find((d) => d.id === deviceId);
    if (!device) return;
    const text = messageText(n.type, await actorName(n.payload), n.payload);
    const where = { deviceId: device.id, tokenFp: fingerprint(device.pushToken), notificationId: n.id };
    let result;
    try {
      result = await providers().push.send({
        userId: n.userId,
        deviceId: device.id,
        deviceType: device.deviceType,
        pushToken: device.pushToken,
        notificationId: n.id,
        type: n.type,
        ...text,
        data: { notification_id: n.id, type: n.type, ...n.payload },
      });
    } catch (err) {
      if (!(err instanceof PermanentDeliveryError)) throw err; // the queue retries with backoff
      ctx.log.warn({ ...where, reason: err.message }, 'push not delivered');
      return;
    }
    if (result?.status === 'invalid_token') {
      await users().pruneDevice(device.id, device.pushToken);
      ctx.log.info(where, 'push token no longer registered: device removed');
    } else if (result?.status === 'sent' && result.ticketId && providers().push.receipts) {
      await ctx.queue.enqueue(
        NOTIFICATION_JOBS.pushReceipt,
        { ticketId: result.ticketId, deviceId: device.id, pushToken: device.pushToken },
        { delayMs: ctx.config.delivery.push.receiptDelayMs, jobId: `push-receipt-${result.ticketId}` },
      );
    }
  }

  /** Reads a push ticket's receipt later; a token the push service no longer knows is removed. */
  async function checkPushReceipt(job: { ticketId: string; deviceId: number; pushToken: string }) {
    const push = providers().push;
    if (!push.receipts) return;
    let status;
    try {
      status = (await push.receipts([job.ticketId]))[job.ticketId];
    } catch (err) {
      if (!(err instanceof PermanentDeliveryError)) throw err;
      ctx.log.warn({ deviceId: job.deviceId, reason: err.message }, 'push receipt unavailable');
      return;
    }
    if (status === 'pending') throw new Error('push receipt not ready yet'); // retried with backoff
    if (status === 'invalid_token' && (await users().pruneDevice(job.deviceId, job.pushToken))) {
      ctx.log.info({ deviceId: job.deviceId, tokenFp: fingerprint(job.pushToken) }, 'push token no longer registered: device removed');
    } else if (status === 'error') {
      ctx.log.warn({ deviceId: job.deviceId }, 'push delivery failed (receipt)');
    }
  }

  /**
   * E-mails a batch of notifications (one job per relay batch: a job per e-mail cost the queue more
   * than the e-mail). Those sent or refused for good are marked, in one statement after the batch
   * was tried (an update per e-mail was a commit per e-mail), so a retried batch sends only the ones
   * still due; a crash before the mark sends the batch's again (at least once, as a job per e-mail
   * did). A temporary failure retries the job after the others were tried and marked.
   */
  async function sendEmails(ids: number[]) {
    if (!ids.length) return;
    const rows = await ctx.db
      .select()
      .from(notifications)
      .where(and(inArray(notifications.id, ids), isNull(notifications.emailedAt)));
    const actorOf = (n: NotificationRow) => (typeof n.payload.actor_id === 'number' ? n.payload.actor_id : null);
    const people = await users().getMany([...new Set(rows.flatMap((n) => [n.userId, actorOf(n) ?? []].flat()))]);
    let retry: unknown = null;
    const done: number[] = [];
    for (const n of rows) {
      const recipient = people.get(n.userId);
      if (recipient?.email && recipient.isActive) {
        const actor = people.get(actorOf(n) ?? 0);
        const text = messageText(n.type, actor ? actor.name || actor.handle : 'Someone', n.payload);
        try {
          await providers().email.send({ userId: n.userId, to: recipient.email, notificationId: n.id, type: n.type, subject: text.title, text: text.body });
        } catch (err) {
          if (!(err instanceof PermanentDeliveryError)) {
            retry = err;
            continue;
          }
          ctx.log.warn({ notificationId: n.id, userId: n.userId, reason: err.message }, 'e-mail not delivered');
        }
      }
      done.push(n.id);
    }
    if (done.length) await ctx.db.update(notifications).set({ emailedAt: new Date() }).where(inArray(notifications.id, done));
    if (retry !== null) throw retry;
  }

  return { fanOutPush, sendPush, checkPushReceipt, sendEmails };
}
