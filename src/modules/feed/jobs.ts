// Fan-out on write and timeline rebuilds run as jobs, never inside the request.
import type { Ctx } from '../../context.js';
import { SOCIAL_EVENTS, type PostCreatedEvent, type PostDeletedEvent } from '../social/service.js';
import { USER_EVENTS, type FollowEvent } from '../users/service.js';
import type { Timeline } from './timeline.js';

export const FEED_JOBS = { fanOut: 'feed.fan-out', remove: 'feed.remove', rebuild: 'feed.rebuild' } as const;

export function defineFeedJobs(ctx: Ctx, timeline: Timeline) {
  ctx.queue.define<PostCreatedEvent>(FEED_JOBS.fanOut, async ({ postId, authorId, visibility }) => {
    // A private post only ever reaches its author; read-time checks still guard the rest.
    const followers = visibility === 'private' ? [] : await ctx.services.users.followerIds(authorId);
    await timeline.push([authorId, ...followers], postId);
  });
  ctx.queue.define<PostDeletedEvent>(FEED_JOBS.remove, async ({ postId, authorId }) => {
    await timeline.remove([authorId, ...(await ctx.services.users.followerIds(authorId))], postId);
  });
  // No jobId dedupe: a follow arriving while a rebuild runs must trigger another one.
  ctx.queue.define<{ userId: number }>(FEED_JOBS.rebuild, async ({ userId }) => timeline.rebuild(userId));

  ctx.events.on<PostCreatedEvent>(SOCIAL_EVENTS.postCreated, (e) => ctx.queue.enqueue(FEED_JOBS.fanOut, e));
  ctx.events.on<PostDeletedEvent>(SOCIAL_EVENTS.postDeleted, (e) => ctx.queue.enqueue(FEED_JOBS.remove, e));
  const rebuildFollower = (e: FollowEvent) => ctx.queue.enqueue(FEED_JOBS.rebuild, { userId: e.followerId });
  ctx.events.on<FollowEvent>(USER_EVENTS.followed, rebuildFollower);
  ctx.events.on<FollowEvent>(USER_EVENTS.unfollowed, rebuildFollower);
}
