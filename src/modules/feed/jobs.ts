// Fan-out on write and timeline rebuilds run as jobs, never inside the request.
import type { Ctx } from '../../context.js';
import { SOCIAL_EVENTS, type CommentCreatedEvent, type PostCreatedEvent, type PostDeletedEvent, type PostLikedEvent } from '../social/service.js';
import { USER_EVENTS, type FollowEvent } from '../users/service.js';
import type { Timeline } from './timeline.js';
import type { FeedService } from './service.js';

export const FEED_JOBS = { fanOut: 'feed.fan-out', remove: 'feed.remove', rebuild: 'feed.rebuild' } as const;

export function defineFeedJobs(ctx: Ctx, timeline: Timeline, forYou: FeedService['forYou']) {
  ctx.queue.define<PostCreatedEvent>(FEED_JOBS.fanOut, async ({ postId, authorId, visibility }) => {
    // A private post only ever reaches its author; read-time checks still guard the rest.
    // Followers are read a page at a time and each page is one pipelined write.
    await timeline.push([authorId], postId);
    if (visibility === 'private') return;
    for await (const page of ctx.services.users.followerIdPages(authorId)) await timeline.push(page, postId);
  });
  ctx.queue.define<PostDeletedEvent>(FEED_JOBS.remove, async ({ postId, authorId }) => {
    await timeline.remove([authorId], postId);
    for await (const page of ctx.services.users.followerIdPages(authorId)) await timeline.remove(page, postId);
  });
  // No jobId dedupe: a follow arriving while a rebuild runs must trigger another one.
  ctx.queue.define<{ userId: number }>(FEED_JOBS.rebuild, async ({ userId }) => timeline.rebuild(userId));

  // The outbox event id as job id: a redelivered post.created does not fan out twice while queued.
  ctx.events.on<PostCreatedEvent>(SOCIAL_EVENTS.postCreated, (e, meta) => ctx.queue.enqueue(FEED_JOBS.fanOut, e, { jobId: `fanout-${meta.id}` }));
  ctx.events.on<PostDeletedEvent>(SOCIAL_EVENTS.postDeleted, (e) => ctx.queue.enqueue(FEED_JOBS.remove, e));
  const rebuildFollower = (e: FollowEvent) => ctx.queue.enqueue(FEED_JOBS.rebuild, { userId: e.followerId });
  ctx.events.on<FollowEvent>(USER_EVENTS.followed, rebuildFollower);
  ctx.events.on<FollowEvent>(USER_EVENTS.unfollowed, rebuildFollower);

  // for_you first pages are reused for a minute; the people whose view just changed see it at once.
  ctx.events.on<PostCreatedEvent>(SOCIAL_EVENTS.postCreated, (e) => forYou.invalidate(e.authorId));
  ctx.events.on<PostLikedEvent>(SOCIAL_EVENTS.postLiked, (e) => Promise.all([forYou.invalidate(e.userId), forYou.invalidate(e.authorId)]).then(() => undefined));
  ctx.events.on<CommentCreatedEvent>(SOCIAL_EVENTS.commentCreated, (e) => Promise.all([forYou.invalidate(e.authorId), forYou.invalidate(e.postAuthorId)]).then(() => undefined));
  ctx.events.on<FollowEvent>(USER_EVENTS.followed, (e) => forYou.invalidate(e.followerId));
  ctx.events.on<FollowEvent>(USER_EVENTS.unfollowed, (e) => forYou.invalidate(e.followerId));
}
