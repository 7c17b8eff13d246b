// Feature flags: is_enabled(key, userId) with a percentage rollout by user id, cached for 60 s.
import { eq } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { featureFlags } from './schema.js';

interface Cached {
  enabled: boolean;
  rollout: number | null;
}
const TTL_MS = 60_000;
const key = (k: string) => `feature_flag:${k}`;

export function createFlagsService(ctx: Ctx) {
  async function load(flag: string): Promise<Cached | null> {
    const hit = await ctx.kv.get(key(flag));
    if (hit !== null) return JSON.parse(hit) as Cached | null;
    const [row] = await ctx.db.select().from(featureFlags).where(eq(featureFlags.key, flag)).limit(1);
    const v = row ? { enabled: row.enabled, rollout: row.rollout } : null;
    await ctx.kv.set(key(flag), JSON.stringify(v), TTL_MS); // "missing" is cached too
    return v;
  }

  /** Unknown flag → default; disabled → false; rollout null or ≥100 → everyone; else userId % 100 < rollout. */
  async function isEnabled(flag: string, userId?: number, def = false): Promise<boolean> {
    const f = await load(flag);
    if (!f) return def;
    if (!f.enabled) return false;
    if (f.rollout === null || f.rollout >= 100) return true;
    return userId !== undefined && userId % 100 < Math.trunc(f.rollout);
  }

  async function set(flag: string, v: { enabled: boolean; rollout?: number | null; description?: string }) {
    const values = { key: flag, enabled: v.enabled, rollout: v.rollout ?? null, description: v.description ?? '' };
    await ctx.db
      .insert(featureFlags)
      .values(values)
      .onConflictDoUpdate({ target: featureFlags.key, set: { enabled: values.enabled, rollout: values.rollout, ...(v.description !== undefined && { description: v.description }), updatedAt: new Date() } });
    await ctx.kv.del(key(flag));
  }

  async function remove(flag: string) {
    await ctx.db.delete(featureFlags).where(eq(featureFlags.key, flag));
    await ctx.kv.del(key(flag));
  }

  async function list() {
    return ctx.db.select().from(featureFlags).orderBy(featureFlags.key);
  }

  return { isEnabled, set, remove, list };
}

export type FlagsService = ReturnType<typeof createFlagsService>;
