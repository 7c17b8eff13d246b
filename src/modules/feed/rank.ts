// for_you ranking: recency plus engagement, relative to a fixed reference time so that a ranked
// window can be recomputed identically for later pages.
import type { PostRow } from '../social/schema.js';

export interface RankWeights { recency: number; likes: number; comments: number; follow: number; video: number; bias: number }

export const FOR_YOU: RankWeights = { recency: 0.55, likes: 0.25, comments: 0.35, follow: 0.45, video: 0.05, bias: 0.05 };
export const FOR_YOU_VIDEOS: RankWeights = { recency: 0.45, likes: 0.4, comments: 0.45, follow: 0.3, video: 0.15, bias: 0.05 };

const HALF_LIFE_HOURS = 24;
const SATURATION = Math.log(51);

export function score(p: PostRow, w: RankWeights, nowMs: number, followed: boolean): number {
  const ageHours = Math.max(0, nowMs - p.createdAt.getTime()) / 3_600_000;
  const recency = Math.exp((-Math.LN2 * ageHours) / HALF_LIFE_HOURS);
  const likes = Math.min(1, Math.log1p(p.likeCount) / SATURATION);
  const comments = Math.min(1, Math.log1p(2 * p.commentCount) / SATURATION);
  return w.recency * recency + w.likes * likes + w.comments * comments + w.follow * (followed ? 1 : 0) + w.video * (p.hasVideo ? 1 : 0) + w.bias;
}

/** Highest score first; ties keep newest first (created_at, id). */
export function rank(rows: PostRow[], w: RankWeights, nowMs: number, followed: Set<number>): PostRow[] {
  return rows
    .map((p) => ({ p, s: score(p, w, nowMs, followed.has(p.authorId)) }))
    .sort((a, b) => b.s - a.s || b.p.createdAt.getTime() - a.p.createdAt.getTime() || b.p.id - a.p.id)
    .map((x) => x.p);
}
