// The feed composer: turns a page of posts into feed items. Insight cards (mentor, matrix,
// SoulMatch) will be slotted in here once those modules exist; today it inserts nothing.
import type { Viewer } from '../users/present.js';

export type PostItem = { type: 'post'; id: number; post: Record<string, unknown> };
export type FeedItem = PostItem | { type: string; id: string; [card: string]: unknown };

export interface ComposeContext {
  viewer: Viewer;
  /** 1 for the first page; cards should appear once per session, not on every page. */
  page: number;
}

export function composeFeed(items: PostItem[], _ctx: ComposeContext): FeedItem[] {
  return items;
}
