// Retention of the users module's rows (docs/operations.md, "Retention").
import { sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { DAY_MS, purgeInBatches, RETENTION_BATCH } from '../../platform/retention.js';

export const USERS_RETENTION_JOB = 'users.retention';
/** Dead sessions (revoked, or their refresh token expired) stay this long as a sign-in record. */
export const DEAD_SESSION_KEEP_DAYS = 30;

export function createUsersRetention(ctx: Ctx) {
  return {
    /** Deletes sessions revoked, or unused past the refresh lifetime, more than 30 days ago. */
    async purgeDeadSessions(now = new Date()): Promise<number> {
      const revokedBefore = new Date(now.getTime() - DEAD_SESSION_KEEP_DAYS * DAY_MS);
      const usedBefore = new Date(revokedBefore.getTime() - ctx.config.jwt.refreshTtlSec * 1000);
      return purgeInBatches(
        ctx.db,
        sql`auth_sessions`,
        sql`select id from auth_sessions where revoked_at < ${revokedBefore.toISOString()} or last_used_at < ${usedBefore.toISOString()} limit ${RETENTION_BATCH}`,
      );
    },
  };
}

export function usersRetentionJobs(ctx: Ctx) {
  const r = createUsersRetention(ctx);
  ctx.queue.define(USERS_RETENTION_JOB, async () => {
    const sessions = await r.purgeDeadSessions();
    if (sessions) ctx.log.info({ sessions }, 'retention: dead sessions purged');
  }, { attempts: 3 });
}

export async function usersSchedules(ctx: Ctx) {
  await ctx.queue.schedule(USERS_RETENTION_JOB, 3_600_000);
}
