// Independent published reference values (J. Meeus, "Astronomical Algorithms", 2nd ed.; USNO equinox,
// solstice and new-moon times). astronomy-engine is the computation; these numbers are not from it.
import { createRequire } from 'node:module';
import type * as Astronomy from 'astronomy-engine';
import { angleDiff, longitude, type PlanetName } from '../../src/modules/astro/ephemeris.js';

// The engine's CommonJS build, as ephemeris.ts loads it: its times are that build's AstroTime objects.
const A = createRequire(import.meta.url)('astronomy-engine') as typeof Astronomy;

/** A time given in TD (dynamical time), as Meeus tabulates. */
const td = (jde: number) => A.AstroTime.FromTerrestrialTime(jde - 2451545.0);
const utc = (iso: string) => A.MakeTime(new Date(iso));

/** [label, body, time, apparent ecliptic longitude of date (degrees), tolerance]. */
export const REFERENCE: [string, PlanetName, Astronomy.AstroTime, number, number][] = [
  ['Meeus 25.b Sun 1992-10-13 0h TD', 'sun', td(2448908.5), 199 + 54 / 60 + 21.818 / 3600, 0.01],
  ['Meeus 47.a Moon 1992-04-12 0h TD', 'moon', td(2448724.5), 133.167265, 0.05],
  ['Meeus 33.a Venus 1992-12-20 0h TD', 'venus', td(2448976.5), 313.08102, 0.01],
  ['USNO equinox 2000-03-20 07:35 UT', 'sun', utc('2000-03-20T07:35:00Z'), 0, 0.01],
  ['USNO equinox 2020-03-20 03:50 UT', 'sun', utc('2020-03-20T03:50:00Z'), 0, 0.01],
  ['USNO equinox 2024-03-20 03:06 UT', 'sun', utc('2024-03-20T03:06:00Z'), 0, 0.01],
  ['USNO solstice 2000-06-21 01:48 UT', 'sun', utc('2000-06-21T01:48:00Z'), 90, 0.01],
  ['USNO solstice 2000-12-21 13:37 UT', 'sun', utc('2000-12-21T13:37:00Z'), 270, 0.01],
];

/** USNO new moons: Moon − Sun = 0 at the published minute (the Moon gains 0.0085°/min). */
export const NEW_MOONS = ['1999-08-11T11:08:00Z', '2000-01-06T18:14:00Z', '2017-08-21T18:30:00Z'];

/** Every reference check with its measured error in degrees. */
export function measureErrors(): { label: string; error: number; tolerance: number }[] {
  const out = REFERENCE.map(([label, body, t, expected, tolerance]) => ({ label, error: Math.abs(angleDiff(expected, longitude(body, t))), tolerance }));
  for (const iso of NEW_MOONS) {
    const t = utc(iso);
    out.push({ label: `USNO new moon ${iso}`, error: Math.abs(angleDiff(longitude('sun', t), longitude('moon', t))), tolerance: 0.05 });
  }
  return out;
}
