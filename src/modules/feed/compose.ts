// The feed composer: turns a page of posts into feed items and places today's insight cards
// (contract §4.10 / social §3.6 positions): mentor at min(2, n); SoulMatch near 4; matrix at 6 only
// with ≥ 6 posts. Cards come only from caches filled by jobs, and only on a session's first page.
import type { Viewer } from '../users/present.js';
import type { InsightCard, InsightKind } from './insights.js';

export type PostItem = { type: 'post'; id: number; post: Record<string, unknown> };
export type FeedItem = PostItem | { type: string; id: string; [card: string]: unknown };

export interface ComposeContext {
  viewer: Viewer;
  /** 1 for the first page; cards should appear once per session, not on every page. */
  page: number;
  cards?: Partial<Record<InsightKind, InsightCard>>;
  /** Server date for card ids (YYYY-MM-DD). */
  date?: string;
}

export function composeFeed(items: PostItem[], ctx: ComposeContext): FeedItem[] {
  const cards = ctx.cards ?? {};
  if (ctx.page !== 1 || !Object.keys(cards).length) return items;
  const date = ctx.date ?? new Date().toISOString().slice(0, 10);
  const n = items.length;
  const out: FeedItem[] = [...items];
  const inserted: number[] = [];
  const put = (at: number, item: FeedItem) => {
    const idx = Math.min(at, out.length);
    out.splice(idx, 0, item);
    inserted.push(idx);
  };
  if (cards.mentor) put(Math.min(2, n), { type: 'mentor_insight', id: `mentor_${date}`, mentor: cards.mentor });
  if (cards.matrix && n >= 6) put(6 + inserted.filter((i) => i <= 6).length, { type: 'matrix_insight', id: `matrix_${date}`, matrix: cards.matrix });
  if (cards.soulmatch) {
    let at = Math.min(4, out.length);
    at += inserted.filter((i) => i <= at).length;
    put(Math.min(at, out.length), { type: 'soulmatch_reco', id: `soulmatch_${date}`, soulmatch: { profiles: [], ...cards.soulmatch } });
  }
  return out;
}
