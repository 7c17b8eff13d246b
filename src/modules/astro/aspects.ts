// Aspects between natal planets (contract §5.4 step 8) and between transiting and natal planets.
import { PLANETS, norm360, type PlanetName } from './ephemeris.js';

export type AspectName = 'conjunction' | 'square' | 'trine' | 'opposition';
export interface Aspect {
  p1: PlanetName;
  p2: PlanetName;
  aspect: AspectName;
  orb: number;
}

/** Rules per ASTRO_RULES_VERSION; every version so far uses the original's table (one 3° orb). */
export const ASPECT_RULES: { name: AspectName; angle: number }[] = [
  { name: 'conjunction', angle: 0 },
  { name: 'square', angle: 90 },
  { name: 'trine', angle: 120 },
  { name: 'opposition', angle: 180 },
];
export const ORB = 3;

/** Python-compatible round(x, 2) (half to even on the decimal value). */
export function round2(x: number): number {
  const scaled = x * 100;
  const r = Math.round(scaled);
  if (Math.abs(scaled % 1) === 0.5) return (r % 2 === 0 ? r : r - 1) / 100;
  return r / 100;
}

export function aspectBetween(a: number, b: number): { aspect: AspectName; orb: number } | null {
  const raw = norm360(Math.abs(a - b));
  const d = Math.min(raw, 360 - raw);
  for (const r of ASPECT_RULES) {
    const orb = Math.abs(d - r.angle);
    if (orb <= ORB) return { aspect: r.name, orb: round2(orb) };
  }
  return null;
}

export function natalAspects(planets: Record<PlanetName, { lon: number }>): Aspect[] {
  const out: Aspect[] = [];
  for (let i = 0; i < PLANETS.length; i++) {
    for (let j = i + 1; j < PLANETS.length; j++) {
      const hit = aspectBetween(planets[PLANETS[i]].lon, planets[PLANETS[j]].lon);
      if (hit) out.push({ p1: PLANETS[i], p2: PLANETS[j], ...hit });
    }
  }
  return out;
}

/** Every transiting planet (p1) against every natal planet (p2). */
export function transitAspects(transit: Record<PlanetName, { lon: number }>, natal: Record<PlanetName, { lon: number }>): Aspect[] {
  const out: Aspect[] = [];
  for (const t of PLANETS) {
    for (const n of PLANETS) {
      const hit = aspectBetween(transit[t].lon, natal[n].lon);
      if (hit) out.push({ p1: t, p2: n, ...hit });
    }
  }
  return out;
}
