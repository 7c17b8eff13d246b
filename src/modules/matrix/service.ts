// The matrix module's rules: life path from the user's birth date, the synced astro profile, the feed card.
import { eq } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { lifePath } from './life-path.js';
import { matrixAstroProfiles, matrixData } from './schema.js';

export const MATRIX_JOBS = { insight: 'matrix.insight' } as const;
export const INSIGHT_TTL_MS = 26 * 3_600_000;
export const today = () => new Date().toISOString().slice(0, 10);
export const matrixCardKey = (userId: number, date = today()) => `matrix_insight:${userId}:${date}`;

export interface SyncInput {
  sun?: string;
  moon?: string;
  ascendant?: string;
  planets?: unknown;
  aspects?: unknown;
  houses?: unknown;
}

const shorten = (s: string, max = 180) => {
  if (s.length <= max) return s;
  const cut = s.slice(0, max - 1);
  const at = cut.lastIndexOf(' ');
  return `${(at > 40 ? cut.slice(0, at) : cut).trimEnd()}…`;
};

export function createMatrixService(ctx: Ctx) {
  const db = () => ctx.db;

  /** The user's birth date: the account's, else the one given for the natal chart. */
  async function birthDateOf(userId: number): Promise<string | null> {
    const user = await ctx.services.users.getById(userId);
    if (!user) return null;
    return user.birthDate ?? (await ctx.services.astro.birthDateOf(userId));
  }

  async function ensureRows(userId: number) {
    await db().insert(matrixAstroProfiles).values({ userId }).onConflictDoNothing();
    await db().insert(matrixData).values({ userId }).onConflictDoNothing();
    const [astro] = await db().select().from(matrixAstroProfiles).where(eq(matrixAstroProfiles.userId, userId));
    const [data] = await db().select().from(matrixData).where(eq(matrixData.userId, userId));
    return { astro, data };
  }

  /** Recomputes the life path from the current birth date (empty without one) and saves changes. */
  async function refreshLifePath(userId: number, rawPayload?: unknown) {
    const { data } = await ensureRows(userId);
    const lp = lifePath(await birthDateOf(userId));
    const next = { lifePath: lp ? String(lp.lifePath) : '', traits: (lp?.traits ?? {}) as Record<string, unknown> };
    if (next.lifePath === data.lifePath && rawPayload === undefined) return data;
    const [row] = await db()
      .update(matrixData)
      .set({ ...next, ...(rawPayload !== undefined ? { rawPayload } : {}), updatedAt: new Date() })
      .where(eq(matrixData.userId, userId))
      .returning();
    return row;
  }

  async function profile(userId: number) {
    const data = await refreshLifePath(userId);
    const { astro } = await ensureRows(userId);
    return { astro, data };
  }

  async function sync(userId: number, input: SyncInput) {
    await ensureRows(userId);
    const subset: Record<string, unknown> = {};
    for (const k of ['sun', 'moon', 'ascendant', 'planets', 'aspects', 'houses'] as const) if (input[k] !== undefined && input[k] !== null) subset[k] = input[k];
    await db()
      .update(matrixAstroProfiles)
      .set({ ...(subset as Partial<typeof matrixAstroProfiles.$inferInsert>), rawPayload: subset, updatedAt: new Date() })
      .where(eq(matrixAstroProfiles.userId, userId));
    return refreshLifePath(userId, { source: 'sync', astro: subset });
  }

  async function lifePathFor(userId: number): Promise<number | null> {
    return lifePath(await birthDateOf(userId))?.lifePath ?? null;
  }

  /** The feed card (job side): computed and cached for today; nothing cached without a life path. */
  async function computeInsight(userId: number) {
    const lp = lifePath(await birthDateOf(userId));
    if (!lp) {
      await ctx.kv.set(matrixCardKey(userId), 'null', INSIGHT_TTL_MS);
      ctx.services.feed.insights.changed(userId);
      return null;
    }
    const card = {
      title: "Today's matrix insight",
      subtitle: shorten(`Your life path ${lp.lifePath} - ${lp.traits.primary_trait}. Lean into what comes naturally to you today.`),
      cta: 'View matrix',
    };
    await ctx.kv.set(matrixCardKey(userId), JSON.stringify(card), INSIGHT_TTL_MS);
    ctx.services.feed.insights.changed(userId);
    return card;
  }

  /** The feed card (request side): cache only; a miss queues the job and shows nothing this time. */
  async function insightCard(userId: number) {
    const hit = await ctx.kv.get(matrixCardKey(userId));
    if (hit === null) {
      await ctx.queue.enqueue(MATRIX_JOBS.insight, { userId }, { jobId: `matrix-insight-${userId}-${today()}` });
      return null;
    }
    return JSON.parse(hit) as { title: string; subtitle: string; cta: string } | null;
  }

  return { profile, sync, lifePathFor, refreshLifePath, computeInsight, insightCard, cardCached: async (userId: number) => !["null", null].includes(await ctx.kv.get(matrixCardKey(userId))) };
}

export type MatrixService = ReturnType<typeof createMatrixService>;
export { lifePath } from './life-path.js';
