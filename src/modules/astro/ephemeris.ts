// Planet positions from astronomy-engine (MIT): apparent geocentric longitudes on the true ecliptic
// of date (light time, aberration, nutation), as the Swiss Ephemeris reports by default.
// Speeds are central differences over ±1 hour (deg/day; negative = retrograde).
import { createRequire } from 'node:module';
import type * as Astronomy from 'astronomy-engine';

// The engine loads (synchronously, its CommonJS build) with the first chart, not at every start.
// Times handed to longitude()/position() must come from that build (AstroTime is checked by class).
const require = createRequire(import.meta.url);
let engine: typeof Astronomy | undefined;
const A = () => (engine ??= require('astronomy-engine') as typeof Astronomy);

export const PLANETS = ['sun', 'moon', 'mercury', 'venus', 'mars', 'jupiter', 'saturn', 'uranus', 'neptune', 'pluto'] as const;
export type PlanetName = (typeof PLANETS)[number];

export const SIGNS = ['Aries', 'Taurus', 'Gemini', 'Cancer', 'Leo', 'Virgo', 'Libra', 'Scorpio', 'Sagittarius', 'Capricorn', 'Aquarius', 'Pisces'] as const;
export type SignName = (typeof SIGNS)[number];

let bodies: Record<PlanetName, Astronomy.Body> | undefined;
const BODY = () =>
  (bodies ??= {
    sun: A().Body.Sun,
    moon: A().Body.Moon,
    mercury: A().Body.Mercury,
    venus: A().Body.Venus,
    mars: A().Body.Mars,
    jupiter: A().Body.Jupiter,
    saturn: A().Body.Saturn,
    uranus: A().Body.Uranus,
    neptune: A().Body.Neptune,
    pluto: A().Body.Pluto,
  });

export const norm360 = (deg: number) => {
  const d = deg % 360;
  return d < 0 ? d + 360 : d;
};

export const signOf = (lon: number): SignName => SIGNS[Math.floor(norm360(lon) / 30) % 12];

/** Apparent geocentric ecliptic longitude of date, degrees [0, 360). */
export function longitude(body: PlanetName, t: Astronomy.AstroTime): number {
  if (body === 'moon') return norm360(A().EclipticGeoMoon(t).lon);
  return norm360(A().Ecliptic(A().GeoVector(BODY()[body], t, true)).elon);
}

const H = 1 / 24; // days

/** Signed smallest difference b − a in degrees, in (−180, 180]. */
export const angleDiff = (a: number, b: number) => {
  const d = norm360(b - a);
  return d > 180 ? d - 360 : d;
};

export interface PlanetPosition {
  lon: number;
  speed: number;
  sign: SignName;
}

export function position(body: PlanetName, t: Astronomy.AstroTime): PlanetPosition {
  const lon = longitude(body, t);
  const before = longitude(body, t.AddDays(-H));
  const after = longitude(body, t.AddDays(H));
  return { lon, speed: angleDiff(before, after) / (2 * H), sign: signOf(lon) };
}

/** Sun…Pluto in the contract's key order. */
export function positions(date: Date): Record<PlanetName, PlanetPosition> {
  const t = A().MakeTime(date);
  const out = {} as Record<PlanetName, PlanetPosition>;
  for (const p of PLANETS) out[p] = position(p, t);
  return out;
}

/** Greenwich apparent sidereal time in degrees, and the true obliquity of the ecliptic. */
export function siderealFrame(date: Date): { gastDeg: number; obliquityDeg: number } {
  const t = A().MakeTime(date);
  return { gastDeg: A().SiderealTime(t) * 15, obliquityDeg: A().e_tilt(t).tobl };
}

/** Julian Day (UT) of an instant. */
export const julianDay = (date: Date) => date.getTime() / 86_400_000 + 2440587.5;
