// Retention of payments data (contract §6.10: "minimal metadata per processor rules"; docs/operations.md).
// Payment events and paid checkouts are financial records and are kept (they back minted SLC). What goes
// is checkouts that never became money: created, failed or canceled, nothing minted, untouched 30 days
// (providers' checkout sessions expire within a day, so no webhook can still settle them).
import { sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { DAY_MS, purgeInBatches, RETENTION_BATCH } from '../../platform/retention.js';

export const PAYMENTS_RETENTION_JOB = 'payments.retention';
export const ABANDONED_CHECKOUT_KEEP_DAYS = 30;

export function createPaymentsRetention(ctx: Ctx) {
  return {
    async purgeOld(now = new Date()): Promise<number> {
      const before = new Date(now.getTime() - ABANDONED_CHECKOUT_KEEP_DAYS * DAY_MS).toISOString();
      return purgeInBatches(
        ctx.db,
        sql`payment_checkouts`,
        sql`select id from payment_checkouts where status in ('created', 'failed', 'canceled') and minted_coin_event_id is null
              and updated_at < ${before} limit ${RETENTION_BATCH}`,
      );
    },
  };
}

export function paymentsRetentionJobs(ctx: Ctx) {
  const r = createPaymentsRetention(ctx);
  ctx.queue.define(PAYMENTS_RETENTION_JOB, async () => {
    const purged = await r.purgeOld();
    if (purged) ctx.log.info({ checkouts: purged }, 'retention: abandoned checkouts purged');
  }, { attempts: 3 });
}

export async function paymentsSchedules(ctx: Ctx) {
  await ctx.queue.schedule(PAYMENTS_RETENTION_JOB, 3_600_000);
}
