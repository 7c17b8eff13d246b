// The gift catalogue: W-GiftType presentation, effects normalisation and staff edits.
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { olderThan, type Keyset } from '../../platform/http/pagination.js';
import { giftTypes, type GiftTypeRow } from './schema.js';

const EFFECT_TYPES = ['overlay', 'border_glow', 'highlight', 'badge'] as const;

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() && Number.isFinite(Number(v)) ? Number(v) : undefined);
const int = (v: unknown) => {
  const n = num(v);
  return n === undefined ? undefined : Math.trunc(n);
};
const bool = (v: unknown) => (typeof v === 'boolean' ? v : undefined);

/** The effects object the app reads: `{version, effects[], persist{mode, window_seconds}}`, unknown keys dropped. */
export function normalizeEffects(raw: unknown): { version: number; effects: Record<string, unknown>[]; persist: { mode: 'none' | 'window'; window_seconds: number } } {
  const o = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const version = Number.isInteger(o.version) ? (o.version as number) : 2;
  const p = o.persist && typeof o.persist === 'object' && !Array.isArray(o.persist) ? (o.persist as Record<string, unknown>) : null;
  const persist = { mode: p?.mode === 'window' ? ('window' as const) : ('none' as const), window_seconds: Math.max(0, p ? (int(p.window_seconds) ?? 0) : 0) };
  const effects: Record<string, unknown>[] = [];
  for (const e of Array.isArray(o.effects) ? o.effects : []) {
    if (!e || typeof e !== 'object' || Array.isArray(e)) continue;
    const x = e as Record<string, unknown>;
    if (!(EFFECT_TYPES as readonly string[]).includes(x.type as string)) continue;
    const out: Record<string, unknown> = { type: x.type };
    if (x.scope === 'post' || x.scope === 'comment') out.scope = x.scope;
    if (int(x.priority) !== undefined) out.priority = int(x.priority);
    const put = (k: string, v: unknown) => {
      if (v !== undefined) out[k] = v;
    };
    switch (x.type) {
      case 'overlay':
        if (!str(x.animation)) continue;
        put('animation', str(x.animation));
        put('opacity', num(x.opacity));
        put('z_index', int(x.z_index) || undefined);
        put('clip_to_bounds', bool(x.clip_to_bounds));
        put('scale', num(x.scale));
        put('loop', bool(x.loop));
        put('fit', x.fit === 'cover' || x.fit === 'contain' ? x.fit : undefined);
        put('duration_ms', int(x.duration_ms) || undefined);
        break;
      case 'border_glow':
        put('color', str(x.color));
        put('thickness', num(x.thickness));
        put('intensity', num(x.intensity));
        put('pulse', bool(x.pulse));
        break;
      case 'highlight':
        put('color', str(x.color));
        put('tone', str(x.tone));
        break;
      case 'badge':
        put('text', str(x.text) ?? str(x.label));
        put('tone', str(x.tone));
        break;
    }
    effects.push(out);
  }
  return { version, effects, persist };
}

/** Staff input check: an object whose effects all have a known type; overlays need an animation. */
export function validateEffects(raw: unknown): string | null {
  if (raw === null || raw === '') return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) return 'Effects must be an object.';
  const list = (raw as Record<string, unknown>).effects;
  if (list === undefined) return null;
  if (!Array.isArray(list) || list.some((e) => !e || typeof e !== 'object' || Array.isArray(e))) return 'effects must be a list of objects.';
  const bad = list.map((e) => (e as Record<string, unknown>).type).filter((t) => !(EFFECT_TYPES as readonly unknown[]).includes(t));
  if (bad.length) return `Unsupported effect type(s): ${bad.map(String).join(', ')}`;
  if (list.some((e) => (e as Record<string, unknown>).type === 'overlay' && !str((e as Record<string, unknown>).animation))) return 'Overlay effects need an animation.';
  return null;
}

export type PresentedGiftType = ReturnType<ReturnType<typeof createGiftCatalogue>['present']>;

export function createGiftCatalogue(ctx: Ctx) {
  const db = () => ctx.db;

  /** Absolute URLs stay; `/paths` get the request origin (or PUBLIC_BASE_URL); anything else as stored. */
  function absolute(u: string, origin: string | null): string {
    if (!u || /^https?:\/\//i.test(u)) return u;
    const base = origin ?? ctx.config.publicBaseUrl;
    return base && u.startsWith('/') ? `${base}${u}` : u;
  }

  function present(g: GiftTypeRow, origin: string | null = null) {
    const effects = normalizeEffects(g.effects);
    for (const e of effects.effects) if (typeof e.animation === 'string') e.animation = absolute(e.animation, origin);
    return {
      id: g.id,
      key: g.key,
      slug: g.key,
      name: g.name,
      kind: g.kind,
      price_cents: g.priceCents,
      price_slc_cents: g.priceSlcCents,
      art_url: absolute(g.artUrl, origin),
      media_url: absolute(g.mediaUrl, origin),
      animation_url: absolute(g.animationUrl, origin),
      is_active: g.isActive,
      effects,
      metadata: g.metadata,
    };
  }

  async function get(id: number): Promise<GiftTypeRow | null> {
    const [g] = await db().select().from(giftTypes).where(eq(giftTypes.id, id)).limit(1);
    return g ?? null;
  }

  async function getMany(ids: number[]): Promise<Map<number, GiftTypeRow>> {
    const unique = [...new Set(ids)];
    if (!unique.length) return new Map();
    const rows = await db().select().from(giftTypes).where(inArray(giftTypes.id, unique));
    return new Map(rows.map((r) => [r.id, r]));
  }

  async function listActive(before: Keyset | null, limit: number) {
    return db()
      .select()
      .from(giftTypes)
      .where(and(eq(giftTypes.isActive, true), olderThan(giftTypes.createdAt, giftTypes.id, before)))
      .orderBy(desc(giftTypes.createdAt), desc(giftTypes.id))
      .limit(limit + 1);
  }

  async function create(v: typeof giftTypes.$inferInsert) {
    const [row] = await db().insert(giftTypes).values(v).returning();
    return row;
  }

  async function update(id: number, patch: Partial<typeof giftTypes.$inferInsert>) {
    const [row] = await db().update(giftTypes).set({ ...patch, updatedAt: new Date() }).where(eq(giftTypes.id, id)).returning();
    return row ?? null;
  }

  /**
   * Creates the gift type with this key or updates its fields in one statement (safe to run twice or
   * concurrently). `is_active` is only set on creation: a gift staff deactivated stays off.
   */
  async function upsertByKey(key: string, v: Omit<typeof giftTypes.$inferInsert, 'key' | 'isActive'>): Promise<{ row: GiftTypeRow; created: boolean }> {
    const [r] = await db()
      .insert(giftTypes)
      .values({ ...v, key })
      .onConflictDoUpdate({ target: giftTypes.key, set: { ...v, updatedAt: new Date() } })
      // xmax is 0 on a row this statement inserted, the updating transaction's id on an updated one.
      .returning({ id: giftTypes.id, created: sql<boolean>`(xmax = 0)` });
    return { row: (await get(r.id))!, created: Boolean(r.created) };
  }

  /** Staff tools: every gift type, active or not, newest first. */
  async function listAll(limit: number) {
    return db().select().from(giftTypes).orderBy(desc(giftTypes.createdAt), desc(giftTypes.id)).limit(limit);
  }

  return { present, get, getMany, listActive, listAll, create, update, upsertByKey, giftTypeExists: async (id: number) => (await get(id)) !== null };
}
