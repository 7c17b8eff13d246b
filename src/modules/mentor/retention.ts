// Retention of mentor chats and prompts (contract §6.10: 90 days; docs/operations.md, "Retention").
import { sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { DAY_MS, purgeInBatches, RETENTION_BATCH } from '../../platform/retention.js';

export const MENTOR_RETENTION_JOB = 'mentor.retention';
export const MENTOR_KEEP_DAYS = 90;

export function createMentorRetention(ctx: Ctx) {
  return {
    /** Messages and async tasks older than 90 days; sessions untouched for 90 days with nothing newer left. */
    async purgeOld(now = new Date()): Promise<{ messages: number; jobs: number; sessions: number }> {
      const before = new Date(now.getTime() - MENTOR_KEEP_DAYS * DAY_MS).toISOString();
      const messages = await purgeInBatches(ctx.db, sql`mentor_messages`, sql`select id from mentor_messages where created_at < ${before} limit ${RETENTION_BATCH}`);
      const jobs = await purgeInBatches(ctx.db, sql`mentor_jobs`, sql`select id from mentor_jobs where created_at < ${before} limit ${RETENTION_BATCH}`);
      // A long-lived chat session (one per user, mode and language) stays while it has recent messages.
      const sessions = await purgeInBatches(
        ctx.db,
        sql`mentor_sessions`,
        sql`select s.id from mentor_sessions s where s.updated_at < ${before}
              and not exists (select 1 from mentor_messages m where m.session_id = s.id)
              and not exists (select 1 from mentor_jobs j where j.session_id = s.id) limit ${RETENTION_BATCH}`,
      );
      return { messages, jobs, sessions };
    },
  };
}

export function mentorRetentionJobs(ctx: Ctx) {
  const r = createMentorRetention(ctx);
  ctx.queue.define(MENTOR_RETENTION_JOB, async () => {
    const purged = await r.purgeOld();
    if (purged.messages || purged.jobs || purged.sessions) ctx.log.info(purged, 'retention: old mentor chats purged');
  }, { attempts: 3 });
}

export async function mentorSchedules(ctx: Ctx) {
  await ctx.queue.schedule(MENTOR_RETENTION_JOB, 3_600_000);
}
