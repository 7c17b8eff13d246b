// Retention of in-app notifications (docs/operations.md, "Retention").
import { sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { DAY_MS, purgeInBatches, RETENTION_BATCH } from '../../platform/retention.js';

export const NOTIFICATIONS_RETENTION_JOB = 'notifications.retention';
/** Read notifications are kept 90 days, unread ones a year (nobody scrolls further back). */
export const READ_KEEP_DAYS = 90;
export const UNREAD_KEEP_DAYS = 365;

export function createNotificationsRetention(ctx: Ctx) {
  return {
    async purgeOld(now = new Date()): Promise<number> {
      const readBefore = new Date(now.getTime() - READ_KEEP_DAYS * DAY_MS).toISOString();
      const anyBefore = new Date(now.getTime() - UNREAD_KEEP_DAYS * DAY_MS).toISOString();
      return purgeInBatches(
        ctx.db,
        sql`notifications`,
        sql`select id from notifications where (is_read and created_at < ${readBefore}) or created_at < ${anyBefore} limit ${RETENTION_BATCH}`,
      );
    },
  };
}

export function notificationsRetentionJobs(ctx: Ctx) {
  const r = createNotificationsRetention(ctx);
  ctx.queue.define(NOTIFICATIONS_RETENTION_JOB, async () => {
    const purged = await r.purgeOld();
    if (purged) ctx.log.info({ notifications: purged }, 'retention: old notifications purged');
  }, { attempts: 3 });
}

export async function notificationsSchedules(ctx: Ctx) {
  await ctx.queue.schedule(NOTIFICATIONS_RETENTION_JOB, 3_600_000);
}
