// A natal chart from birth data: civil time → UT, positions, angles, aspects (contract §5.4), and the
// birth-data hash that keys the position cache (§5.5).
import { createHash } from 'node:crypto';
import { localToUtc } from './civil-time.js';
import { PLANETS, positions, siderealFrame, signOf, type PlanetName, type PlanetPosition } from './ephemeris.js';
import { angles as anglesFrom, type Angles } from './houses.js';
import { natalAspects, type Aspect } from './aspects.js';

export interface BirthInput {
  date: string; // YYYY-MM-DD
  time: string; // HH:MM:SS[.ffffff]
  timezone: string;
  city: string;
  country: string;
  latitude: number;
  longitude: number;
}

export interface ChartPayload {
  planets: Record<PlanetName, PlanetPosition>;
  aspects: Aspect[];
  angles: Angles;
  signs: Record<'sun' | 'moon' | 'asc' | 'venus' | 'mars', string>;
}

/** Python's repr of a float (the original hashed Python JSON). */
function pyFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  const a = Math.abs(x);
  if (a !== 0 && a < 1e-4) {
    const [m, e] = x.toExponential().split('e');
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(x);
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** HH:MM:SS with microseconds only when non-zero, like Python's time.isoformat(). */
export function normalizeTime(t: string): string {
  const [hms, frac = ''] = t.split('.');
  const [h, m, s = '00'] = hms.split(':');
  const micro = (frac + '000000').slice(0, 6);
  return `${h}:${m}:${s}${/^0+$/.test(micro) ? '' : '.' + micro}`;
}

export function birthHash(b: BirthInput): string {
  // Canonical JSON: keys sorted, compact separators, ASCII-escaped.
  const esc = (s: string) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  const json =
    `{"city":${esc(b.city.trim().toLowerCase())},"country":${esc(b.country.trim().toLowerCase())},"date":${esc(b.date)},` +
    `"latitude":${pyFloat(round6(b.latitude))},"longitude":${pyFloat(round6(b.longitude))},"time":${esc(normalizeTime(b.time))},"timezone":${esc(b.timezone)}}`;
  return createHash('sha256').update(json).digest('hex');
}

export function computeChart(b: BirthInput): ChartPayload {
  const utc = localToUtc(b.date, normalizeTime(b.time), b.timezone);
  const planets = positions(utc);
  const { gastDeg, obliquityDeg } = siderealFrame(utc);
  const a = anglesFrom(gastDeg + b.longitude, obliquityDeg, b.latitude);
  return {
    planets,
    aspects: natalAspects(planets),
    angles: a,
    signs: { sun: planets.sun.sign, moon: planets.moon.sign, asc: signOf(a.asc), venus: planets.venus.sign, mars: planets.mars.sign },
  };
}

export const planetOrder = PLANETS;
