// The page cache's tag for a post (platform/pages.ts): pages that show a post carry it, and every
// write that changes what a page shows of a post (counters, gifts, text, visibility, moderation)
// drops it after its commit.
import type { Ctx } from '../../context.js';

export const postTag = (postId: number) => `p:${postId}`;

export function dropPostPages(ctx: Ctx, postIds: number[]) {
  ctx.pages.drop(postIds.map(postTag));
}
