// SoulMatch v2 scoring (contract §7.3–§7.5), deterministic: element ties go to the first sign in
// sun → moon → ascendant order; Python round-half-even for the integer score and 2-decimal overlaps.
// Fixes: the matrix component uses numerology (life paths) instead of a constant, and timing comes
// from today's sky, so all six lenses are reachable (the original's maximum was 80 and timing 0).
import type { ProfileFacts } from '../users/facts.js';

export type Element = 'fire' | 'earth' | 'air' | 'water';
const ELEMENT: Record<string, Element> = {
  aries: 'fire', leo: 'fire', sagittarius: 'fire', taurus: 'earth', virgo: 'earth', capricorn: 'earth',
  gemini: 'air', libra: 'air', aquarius: 'air', cancer: 'water', scorpio: 'water', pisces: 'water',
};
export const elementOf = (sign: string | undefined) => (sign ? ELEMENT[sign.toLowerCase()] : undefined);

export interface MatchSide {
  id: number;
  /** sun, moon, asc, venus, mars sign names; null without a chart. */
  signs: Record<string, string> | null;
  /** null when absent or empty (§9 is_empty). */
  profile: ProfileFacts | null;
  lifePath: number | null;
}

export interface Components {
  astro: number;
  matrix: number;
  psychology: number;
  lifestyle: number;
}

export interface MatchResult {
  user_id: number;
  score: number;
  components: Components;
  tags: string[];
}

export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (Math.abs(d - 0.5) < 1e-9) return f % 2 === 0 ? f : f + 1;
  return Math.round(x);
}

export function round2(x: number): number {
  const s = x * 100;
  const f = Math.floor(s);
  if (Math.abs(s - f - 0.5) < 1e-9) return (f % 2 === 0 ? f : f + 1) / 100;
  return Math.round(s) / 100;
}

export function isEmptyProfile(p: ProfileFacts | null | undefined): boolean {
  if (!p) return true;
  return (
    !p.gender && !p.orientation && (p.relationshipGoal || 'unsure') === 'unsure' && !p.values.length && !p.preferredLifestyle.length &&
    !p.loveLanguage.length && !p.attachmentStyle && !p.birthDate && !p.birthTime && !p.birthCity && !p.birthCountry && !p.birthTimezone &&
    p.birthLatitude == null && p.birthLongitude == null
  );
}

export function dominantElement(signs: Record<string, string> | null): Element | undefined {
  if (!signs) return undefined;
  const order = [signs.sun, signs.moon, signs.asc].map(elementOf).filter((e): e is Element => Boolean(e));
  if (!order.length) return undefined;
  const counts = new Map<Element, number>();
  for (const e of order) counts.set(e, (counts.get(e) ?? 0) + 1);
  const max = Math.max(...counts.values());
  return order.find((e) => counts.get(e) === max);
}

const COMPLEMENT = new Set(['fire:air', 'air:fire', 'earth:water', 'water:earth']);

export function astroScore(a: MatchSide, b: MatchSide): number {
  const da = dominantElement(a.signs);
  const db = dominantElement(b.signs);
  if (!da || !db) return 0;
  if (da === db) return 35;
  if (COMPLEMENT.has(`${da}:${db}`)) return 30;
  const venus = elementOf(a.signs?.venus);
  const mars = elementOf(b.signs?.mars);
  if (venus && mars && venus === mars) return 25;
  return 15;
}

/** Numerology: equal life paths 30; same harmonic triad (1-4-7, 2-5-8, 3-6-9; masters reduced) 24; else 15 (neutral, as without data). */
export function matrixScore(a: number | null, b: number | null): number {
  if (a == null || b == null) return 15;
  if (a === b) return 30;
  const base = (n: number) => (n > 9 ? [...String(n)].reduce((s, c) => s + Number(c), 0) : n);
  return (base(a) - base(b)) % 3 === 0 ? 24 : 15;
}

export function overlap(a: string[], b: string[], max: number): number {
  const A = new Set(a);
  const B = new Set(b);
  if (!A.size && !B.size) return max / 2;
  if (!A.size || !B.size) return max / 3;
  let inter = 0;
  for (const x of A) if (B.has(x)) inter++;
  const union = new Set([...A, ...B]).size;
  return round2((inter / union) * max);
}

export function attachment(a: string, b: string): number {
  if (!a || !b) return 5;
  if (a === 'secure' || b === 'secure') return 8;
  if ((a === 'anxious' && b === 'avoidant') || (a === 'avoidant' && b === 'anxious')) return 2;
  return 5;
}

export function calculate(a: MatchSide, b: MatchSide): MatchResult {
  if (a.id === b.id) throw new Error('cannot match a user with itself');
  const astro = astroScore(a, b);
  const matrix = matrixScore(a.lifePath, b.lifePath);
  const pa = a.profile;
  const pb = b.profile;
  const psychology = pa && pb ? Math.min(overlap(pa.values, pb.values, 15) + attachment(pa.attachmentStyle, pb.attachmentStyle), 20) : 0;
  const lifestyle = pa && pb ? Math.min(overlap(pa.preferredLifestyle, pb.preferredLifestyle, 10) + overlap(pa.loveLanguage, pb.loveLanguage, 5), 10) : 0;
  const score = roundHalfEven(Math.min(100, Math.max(0, astro + matrix + psychology + lifestyle)));
  let tags: string[] = [];
  if (astro === 0 && psychology === 0 && lifestyle === 0) tags = ['neutral'];
  else {
    if (astro > 30 && psychology > 15) tags.push('soulmate_like');
    if (astro > 30 && psychology < 10) tags.push('strong_chemistry_needs_work');
    if (lifestyle > 7) tags.push('aligned_lifestyle');
    if (psychology > 12) tags.push('values_aligned');
    if (score < 40) tags.push('growth_opportunity');
    if (!tags.length) tags = ['neutral'];
  }
  return { user_id: b.id, score, components: { astro, matrix, psychology, lifestyle }, tags };
}

// ---- timing (today's sky against both charts) ----

export interface Timing {
  timing_score: number;
  timing_window: { starts_at: string; ends_at: string; label: string } | null;
  timing_summary: string;
  compatibility_trend: 'rising' | 'steady' | 'unknown';
}

/** 35 when today's Venus shares both Suns' element, 35 when Jupiter shares both dominant elements, 30 when the Moon does. */
export function timing(a: MatchSide, b: MatchSide, sky: { venus: string; jupiter: string; moon: string }, day: string): Timing {
  if (!a.signs || !b.signs) return { timing_score: 0, timing_window: null, timing_summary: 'Timing unknown', compatibility_trend: 'unknown' };
  const both = (e: Element | undefined, x: string | undefined, y: string | undefined) => Boolean(e && elementOf(x) === e && elementOf(y) === e);
  const da = dominantElement(a.signs);
  const db = dominantElement(b.signs);
  let s = 0;
  if (both(elementOf(sky.venus), a.signs.sun, b.signs.sun)) s += 35;
  if (da && da === db && elementOf(sky.jupiter) === da) s += 35;
  if (da && da === db && elementOf(sky.moon) === da) s += 30;
  const end = new Date(`${day}T00:00:00Z`);
  end.setUTCDate(end.getUTCDate() + 7);
  return s >= 35
    ? { timing_score: s, timing_window: { starts_at: day, ends_at: end.toISOString().slice(0, 10), label: 'This week' }, timing_summary: 'The sky favours this connection this week', compatibility_trend: 'rising' }
    : { timing_score: s, timing_window: null, timing_summary: 'No special timing right now', compatibility_trend: 'steady' };
}

// ---- lenses, diversification, explanations (§7.4–§7.6) ----

export const LENSES = ['SOUL_RESONANCE', 'GROWTH_CATALYST', 'KARMIC_TIE', 'TIMING_MATCH', 'MIRROR_MATCH', 'OPPOSITE_POLARITY'] as const;
export type Lens = (typeof LENSES)[number];
export const LENS_LABEL: Record<Lens, string> = {
  SOUL_RESONANCE: 'Soul Resonance', GROWTH_CATALYST: 'Growth Catalyst', KARMIC_TIE: 'Karmic Tie',
  TIMING_MATCH: 'Timing Match', MIRROR_MATCH: 'Mirror Match', OPPOSITE_POLARITY: 'Opposite Polarity',
};
export const LENS_REASON: Record<Lens, string> = {
  SOUL_RESONANCE: 'High overall resonance across your core dimensions.',
  GROWTH_CATALYST: 'Strong potential, with challenges that can help you both grow.',
  KARMIC_TIE: 'A rare, intense resonance between you.',
  TIMING_MATCH: 'This connection looks well timed in the coming days.',
  MIRROR_MATCH: 'Shared values and lifestyle make this a mirror of you.',
  OPPOSITE_POLARITY: 'Complementary traits: opposites that attract.',
};

export function assignLens(r: MatchResult, timingScore: number): Lens {
  const c = r.components;
  if (timingScore >= 70) return 'TIMING_MATCH';
  if (r.tags.includes('soulmate_like') && r.score >= 85) return 'KARMIC_TIE';
  if (r.score >= 75 && (r.tags.includes('values_aligned') || r.tags.includes('soulmate_like'))) return 'SOUL_RESONANCE';
  if (r.tags.includes('growth_opportunity') || r.tags.includes('strong_chemistry_needs_work')) return 'GROWTH_CATALYST';
  if (c.psychology >= 12 && c.lifestyle >= 7) return 'MIRROR_MATCH';
  if (c.astro <= 20 && c.psychology <= 8) return 'OPPOSITE_POLARITY';
  return 'SOUL_RESONANCE';
}

export type ExplainLevel = 'free' | 'premium' | 'premium_plus';
export function explanationFor(lens: Lens, level: ExplainLevel): Record<string, string> {
  const short = LENS_REASON[lens];
  if (level === 'free') return { short };
  const full = `${short} Treat it as a strong starting signal, not a verdict.`;
  if (level === 'premium') return { short, full };
  return { short, full, strategy: 'Lead with curiosity and talk about what you both value before committing deeply.' };
}

/** Round-robin over lenses with a per-lens cap (40% of the limit), then the best leftovers. */
export function diversify<T extends { lens: Lens; rank: number; id: number }>(items: T[], limit = 20): T[] {
  const cap = Math.max(1, Math.floor(limit * 0.4));
  const byRank = (x: T, y: T) => y.rank - x.rank || y.id - x.id;
  const buckets = new Map<Lens, T[]>();
  for (const it of items) (buckets.get(it.lens) ?? buckets.set(it.lens, []).get(it.lens)!).push(it);
  for (const b of buckets.values()) b.sort(byRank);
  const out: T[] = [];
  const taken = new Set<T>();
  const counts = new Map<Lens, number>();
  let added = true;
  while (out.length < limit && added) {
    added = false;
    for (const lens of LENSES) {
      if (out.length >= limit) break;
      const b = buckets.get(lens);
      if (!b?.length || (counts.get(lens) ?? 0) >= cap) continue;
      const it = b.shift()!;
      out.push(it);
      taken.add(it);
      counts.set(lens, (counts.get(lens) ?? 0) + 1);
      added = true;
    }
  }
  if (out.length < limit) out.push(...items.filter((i) => !taken.has(i)).sort(byRank).slice(0, limit - out.length));
  return out;
}
