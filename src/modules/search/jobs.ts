// Index-on-write: every change to users and posts becomes a small job updating the search index.
import type { Ctx } from '../../context.js';
import { batchJobId } from '../../platform/events.js';
import { SOCIAL_EVENTS, type PostCreatedEvent, type PostDeletedEvent, type PostUpdatedEvent } from '../social/service.js';
import { USER_EVENTS } from '../users/service.js';
import type { SearchService } from './service.js';

export const SEARCH_JOBS = { indexUser: 'search.index-user', indexPost: 'search.index-post', removePost: 'search.remove-post' } as const;

type PostRef = { postId: number; authorId: number };
type IndexPostJob = PostRef | { posts: PostRef[] };

export function defineSearchJobs(ctx: Ctx, search: SearchService) {
  ctx.queue.define<{ userId: number }>(SEARCH_JOBS.indexUser, ({ userId }) => search.indexUser(userId));
  // One job per post edit; one per relay batch of new posts.
  ctx.queue.define<IndexPostJob>(SEARCH_JOBS.indexPost, (job) => search.indexPosts('posts' in job ? job.posts : [job]));
  ctx.queue.define<{ postId: number }>(SEARCH_JOBS.removePost, ({ postId }) => search.removePost(postId));

  const user = (e: { userId: number }) => ctx.queue.enqueue(SEARCH_JOBS.indexUser, { userId: e.userId });
  for (const name of [USER_EVENTS.created, USER_EVENTS.updated, USER_EVENTS.deactivated]) ctx.events.on(name, user);
  ctx.events.onBatch<PostCreatedEvent>(
    SOCIAL_EVENTS.postCreated,
    (batch) => ctx.queue.enqueue<IndexPostJob>(SEARCH_JOBS.indexPost, { posts: batch.map(({ payload: e }) => ({ postId: e.postId, authorId: e.authorId })) }, { jobId: batchJobId('index-posts', batch) }),
    { afterResponse: true },
  );
  ctx.events.on<PostUpdatedEvent>(SOCIAL_EVENTS.postUpdated, (e) => ctx.queue.enqueue<IndexPostJob>(SEARCH_JOBS.indexPost, { postId: e.postId, authorId: e.authorId }));
  ctx.events.on<PostDeletedEvent>(SOCIAL_EVENTS.postDeleted, (e) => ctx.queue.enqueue(SEARCH_JOBS.removePost, { postId: e.postId }));
}
