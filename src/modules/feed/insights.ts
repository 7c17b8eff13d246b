// Insight cards (contract §4.10): a small named registry the card owners plug into. Providers read
// what their jobs cached; the request path never computes a card.
import type { Ctx } from '../../context.js';
import { userTag } from '../../platform/pages.js';

export const INSIGHT_KINDS = ['mentor', 'matrix', 'soulmatch'] as const;
export type InsightKind = (typeof INSIGHT_KINDS)[number];
export type InsightCard = Record<string, unknown> & { title?: string };
export type InsightProvider = (userId: number) => Promise<InsightCard | null>;
export interface InsightOptions {
  /** Whether today's card is precomputed (feed/health); default: the contract's cache key exists. */
  cached?: (userId: number) => Promise<boolean>;
}

const today = () => new Date().toISOString().slice(0, 10);
const DEFAULT_KEYS: Record<InsightKind, (uid: number) => string> = {
  mentor: (uid) => `mentor_insight:${uid}:${today()}`,
  matrix: (uid) => `matrix_insight:${uid}:${today()}`,
  soulmatch: (uid) => `soulmatch_insight:${uid}:${today()}`,
};

export function createInsights(ctx: Ctx) {
  const providers = new Map<InsightKind, { provider: InsightProvider; opts: InsightOptions }>();
  return {
    /** e.g. `ctx.services.feed.registerInsightCard('mentor', (uid) => ctx.services.mentor.insightCard(uid))`. */
    register(kind: InsightKind, provider: InsightProvider, opts: InsightOptions = {}) {
      providers.set(kind, { provider, opts });
    },
    /** A card's owner, after writing a user's card: the first feed pages that show it are dropped. */
    changed(userId: number) {
      ctx.pages.drop([userTag(userId)]);
    },
    /** Today's cards for a viewer; a failing provider only loses its card. */
    async cardsFor(userId: number): Promise<Partial<Record<InsightKind, InsightCard>>> {
      const out: Partial<Record<InsightKind, InsightCard>> = {};
      await Promise.all(
        [...providers].map(async ([kind, { provider }]) => {
          const card = await provider(userId).catch((err: unknown) => {
            ctx.log.warn({ err, kind }, 'insight card provider failed');
            return null;
          });
          if (card) out[kind] = card;
        }),
      );
      return out;
    },
    async cached(userId: number): Promise<Record<InsightKind, boolean>> {
      const flags = { mentor: false, matrix: false, soulmatch: false };
      await Promise.all(
        INSIGHT_KINDS.map(async (kind) => {
          const p = providers.get(kind);
          flags[kind] = p?.opts.cached ? await p.opts.cached(userId) : await ctx.kv.exists(DEFAULT_KEYS[kind](userId));
        }),
      );
      return flags;
    },
  };
}
