// The feed module's service: timelines, the for_you ranking and the composer, for routes and jobs.
import type { Ctx } from '../../context.js';
import { createTimeline } from './timeline.js';
import { createForYou } from './for-you.js';
import { FEED_JOBS } from './jobs.js';
import { createInsights } from './insights.js';

export function createFeedService(ctx: Ctx) {
  const timeline = createTimeline(ctx);
  const forYou = createForYou(ctx);
  const insights = createInsights(ctx);
  return {
    insights,
    /** Plugs an insight card (mentor, matrix, soulmatch) into the feed composer. */
    registerInsightCard: insights.register,
    timeline,
    forYou,
    /** Schedules a rebuild of a user's home timeline (e.g. after a block, or by admin tools). */
    requestRebuild: (userId: number) => ctx.queue.enqueue(FEED_JOBS.rebuild, { userId }),
  };
}

export type FeedService = ReturnType<typeof createFeedService>;
