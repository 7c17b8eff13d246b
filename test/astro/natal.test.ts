import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, sharedTestApp, type TestApp, type TestUser } from '../support/app.js';

const FULL = { date_of_birth: '1990-01-01', time_of_birth: '12:00:00', timezone: 'UTC', city: 'San Francisco', country: 'USA', latitude: 37.7749, longitude: -122.4194 };
const PLANETS = ['sun', 'moon', 'mercury', 'venus', 'mars', 'jupiter', 'saturn', 'uranus', 'neptune', 'pluto'];

describe('astro natal charts', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    t = await sharedTestApp();
    alice = await t.user();
    bob = await t.user();
  });
  afterAll(() => t.close());

  const post = (u: TestUser, body: unknown, url = '/api/v1/astro/natal/') => u.req({ method: 'POST', url, body });

  it('401 without a token', async () => {
    expect((await t.request({ method: 'POST', url: '/api/v1/astro/natal/', body: FULL })).statusCode).toBe(401);
    expect((await t.request({ url: '/api/v1/astro/natal/me/' })).statusCode).toBe(401);
  });

  it('404 before any chart', async () => {
    const res = await alice.req({ url: '/api/v1/astro/natal/me/' });
    expect(res.statusCode).toBe(404);
    expect(res.json().detail).toMatch(/natal chart/i);
  });

  it('explicit fields → 201 chart with the contract shape; again → 200', async () => {
    const res = await post(alice, FULL);
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(Object.keys(c.planets)).toEqual(PLANETS);
    expect(Object.keys(c.houses)).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
    expect(c.planets.sun).toMatchObject({ sign: 'Capricorn' });
    expect(c.planets.sun.lon).toBeCloseTo(280.9, 0);
    expect(typeof c.planets.moon.speed).toBe('number');
    expect(Array.isArray(c.aspects)).toBe(true);
    for (const a of c.aspects) expect(Object.keys(a)).toEqual(['p1', 'p2', 'aspect', 'orb']);
    expect(c.calculated_at).toMatch(/Z$/);
    // Equal houses 30° apart from the Ascendant.
    expect(((c.houses['2'].cusp_lon - c.houses['1'].cusp_lon + 360) % 360)).toBeCloseTo(30, 9);
    const again = await post(alice, { ...FULL, city: 'San Francisco ' });
    expect(again.statusCode).toBe(200);
    const me = await alice.req({ url: '/api/v1/astro/natal/me' });
    expect(me.statusCode).toBe(200);
    expect(me.json().planets).toEqual(c.planets);
  });

  it('house systems by ?house_system=; unknown → 400', async () => {
    const eq = (await alice.req({ url: '/api/v1/astro/natal/me/' })).json();
    const pl = (await alice.req({ url: '/api/v1/astro/natal/me/?house_system=placidus' })).json();
    const ws = (await alice.req({ url: '/api/v1/astro/natal/me/?house_system=whole_sign' })).json();
    expect(pl.houses['1'].cusp_lon).toBeCloseTo(eq.houses['1'].cusp_lon, 9);
    expect(pl.houses['2'].cusp_lon).not.toBeCloseTo(eq.houses['2'].cusp_lon, 3);
    expect(ws.houses['1'].cusp_lon % 30).toBe(0);
    const bad = await alice.req({ url: '/api/v1/astro/natal/me/?house_system=koch' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toHaveProperty('house_system');
  });

  it("the app's form (birth_date, birth_time, city, country) is used, resolved offline", async () => {
    const res = await post(bob, { source: 'form', birth_date: '1985-07-15', birth_time: '08:30', city: 'Tbilisi', country: 'Georgia', first_name: 'B', last_name: 'C' });
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c.planets.sun.sign).toBe('Cancer');
    // Another user's chart is untouched and different.
    const a = (await alice.req({ url: '/api/v1/astro/natal/me/' })).json();
    expect(a.planets.sun.sign).toBe('Capricorn');
  });

  it('coordinates without a time zone take the zone from the coordinates', async () => {
    const u = await t.user();
    const utc = (await post(u, { ...FULL, timezone: 'America/Los_Angeles' })).json();
    const byCoords = (await post(u, { ...FULL, timezone: '' })).json();
    expect(byCoords.planets.sun.lon).toBeCloseTo(utc.planets.sun.lon, 9);
  });

  it('identical birth data of two users gives two charts; changing recomputes; reverting is not stale', async () => {
    const u1 = await t.user();
    const u2 = await t.user();
    const c1 = (await post(u1, FULL)).json();
    const c2 = (await post(u2, FULL)).json();
    expect(c2.planets).toEqual(c1.planets);
    const changed = (await post(u1, { ...FULL, date_of_birth: '1990-07-01' })).json();
    expect(changed.planets.sun.sign).toBe('Cancer');
    expect((await u2.req({ url: '/api/v1/astro/natal/me/' })).json().planets.sun.sign).toBe('Capricorn');
    const reverted = await post(u1, FULL);
    expect(reverted.statusCode).toBe(200);
    expect(reverted.json().planets).toEqual(c1.planets);
    expect((await u1.req({ url: '/api/v1/astro/natal/me/' })).json().planets).toEqual(c1.planets);
  });

  it('profile source: stored personal data → chart; nothing stored → 400 detail', async () => {
    const u = await t.user();
    const none = await post(u, { source: 'profile' });
    expect(none.statusCode).toBe(400);
    expect(none.json()).toHaveProperty('detail');
    const pm = await u.req({ method: 'PUT', url: '/api/v1/me/profile/', body: { first_name: 'A', last_name: 'B', birth_date: '1992-09-08', birth_time: '06:45', birth_place_country: 'Germany', birth_place_city: 'Berlin' } });
    expect(pm.statusCode).toBe(200);
    const res = await post(u, { source: 'profile' });
    expect(res.statusCode).toBe(201);
    expect(res.json().planets.sun.sign).toBe('Virgo');
  });

  describe('bad input: 400 naming the field, nothing stored', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['missing date', { time_of_birth: '10:00', latitude: 1, longitude: 1 }, 'date_of_birth'],
      ['30 February', { ...FULL, date_of_birth: '1990-02-30' }, 'date_of_birth'],
      ['form 30 February', { source: 'form', birth_date: '1990-02-30', birth_time: '10:00', city: 'Tbilisi', country: 'Georgia' }, 'birth_date'],
      ['time 25:61', { ...FULL, time_of_birth: '25:61' }, 'time_of_birth'],
      ['latitude 91', { ...FULL, latitude: 91 }, 'latitude'],
      ['latitude 123', { ...FULL, latitude: 123 }, 'latitude'],
      ['latitude "north"', { ...FULL, latitude: 'north' }, 'latitude'],
      ['latitude as a string number', { ...FULL, latitude: '37.7' }, 'latitude'],
      ['longitude 500', { ...FULL, longitude: 500 }, 'longitude'],
      ['longitude as an object', { ...FULL, longitude: { v: 1 } }, 'longitude'],
      ['unknown time zone', { ...FULL, timezone: 'Mars/Olympus' }, 'timezone'],
      ['unknown city', { source: 'form', birth_date: '1990-01-01', birth_time: '10:00', city: 'Qwertyville', country: 'Germany' }, 'city'],
      ['unknown country', { source: 'form', birth_date: '1990-01-01', birth_time: '10:00', city: 'Paris', country: 'Atlantis' }, 'country'],
      ['date as a number', { ...FULL, date_of_birth: 19900101 }, 'date_of_birth'],
      ['no place at all', { date_of_birth: '1990-01-01', time_of_birth: '10:00' }, 'city'],
    ];
    for (const [name, body, field] of cases) {
      it(name, async () => {
        const u = await t.user();
        const res = await post(u, body);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toHaveProperty(field);
        expect((await u.req({ url: '/api/v1/astro/natal/me/' })).statusCode).toBe(404);
      });
    }
    it('a failed update keeps the previous chart', async () => {
      const before = (await alice.req({ url: '/api/v1/astro/natal/me/' })).json();
      expect((await post(alice, { ...FULL, latitude: 91 })).statusCode).toBe(400);
      expect((await alice.req({ url: '/api/v1/astro/natal/me/' })).json()).toEqual(before);
    });
  });

  it('?async=true → 202 with birth_data_id and task_id; the job computes the chart', async () => {
    const u = await t.user();
    const res = await post(u, FULL, '/api/v1/astro/natal/?async=true');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ birth_data_id: expect.any(Number), task_id: expect.any(String) });
    await t.drain();
    expect((await u.req({ url: '/api/v1/astro/natal/me/' })).statusCode).toBe(200);
    // X-Sync wins over ?async.
    expect((await u.req({ method: 'POST', url: '/api/v1/astro/natal/?async=true', body: FULL, headers: { 'x-sync': 'true' } })).statusCode).toBe(200);
  });

  it('transits: today and ?date=, with aspects to the natal chart', async () => {
    const res = await alice.req({ url: '/api/v1/astro/transits/?date=2024-03-20' });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b.sun_today).toMatch(/Aries|Pisces/);
    expect(Object.keys(b.planets)).toEqual(PLANETS);
    expect(b.has_natal_chart).toBe(true);
    expect(Array.isArray(b.aspects)).toBe(true);
    expect((await alice.req({ url: '/api/v1/astro/transits/?date=2024-02-30' })).statusCode).toBe(400);
    const plain = await (await t.user()).req({ url: '/api/v1/astro/transits/' });
    expect(plain.json()).toMatchObject({ has_natal_chart: false, aspects: [] });
    const svc = await t.ctx.services.astro.transitsFor(new Date('2024-03-20T12:00:00Z'));
    expect(svc.sun_today).toBe('Aries');
    expect(svc.planets.moon.sign).toEqual(expect.any(String));
    expect(await t.ctx.services.astro.chartFor(alice.id)).toMatchObject({ planets: { sun: { sign: 'Capricorn' } } });
    expect(await t.ctx.services.astro.chartFor(999999)).toBeNull();
  });
});

describe('astro throttle', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ THROTTLE_ASTRO_RATE: '2/min' });
  });
  afterAll(() => t.close());

  it('THROTTLE_ASTRO_RATE → 429 with Retry-After', async () => {
    const u = await t.user();
    for (let i = 0; i < 2; i++) expect((await u.req({ method: 'POST', url: '/api/v1/astro/natal/', body: FULL })).statusCode).toBeLessThan(300);
    const res = await u.req({ method: 'POST', url: '/api/v1/astro/natal/', body: FULL });
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('a bad rate value is a ConfigError naming the variable', async () => {
    const { loadConfig } = await import('../../src/config.js');
    expect(() => loadConfig({ THROTTLE_ASTRO_RATE: 'lots' })).toThrow(/THROTTLE_ASTRO_RATE/);
    expect(() => loadConfig({ THROTTLE_MATCHING_RATE: '5/fortnight' })).toThrow(/THROTTLE_MATCHING_RATE/);
    expect(loadConfig({}).intelligence.astroRate).toEqual({ limit: 6, windowMs: 60_000 });
    expect(loadConfig({}).intelligence.matchingRate).toEqual({ limit: 30, windowMs: 60_000 });
  });
});
