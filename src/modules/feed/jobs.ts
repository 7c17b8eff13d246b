// Fan-out on write and timeline rebuilds run as jobs, never inside the request.
import type { Ctx } from '../../context.js';
import { batchJobId } from '../../platform/events.js';
import { SOCIAL_EVENTS, type CommentCreatedEvent, type PostCreatedEvent, type PostDeletedEvent, type PostLikedEvent } from '../social/service.js';
import { USER_EVENTS, type FollowEvent } from '../users/service.js';
import type { Timeline } from './timeline.js';
import type { FeedService } from './service.js';

export const FEED_JOBS = { fanOut: 'feed.fan-out', remove: 'feed.remove', rebuild: 'feed.rebuild' } as const;

type FanOutJob = { posts: PostCreatedEvent[] } | PostCreatedEvent;

/**
 * A post's fan-out mark: counted at each fan-out of the post. It outlives every redelivery (a job's
 * retries take ~30 s, the relay's backoff tops out at 10 minutes) and costs ~60 bytes per post meanwhile.
 */
const fanOutMark = (postId: number) => `feed:fo:${postId}`;
const FAN_OUT_MARK_MS = 60 * 60_000;

export function defineFeedJobs(ctx: Ctx, timeline: Timeline, forYou: FeedService['forYou']) {
  const fanOut = async (posts: PostCreatedEvent[]) => {
    // A post's first fan-out pushes its id without looking for it; one that comes again (a redelivered
    // event, a retried or stalled job) finds the post's mark counted before and looks first, so each
    // timeline holds it once. The look was ~3/4 of Redis's CPU per post (docs/perf.md, "Writes").
    const looks = await Promise.all(
      posts.map(async ({ postId, authorId }) => {
        const look = (await ctx.kv.incr(fanOutMark(postId), FAN_OUT_MARK_MS)).value > 1;
        await timeline.push([authorId], postId, look);
        return look;
      }),
    );
    // A private post only ever reaches its author; read-time checks still guard the rest.
    const byAuthor = new Map<number, { postId: number; look: boolean }[]>();
    posts.forEach(({ postId, authorId, visibility }, i) => {
      if (visibility === 'private') return;
      if (!byAuthor.has(authorId)) byAuthor.set(authorId, []);
      byAuthor.get(authorId)!.push({ postId, look: looks[i] });
    });
    // The authors' followers are read a page at a time (their first pages in one query), each page of
    // each post is one pipelined write, and the writes go out side by side: one after another, a job
    // of ~30 posts waited ~300 ms on round trips and the queue fell behind at 1,500 posts/s (a page
    // looks at the ids it read newest first, whatever order the pushes landed in: timeline.ts).
    const pushes: Promise<unknown>[] = [];
    try {
      for await (const { userId, ids } of ctx.services.users.followerIdPagesOfMany([...byAuthor.keys()])) {
        for (const { postId, look } of byAuthor.get(userId)!) pushes.push(timeline.push(ids, postId, look));
        // (bounded: a large audience's pages are not all held at once)
        if (pushes.length >= 64) await Promise.all(pushes.splice(0));
      }
    } catch (err) {
      await Promise.allSettled(pushes);
      throw err;
    }
    await Promise.all(pushes);
  };
  // One job per relay batch of post.created (a job queued before batches carries one post).
  ctx.queue.define<FanOutJob>(FEED_JOBS.fanOut, (job) => fanOut('posts' in job ? job.posts : [job]));
  ctx.queue.define<PostDeletedEvent>(FEED_JOBS.remove, async ({ postId, authorId }) => {
    await timeline.remove([authorId], postId);
    for await (const page of ctx.services.users.followerIdPages(authorId)) await timeline.remove(page, postId);
  });
  // No jobId dedupe: a follow arriving while a rebuild runs must trigger another one.
  ctx.queue.define<{ userId: number }>(FEED_JOBS.rebuild, async ({ userId }) => timeline.rebuild(userId));

  // Background work, after the response: the author's own for_you page goes in the request
  // (social's createPost), the followers' timelines are filled by one job per relay batch, whose id
  // comes from the batch's events (a redelivered batch queues it once; a push is idempotent anyway).
  const afterResponse = { afterResponse: true };
  ctx.events.onBatch<PostCreatedEvent>(
    SOCIAL_EVENTS.postCreated,
    (batch) => ctx.queue.enqueue<FanOutJob>(FEED_JOBS.fanOut, { posts: batch.map((e) => e.payload) }, { jobId: batchJobId('fanout', batch) }),
    afterResponse,
  );
  ctx.events.on<PostDeletedEvent>(SOCIAL_EVENTS.postDeleted, (e) => ctx.queue.enqueue(FEED_JOBS.remove, e));
  const rebuildFollower = (e: FollowEvent) => ctx.queue.enqueue(FEED_JOBS.rebuild, { userId: e.followerId });
  ctx.events.on<FollowEvent>(USER_EVENTS.followed, rebuildFollower);
  ctx.events.on<FollowEvent>(USER_EVENTS.unfollowed, rebuildFollower);

  // for_you first pages are reused for a minute; the people whose view just changed see it at once.
  ctx.events.onBatch<PostCreatedEvent>(SOCIAL_EVENTS.postCreated, (batch) => forYou.invalidateMany(batch.map((e) => e.payload.authorId)), afterResponse);
  ctx.events.on<PostLikedEvent>(SOCIAL_EVENTS.postLiked, (e) => forYou.invalidateMany([e.userId, e.authorId]));
  ctx.events.on<CommentCreatedEvent>(SOCIAL_EVENTS.commentCreated, (e) => forYou.invalidateMany([e.authorId, e.postAuthorId]));
  ctx.events.on<FollowEvent>(USER_EVENTS.followed, (e) => forYou.invalidate(e.followerId));
  ctx.events.on<FollowEvent>(USER_EVENTS.unfollowed, (e) => forYou.invalidate(e.followerId));
}
