// Ascendant, MC and house cusps from sidereal time (our own code; astronomy-engine gives GAST and
// the true obliquity). Systems: equal (from the Ascendant, the original's wire), whole-sign, Placidus
// (Porphyry inside the polar circles, where Placidus is undefined, as the Swiss Ephemeris does).
import { norm360, signOf, type SignName } from './ephemeris.js';

export const HOUSE_SYSTEMS = ['equal', 'placidus', 'whole_sign'] as const;
export type HouseSystem = (typeof HOUSE_SYSTEMS)[number];

const RAD = Math.PI / 180;
const sin = (d: number) => Math.sin(d * RAD);
const cos = (d: number) => Math.cos(d * RAD);
const tan = (d: number) => Math.tan(d * RAD);
const atan2 = (y: number, x: number) => Math.atan2(y, x) / RAD;

/** The frame a chart's houses are computed from; stored with the chart so any system can be derived. */
export interface Angles {
  asc: number;
  mc: number;
  ramc: number;
  obliquity: number;
  latitude: number;
}

/** Ecliptic longitude of the point on the ecliptic with right ascension `ra`. */
const lonFromRa = (ra: number, eps: number) => norm360(atan2(sin(ra), cos(ra) * cos(eps)));
/** Declination of the ecliptic point at longitude `lon`. */
const declOf = (lon: number, eps: number) => Math.asin(sin(eps) * sin(lon)) / RAD;

export function angles(ramcDeg: number, obliquity: number, latitude: number): Angles {
  const ramc = norm360(ramcDeg);
  const mc = lonFromRa(ramc, obliquity);
  let asc = norm360(atan2(cos(ramc), -(sin(ramc) * cos(obliquity) + tan(latitude) * sin(obliquity))));
  // Inside the polar circles the formula can give the setting point: keep the Ascendant east of the MC.
  if (norm360(asc - mc) > 180) asc = norm360(asc + 180);
  return { asc, mc, ramc, obliquity, latitude };
}

function porphyry(a: Angles): number[] {
  const cusps = new Array<number>(12);
  const q1 = norm360(a.asc - a.mc); // MC → ASC
  const q2 = 180 - q1; // ASC → IC
  cusps[9] = a.mc;
  cusps[10] = norm360(a.mc + q1 / 3);
  cusps[11] = norm360(a.mc + (2 * q1) / 3);
  cusps[0] = a.asc;
  cusps[1] = norm360(a.asc + q2 / 3);
  cusps[2] = norm360(a.asc + (2 * q2) / 3);
  for (let i = 3; i < 9; i++) cusps[i] = norm360(cusps[(i + 6) % 12] + 180);
  return cusps;
}

/** Placidus cusp by iteration on the semi-arc fraction; null when the point never rises or sets. */
function placidusCusp(a: Angles, fraction: number, above: boolean): number | null {
  let ra = above ? a.ramc + fraction * 90 : a.ramc + 180 - fraction * 90;
  let lon = lonFromRa(ra, a.obliquity);
  for (let i = 0; i < 50; i++) {
    const x = tan(a.latitude) * tan(declOf(lon, a.obliquity));
    if (Math.abs(x) >= 1) return null;
    const ad = Math.asin(x) / RAD;
    ra = above ? a.ramc + fraction * (90 + ad) : a.ramc + 180 - fraction * (90 - ad);
    const next = lonFromRa(ra, a.obliquity);
    const done = Math.abs(next - lon) < 1e-9;
    lon = next;
    if (done) break;
  }
  return lon;
}

function placidus(a: Angles): number[] {
  const c11 = placidusCusp(a, 1 / 3, true);
  const c12 = placidusCusp(a, 2 / 3, true);
  const c2 = placidusCusp(a, 2 / 3, false);
  const c3 = placidusCusp(a, 1 / 3, false);
  if (c11 === null || c12 === null || c2 === null || c3 === null) return porphyry(a);
  const cusps = [a.asc, c2, c3, norm360(a.mc + 180), 0, 0, norm360(a.asc + 180), 0, 0, a.mc, c11, c12];
  cusps[4] = norm360(c11 + 180);
  cusps[5] = norm360(c12 + 180);
  cusps[7] = norm360(c2 + 180);
  cusps[8] = norm360(c3 + 180);
  return cusps;
}

export function cusps(a: Angles, system: HouseSystem): number[] {
  if (system === 'placidus') return placidus(a);
  if (system === 'whole_sign') {
    const first = Math.floor(a.asc / 30) * 30;
    return Array.from({ length: 12 }, (_, i) => norm360(first + i * 30));
  }
  return Array.from({ length: 12 }, (_, i) => norm360(a.asc + i * 30));
}

export type Houses = Record<string, { cusp_lon: number; sign: SignName }>;

export function houses(a: Angles, system: HouseSystem): Houses {
  const out: Houses = {};
  cusps(a, system).forEach((lon, i) => (out[String(i + 1)] = { cusp_lon: lon, sign: signOf(lon) }));
  return out;
}
