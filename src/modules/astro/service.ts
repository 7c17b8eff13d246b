// The astro module's rules: birth data (three request shapes), charts per user, the position cache
// by birth hash + rules version, transits. Other modules read charts only through this service.
import { randomUUID } from 'node:crypto';
import { and, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { fieldError } from '../../platform/http/errors.js';
import { AstroErrors } from './errors.js';
import { isRealDate } from '../../platform/http/schemas.js';
import { isValidZone } from './civil-time.js';
import { birthHash, computeChart, normalizeTime, type BirthInput, type ChartPayload } from './chart.js';
import { PLANETS, positions, type PlanetName, type PlanetPosition } from './ephemeris.js';
import { houses as housesFor, type Angles, type HouseSystem } from './houses.js';
import { transitAspects } from './aspects.js';
import { resolvePlace, zoneFor } from './location.js';
import { astrologyResults, birthData, natalCharts, type BirthDataRow, type NatalChartRow } from './schema.js';

export const ASTRO_EVENTS = { chartComputed: 'astro.chart_computed' } as const;
export const ASTRO_JOBS = { compute: 'astro.compute' } as const;
export interface ChartComputedEvent {
  userId: number;
}

/** What POST astro/natal/ accepts, already type-checked by the route schema. */
export interface NatalBody {
  source?: string;
  date_of_birth?: string;
  time_of_birth?: string;
  birth_date?: string;
  birth_time?: string;
  timezone?: string;
  city?: string;
  country?: string;
  latitude?: number | null;
  longitude?: number | null;
  first_name?: string;
  last_name?: string;
}

const BIRTH_KEYS = ['date_of_birth', 'time_of_birth', 'birth_date', 'birth_time', 'timezone', 'city', 'country', 'latitude', 'longitude'] as const;
export const MIN_DATE = '1800-01-01';
export const MAX_DATE = '2200-12-31';

export interface NatalChartWire {
  planets: Record<string, { lon: number; speed: number; sign: string }>;
  houses: Record<string, { cusp_lon: number; sign: string }>;
  aspects: { p1: string; p2: string; aspect: string; orb: number }[];
  calculated_at: string;
}

const blank = (s: string | null | undefined) => (s ?? '').trim() === '';

export function checkDate(field: string, v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || !isRealDate(v)) throw fieldError(field, 'Date has wrong format or does not exist. Use YYYY-MM-DD.');
  if (v < MIN_DATE || v > MAX_DATE) throw fieldError(field, `Date must be between ${MIN_DATE} and ${MAX_DATE}.`);
  return v;
}

function checkTime(field: string, v: string): string {
  if (!/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$/.test(v)) throw fieldError(field, 'Time has wrong format. Use HH:MM[:SS].');
  return normalizeTime(v);
}

export function createAstroService(ctx: Ctx) {
  const db = () => ctx.db;
  const rules = () => ctx.config.intelligence.astroRulesVersion;

  /** Turns any of the three request shapes into complete birth data, or a 400 naming the field. */
  async function resolveBirth(userId: number, body: NatalBody): Promise<BirthInput> {
    const users = ctx.services.users;
    const explicit = BIRTH_KEYS.some((k) => body[k] !== undefined);
    const [user, profiles, map] = await Promise.all([users.getById(userId), users.profilesOf([userId]), users.personalMapOf(userId)]);
    const profile = profiles.get(userId) ?? null;
    const stored = {
      date: profile?.birthDate ?? map?.birthDate ?? user?.birthDate ?? null,
      time: profile?.birthTime ?? map?.birthTime ?? user?.birthTime ?? null,
      city: (profile?.birthCity || map?.birthPlaceCity || '').trim(),
      country: (profile?.birthCountry || map?.birthPlaceCountry || '').trim(),
      timezone: profile?.birthTimezone ?? '',
      latitude: profile?.birthLatitude ?? map?.birthLatitude ?? null,
      longitude: profile?.birthLongitude ?? map?.birthLongitude ?? null,
    };

    if (body.source === 'profile' && !explicit) {
      if (!stored.date || !stored.time || !stored.city || !stored.country) {
        throw AstroErrors.missingBirthData();
      }
      return finish({ date: stored.date, time: stored.time, city: stored.city, country: stored.country, timezone: stored.timezone, latitude: stored.latitude, longitude: stored.longitude }, false);
    }

    // Errors name the spelling the client used: the contract's keys, or the app form's.
    const formKeys = body.date_of_birth === undefined && body.time_of_birth === undefined && (body.birth_date !== undefined || body.birth_time !== undefined || body.source === 'form');
    const dateField = formKeys ? 'birth_date' : 'date_of_birth';
    const timeField = formKeys ? 'birth_time' : 'time_of_birth';
    const date = body.date_of_birth ?? body.birth_date;
    const time = body.time_of_birth ?? body.birth_time;
    if (date !== undefined) checkDate(dateField, date);
    if (time !== undefined) checkTime(timeField, time);
    if (body.timezone !== undefined && !blank(body.timezone) && !isValidZone(body.timezone.trim())) throw fieldError('timezone', `"${body.timezone}" is not a valid IANA time zone.`);
    const finalDate = date ?? stored.date;
    const finalTime = time ?? stored.time;
    if (!finalDate) throw fieldError(dateField, 'This field is required (no birth date is stored in your profile).');
    if (!finalTime) throw fieldError(timeField, 'This field is required (no birth time is stored in your profile).');

    const reqHasCoords = body.latitude != null && body.longitude != null;
    if ((body.latitude != null) !== (body.longitude != null)) throw fieldError(body.latitude == null ? 'latitude' : 'longitude', 'Latitude and longitude must be given together.');
    const reqHasPlace = !blank(body.city) || !blank(body.country);
    const city = (body.city ?? '').trim() || (reqHasPlace ? '' : stored.city);
    const country = (body.country ?? '').trim() || (reqHasPlace ? '' : stored.country);
    // Coordinates: the request's; else the request's place (resolved); else the stored ones.
    const latitude = reqHasCoords ? body.latitude! : reqHasPlace ? null : stored.latitude;
    const longitude = reqHasCoords ? body.longitude! : reqHasPlace ? null : stored.longitude;
    const timezone = !blank(body.timezone) ? body.timezone!.trim() : reqHasCoords || reqHasPlace ? '' : stored.timezone;
    return finish({ date: finalDate, time: finalTime, city, country, timezone, latitude, longitude }, true);
  }

  function finish(b: { date: string; time: string; city: string; country: string; timezone: string; latitude: number | null; longitude: number | null }, explicit: boolean): BirthInput {
    let { latitude, longitude } = b;
    if (latitude == null || longitude == null) {
      if (blank(b.city) || blank(b.country)) {
        if (!explicit) throw AstroErrors.locationUnresolved();
        throw fieldError(blank(b.city) ? 'city' : 'country', 'Give a city and country, or latitude and longitude.');
      }
      const place = resolvePlace(b.city, b.country);
      if (!place.ok) {
        if (!explicit) throw AstroErrors.locationUnresolved();
        throw fieldError(place.field, place.field === 'country' ? `Unknown country "${b.country}".` : `Unknown place "${b.city}" in ${b.country}.`);
      }
      latitude = place.latitude;
      longitude = place.longitude;
    }
    let timezone = b.timezone;
    if (blank(timezone) || !isValidZone(timezone)) {
      const found = zoneFor(latitude, longitude);
      if (!found) throw fieldError('timezone', 'No time zone is known for these coordinates; give one explicitly.');
      timezone = found;
    }
    return { date: b.date, time: normalizeTime(b.time), timezone, city: b.city, country: b.country, latitude, longitude };
  }

  /** Positions for a birth hash: from the shared cache, else computed and cached. */
  async function payloadFor(input: BirthInput, hash: string): Promise<ChartPayload> {
    const cacheKey = `astro:result:${hash}:${rules()}`;
    const hit = await ctx.kv.get(cacheKey);
    if (hit) return JSON.parse(hit) as ChartPayload;
    const [row] = await db()
      .select({ payload: astrologyResults.payload })
      .from(astrologyResults)
      .where(and(eq(astrologyResults.birthDataHash, hash), eq(astrologyResults.rulesVersion, rules())));
    let payload = row?.payload as unknown as ChartPayload | undefined;
    if (!payload) {
      payload = computeChart(input);
      await db()
        .insert(astrologyResults)
        .values({ birthDataHash: hash, rulesVersion: rules(), payload: payload as unknown as Record<string, unknown> })
        .onConflictDoNothing();
    }
    await ctx.kv.set(cacheKey, JSON.stringify(payload), ctx.config.intelligence.astroCacheTtlSec * 1000);
    return payload;
  }

  const inputOf = (r: BirthDataRow): BirthInput => ({
    date: r.dateOfBirth,
    time: normalizeTime(r.timeOfBirth),
    timezone: r.timezone,
    city: r.city,
    country: r.country,
    latitude: r.latitude,
    longitude: r.longitude,
  });

  async function saveBirth(userId: number, b: BirthInput): Promise<{ row: BirthDataRow; created: boolean }> {
    const values = { dateOfBirth: b.date, timeOfBirth: b.time, timezone: b.timezone, city: b.city.slice(0, 128), country: b.country.slice(0, 128), latitude: b.latitude, longitude: b.longitude };
    const [row] = await db()
      .insert(birthData)
      .values({ userId, ...values })
      .onConflictDoUpdate({ target: birthData.userId, set: { ...values, updatedAt: new Date() } })
      .returning({ ...getTableColumns(birthData), inserted: sql<boolean>`(xmax = 0)` });
    const { inserted, ...rest } = row;
    return { row: rest as BirthDataRow, created: Boolean(inserted) };
  }

  /** Writes the user's own chart row from the (possibly shared) computed positions. */
  async function computeFor(bd: BirthDataRow): Promise<NatalChartRow> {
    const input = inputOf(bd);
    const hash = birthHash(input);
    const p = await payloadFor(input, hash);
    const values = {
      birthDataId: bd.id,
      birthHash: hash,
      rulesVersion: rules(),
      planets: p.planets as unknown as Record<string, unknown>,
      aspects: p.aspects as unknown[],
      angles: p.angles as unknown as Record<string, number>,
      signs: p.signs as Record<string, string>,
    };
    const now = new Date();
    const [row] = await db()
      .insert(natalCharts)
      .values({ userId: bd.userId, ...values, calculatedAt: now })
      .onConflictDoUpdate({
        target: natalCharts.userId,
        // calculated_at moves only when the chart really changed.
        set: { ...values, updatedAt: now, calculatedAt: sql`case when ${natalCharts.birthHash} = ${hash} and ${natalCharts.rulesVersion} = ${rules()} then ${natalCharts.calculatedAt} else ${now.toISOString()}::timestamptz end` },
      })
      .returning();
    await ctx.events.emit<ChartComputedEvent>(ASTRO_EVENTS.chartComputed, { userId: bd.userId });
    return row;
  }

  function present(row: NatalChartRow, system: HouseSystem = 'equal'): NatalChartWire {
    const planets = row.planets as unknown as Record<PlanetName, PlanetPosition>;
    const out: NatalChartWire['planets'] = {};
    for (const p of PLANETS) if (planets[p]) out[p] = { lon: planets[p].lon, speed: planets[p].speed, sign: planets[p].sign };
    return {
      planets: out,
      houses: housesFor(row.angles as unknown as Angles, system),
      aspects: row.aspects as NatalChartWire['aspects'],
      calculated_at: row.calculatedAt.toISOString(),
    };
  }

  async function chartRow(userId: number): Promise<NatalChartRow | null> {
    const [row] = await db().select().from(natalCharts).where(eq(natalCharts.userId, userId));
    return row ?? null;
  }

  async function birthRow(userId: number): Promise<BirthDataRow | null> {
    const [row] = await db().select().from(birthData).where(eq(birthData.userId, userId));
    return row ?? null;
  }

  /** POST astro/natal/: validate everything first (nothing stored on a 400), then store and compute. */
  async function submit(userId: number, body: NatalBody, opts: { async: boolean }) {
    const input = await resolveBirth(userId, body);
    // Compute before storing: a calculation failure leaves the old data untouched.
    if (!opts.async) await payloadFor(input, birthHash(input)).catch(() => {
      throw AstroErrors.calculationFailed();
    });
    const { row, created } = await saveBirth(userId, input);
    if (opts.async) {
      const taskId = randomUUID();
      await ctx.queue.enqueue(ASTRO_JOBS.compute, { birthDataId: row.id, taskId });
      return { status: 202, body: { birth_data_id: row.id, task_id: taskId } };
    }
    const chart = await computeFor(row);
    return { status: created ? 201 : 200, chart };
  }

  async function computeJob(birthDataId: number) {
    const [row] = await db().select().from(birthData).where(eq(birthData.id, birthDataId));
    if (row) await computeFor(row);
  }

  /** Today's (or any instant's) sky; sign names as the contract spells them. */
  async function transitsFor(date: Date) {
    const planets = positions(date);
    return { sun_today: planets.sun.sign as string, moon_today: planets.moon.sign as string, planets: planets as Record<string, PlanetPosition> };
  }

  async function transitsForUser(userId: number, date: Date) {
    const t = await transitsFor(date);
    const chart = await chartRow(userId);
    const natal = chart?.planets as unknown as Record<PlanetName, PlanetPosition> | undefined;
    return {
      date: date.toISOString(),
      sun_today: t.sun_today,
      moon_today: t.moon_today,
      planets: t.planets,
      has_natal_chart: Boolean(natal),
      aspects: natal ? transitAspects(t.planets as Record<PlanetName, PlanetPosition>, natal) : [],
    };
  }

  /** Sign summaries of many users' charts in one query (matching). */
  async function signsOf(ids: number[]): Promise<Map<number, { signs: Record<string, string>; hash: string; birthDate: string }>> {
    if (!ids.length) return new Map();
    const rows = await db()
      .select({ userId: natalCharts.userId, signs: natalCharts.signs, hash: natalCharts.birthHash, birthDate: birthData.dateOfBirth })
      .from(natalCharts)
      .innerJoin(birthData, eq(birthData.id, natalCharts.birthDataId))
      .where(inArray(natalCharts.userId, [...new Set(ids)]));
    return new Map(rows.map((r) => [r.userId, { signs: r.signs, hash: r.hash, birthDate: r.birthDate }]));
  }

  return {
    resolveBirth,
    submit,
    computeFor,
    computeJob,
    present,
    chartRow,
    birthRow,
    signsOf,
    saveBirth,
    transitsFor,
    transitsForUser,
    async chartFor(userId: number): Promise<NatalChartWire | null> {
      const row = await chartRow(userId);
      return row ? present(row) : null;
    },
    /** The birth date the astro data holds (YYYY-MM-DD), for numerology when the user row has none. */
    async birthDateOf(userId: number): Promise<string | null> {
      return (await birthRow(userId))?.dateOfBirth ?? null;
    },
  };
}

export type AstroService = ReturnType<typeof createAstroService>;

const truthy = (v: unknown) => (typeof v === 'string' ? ['1', 'true', 'yes'].includes(v.trim().toLowerCase()) : false);
const falsy = (v: unknown) => (typeof v === 'string' ? ['0', 'false', 'no'].includes(v.trim().toLowerCase()) : false);

/** Contract §0.8: X-Sync → ?async= → X-Async → the endpoint's default. */
export function asyncRequested(headers: Record<string, unknown>, query: { async?: string }, endpointDefault: boolean): boolean {
  if (truthy(headers['x-sync'])) return false;
  if (truthy(query.async)) return true;
  if (falsy(query.async)) return false;
  if (truthy(headers['x-async'])) return true;
  if (falsy(headers['x-async'])) return false;
  return endpointDefault;
}
