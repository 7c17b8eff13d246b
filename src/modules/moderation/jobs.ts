// Moderation jobs: automatic banned-word flagging and enforcement expiry.
import type { Ctx } from '../../context.js';
import { MODERATION_JOBS, type TargetType } from './service.js';

interface AutoFlagJob {
  targetType: TargetType;
  targetId: number;
  text: string;
}

export function moderationJobs(ctx: Ctx) {
  const svc = () => ctx.services.moderation;
  ctx.queue.define<AutoFlagJob>(MODERATION_JOBS.autoflag, async (d) => {
    await svc().autoFlag(d.targetType, d.targetId, d.text);
  });
  ctx.queue.define(MODERATION_JOBS.expire, async () => {
    await svc().expireDue();
  }, { attempts: 3 });

  const flag = (targetType: TargetType, idKey: string) => async (p: Record<string, unknown>) => {
    const id = p[idKey];
    // Posts and comments carry `text`; messages carry `body`.
    const full = p.text ?? p.body;
    if (typeof id !== 'number' || typeof full !== 'string' || !full) return;
    const text = full.slice(0, 10_000);
    // Most texts are clean: the match is cheap here, a job per text is not (the job checks again).
    if (!svc().matchBanned(text)) return;
    await ctx.queue.enqueue<AutoFlagJob>(MODERATION_JOBS.autoflag, { targetType, targetId: id, text });
  };
  // Flagging is background work: the author's next read does not depend on it.
  ctx.events.on('post.created', flag('post', 'postId'), { afterResponse: true });
  ctx.events.on('comment.created', flag('comment', 'commentId'), { afterResponse: true });
  ctx.events.on('message.created', flag('message', 'messageId'), { afterResponse: true });
}

/** Scheduler hook: lift expired suspensions every minute. */
export async function moderationSchedules(ctx: Ctx) {
  await ctx.queue.schedule(MODERATION_JOBS.expire, 60_000);
}
