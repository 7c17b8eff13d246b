import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
import { lifePath } from '../../src/modules/matrix/life-path.js';
import { calculate, diversify, roundHalfEven, type MatchSide } from '../../src/modules/soulmatch/score.js';
import type { ProfileFacts } from '../../src/modules/users/facts.js';

const chart = (u: TestUser, date: string, time = '12:00', city = 'Tbilisi', country = 'Georgia') =>
  u.req({ method: 'POST', url: '/api/v1/astro/natal/', body: { source: 'form', birth_date: date, birth_time: time, city, country } });

describe('life path (§6.3)', () => {
  it('worked examples, master numbers kept', () => {
    const cases: [string, number][] = [['1990-01-01', 3], ['1991-02-02', 6], ['1992-02-02', 7], ['1992-09-08', 11], ['1990-11-01', 22], ['1985-07-15', 9], ['1999-12-31', 8]];
    for (const [d, n] of cases) expect(lifePath(d)?.lifePath).toBe(n);
    expect(lifePath('1992-09-08')?.traits).toEqual({ primary_trait: 'Visionary', raw_sum: 11 });
    expect(lifePath(null)).toBeNull();
  });
});

describe('SoulMatch scoring (§7.3–§7.5)', () => {
  const profile = (p: Partial<ProfileFacts>): ProfileFacts => ({
    userId: 0, gender: '', orientation: '', relationshipGoal: 'unsure', values: [], preferredLifestyle: [], attachmentStyle: '', loveLanguage: [],
    birthDate: null, birthTime: null, birthCity: '', birthCountry: '', birthTimezone: '', birthLatitude: null, birthLongitude: null, createdAt: new Date(), updatedAt: new Date(), ...p,
  });
  it('no data → 15, neutral', () => {
    const r = calculate({ id: 1, signs: null, profile: null, lifePath: null }, { id: 2, signs: null, profile: null, lifePath: null });
    expect(r).toEqual({ user_id: 2, score: 15, components: { astro: 0, matrix: 15, psychology: 0, lifestyle: 0 }, tags: ['neutral'] });
  });
  it('the original high-astro test: 75.5 → 76 (half to even), tags', () => {
    const a: MatchSide = { id: 1, signs: { asc: 'Aries', sun: 'Aries', moon: 'Leo' }, lifePath: null, profile: profile({ values: ['growth', 'freedom'], attachmentStyle: 'secure', preferredLifestyle: ['travel'], loveLanguage: ['words'] }) };
    const b: MatchSide = { id: 2, signs: { asc: 'Leo', sun: 'Leo', moon: 'Sagittarius' }, lifePath: null, profile: profile({ values: ['growth', 'freedom', 'connection'], attachmentStyle: 'secure', preferredLifestyle: ['travel', 'remote_work'], loveLanguage: ['words', 'touch'] }) };
    const r = calculate(a, b);
    expect(r.components).toEqual({ astro: 35, matrix: 15, psychology: 18, lifestyle: 7.5 });
    expect(r.score).toBe(76);
    expect(r.tags).toEqual(['soulmate_like', 'aligned_lifestyle', 'values_aligned']);
    // Numerology lifts it high enough for KARMIC_TIE (unreachable in the original).
    expect(calculate({ ...a, lifePath: 7 }, { ...b, lifePath: 7 }).score).toBe(90); // 90.5, half to even
  });
  it('round half to even', () => {
    expect(roundHalfEven(62.5)).toBe(62);
    expect(roundHalfEven(75.5)).toBe(76);
    expect(roundHalfEven(12.4)).toBe(12);
  });
  it('diversify: 10 SOUL_RESONANCE + 1 GROWTH_CATALYST, limit 10 → ≤ 4 + ≥ 1', () => {
    const items = [...Array.from({ length: 10 }, (_, i) => ({ id: i + 1, rank: 90 - i, lens: 'SOUL_RESONANCE' as const })), { id: 99, rank: 10, lens: 'GROWTH_CATALYST' as const }];
    const out = diversify(items, 10);
    expect(out.length).toBe(10);
    expect(out.filter((x) => x.lens === 'GROWTH_CATALYST').length).toBe(1);
    expect(out.slice(0, 5).filter((x) => x.lens === 'SOUL_RESONANCE').length).toBeLessThanOrEqual(4);
  });
});

describe('matrix and SoulMatch over HTTP', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  beforeAll(async () => {
    t = await sharedTestApp();
    [alice, bob, carol] = [await t.user({ name: 'Alice' }), await t.user({ name: 'Bob' }), await t.user({ name: 'Carol' })];
    expect((await chart(alice, '1992-09-08')).statusCode).toBe(201);
    expect((await chart(bob, '1990-07-20', '06:00', 'Berlin', 'Germany')).statusCode).toBe(201);
  });
  afterAll(() => t.close());

  it('matrix/profile: life path from the birth date; empty without one', async () => {
    const res = await alice.req({ url: '/api/v1/matrix/profile/' });
    expect(res.statusCode).toBe(200);
    expect(res.json().matrix).toMatchObject({ life_path: '11', traits: { primary_trait: 'Visionary', raw_sum: 11 } });
    expect(res.json().astro).toMatchObject({ id: expect.any(Number), sun: '', moon: '', ascendant: '' });
    const empty = (await carol.req({ url: '/api/v1/matrix/profile/' })).json();
    expect(empty.matrix).toMatchObject({ life_path: '', traits: {} });
    expect(await t.ctx.services.matrix.lifePathFor(alice.id)).toBe(11);
    expect(await t.ctx.services.matrix.lifePathFor(carol.id)).toBeNull();
    expect((await t.request({ url: '/api/v1/matrix/profile/' })).statusCode).toBe(401);
  });

  it('matrix/sync stores the astro fields; blank or null → 400 naming the field', async () => {
    const res = await alice.req({ method: 'POST', url: '/api/v1/matrix/sync/', body: { sun: 'Virgo', moon: 'Leo', planets: { sun: 1 } } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ life_path: '11', raw_payload: { source: 'sync', astro: { sun: 'Virgo', moon: 'Leo' } } });
    expect((await alice.req({ url: '/api/v1/matrix/profile/' })).json().astro).toMatchObject({ sun: 'Virgo', moon: 'Leo' });
    for (const body of [{ sun: '' }, { sun: null }, { moon: 5 }, { ascendant: 'x'.repeat(33) }]) {
      const bad = await alice.req({ method: 'POST', url: '/api/v1/matrix/sync/', body });
      expect(bad.statusCode).toBe(400);
      expect(Object.keys(bad.json())[0]).toMatch(/sun|moon|ascendant/);
    }
  });

  it('soulmatch/with: contract shape; self 400, unknown 404, blocked 404 (both ways), muted 404', async () => {
    const res = await alice.req({ url: `/api/v1/soulmatch/with/${bob.id}/?include_meta=1` });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b.user).toEqual({ id: bob.id, handle: bob.handle, name: 'Bob', photo: expect.any(String) });
    expect(b.user_id).toBe(bob.id);
    expect(Number.isInteger(b.score)).toBe(true);
    expect(b.score).toBeGreaterThanOrEqual(0);
    expect(b.score).toBeLessThanOrEqual(100);
    expect(Object.keys(b.components).sort()).toEqual(['astro', 'lifestyle', 'matrix', 'psychology']);
    expect(Array.isArray(b.tags)).toBe(true);
    expect(b.meta).toEqual({ mode: 'compat', eligibility: { eligible: true, missing_requirements: [] } });
    expect((await t.ctx.services.soulmatch.compare(alice.id, bob.id)).score).toBe(b.score);

    const self = await alice.req({ url: `/api/v1/soulmatch/with/${alice.id}/` });
    expect(self.statusCode).toBe(400);
    expect(self.json().detail).toBe('Cannot compute SoulMatch with yourself.');
    expect((await alice.req({ url: '/api/v1/soulmatch/with/987654321/' })).statusCode).toBe(404);
    expect((await alice.req({ url: '/api/v1/soulmatch/with/abc/' })).statusCode).toBe(400);
    await expect(t.ctx.services.soulmatch.compare(alice.id, alice.id)).rejects.toMatchObject({ status: 400 });

    const dave = await t.user();
    expect((await dave.req({ method: 'POST', url: `/api/v1/users/${alice.id}/block/` })).statusCode).toBeLessThan(300);
    expect((await alice.req({ url: `/api/v1/soulmatch/with/${dave.id}/` })).statusCode).toBe(404);
    expect((await dave.req({ url: `/api/v1/soulmatch/with/${alice.id}/` })).statusCode).toBe(404);
    await expect(t.ctx.services.soulmatch.compare(alice.id, dave.id)).rejects.toMatchObject({ status: 404 });
  });

  it('dating mode with an empty profile lists gender and orientation', async () => {
    const b = (await carol.req({ url: `/api/v1/soulmatch/with/${alice.id}/?mode=dating&include_meta=true` })).json();
    expect(b.meta.mode).toBe('dating');
    expect(b.meta.eligibility.eligible).toBe(false);
    expect(b.meta.eligibility.missing_requirements).toEqual(['birth_date', 'birth_time', 'birth_place', 'gender', 'orientation']);
  });

  it('async placeholder (202), then the stored result once the job ran', async () => {
    const first = await alice.req({ url: `/api/v1/soulmatch/with/${bob.id}/?async=true` });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ task_id: expect.any(String), pair_key: `${Math.min(alice.id, bob.id)}:${Math.max(alice.id, bob.id)}`, rules_version: 'v1', user: { id: bob.id } });
    await t.drain();
    const again = await alice.req({ url: `/api/v1/soulmatch/with/${bob.id}/?async=true` });
    expect(again.statusCode).toBe(200);
    expect(again.json().user_id).toBe(bob.id);
  });

  it('recommendations: bare array, include_meta wrapper, caller never listed, premium downgraded without entitlement', async () => {
    const arr = await alice.req({ url: '/api/v1/soulmatch/recommendations/' });
    expect(arr.statusCode).toBe(200);
    expect(Array.isArray(arr.json())).toBe(true);
    expect(arr.json().map((r: { user: { id: number } }) => r.user.id)).not.toContain(alice.id);
    const wrapped = (await alice.req({ url: '/api/v1/soulmatch/recommendations/?include_meta=1&explain=premium_plus&mode=compat' })).json();
    expect(wrapped.meta).toMatchObject({ reason: null, mode: 'compat', candidate_count: wrapped.results.length, missing_requirements: [] });
    expect(wrapped.results.length).toBeGreaterThanOrEqual(1);
    const first = wrapped.results[0];
    expect(first).toMatchObject({ lens: expect.any(String), lens_label: expect.any(String), lens_reason_short: expect.any(String), explanation_level: 'free' });
    expect(Object.keys(first.explanation)).toEqual(['short']);
    expect(first).not.toHaveProperty('user_id');
    const ids = wrapped.results.map((r: { user: { id: number } }) => r.user.id);
    expect(new Set(ids).size).toBe(ids.length);
    const carolMeta = (await carol.req({ url: '/api/v1/soulmatch/recommendations/?include_meta=1' })).json().meta;
    expect(carolMeta.reason).toBe('missing_birth_data');
    expect(carolMeta.missing_requirements).toEqual(['birth_date', 'birth_time', 'birth_place']);
    const dating = (await alice.req({ url: '/api/v1/soulmatch/recommendations/?include_meta=1&mode=dating' })).json().meta;
    expect(dating.reason).toBe('missing_profile_fields');
    expect(dating.missing_requirements).not.toContain('location');
  });

  it('legacy soulmatch/ and soulmatch/refresh/', async () => {
    expect((await alice.req({ url: '/api/v1/soulmatch/' })).json()).toEqual([]);
    const r = await alice.req({ method: 'POST', url: '/api/v1/soulmatch/refresh/' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'refreshed' });
    const list = (await alice.req({ url: '/api/v1/soulmatch/' })).json();
    expect(list.length).toBeGreaterThanOrEqual(2);
    expect(list[0]).toMatchObject({ target: { id: expect.any(Number) }, score: expect.any(Number), breakdown: { total: expect.any(Number) } });
    expect(list[0].score).toBeGreaterThan(0.5);
    expect(list[0].score).toBeLessThan(1);
  });

  it('feed: matrix and SoulMatch cards are computed by jobs, cached, then placed; health reports them', async () => {
    const poster = await t.user();
    await alice.req({ method: 'POST', url: `/api/v1/users/${poster.id}/follow/` });
    for (let i = 0; i < 7; i++) expect((await poster.req({ method: 'POST', url: '/api/v1/posts/', body: { text: `post ${i}` } })).statusCode).toBe(201);
    await t.drain();
    await alice.req({ url: '/api/v1/feed/home/' }); // a miss queues the card jobs
    await t.drain();
    const health = (await alice.req({ url: '/api/v1/feed/health/' })).json();
    expect(health.insight_cache).toMatchObject({ matrix: true, soulmatch: true, mentor: false });
    const items = (await alice.req({ url: '/api/v1/feed/home/' })).json().items as { type: string; id: unknown; matrix?: { title: string }; soulmatch?: { profiles: { id: number }[] } }[];
    const types = items.map((i) => i.type);
    expect(types).toContain('matrix_insight');
    expect(types).toContain('soulmatch_reco');
    expect(types.indexOf('matrix_insight')).toBeGreaterThan(5);
    expect(items.find((i) => i.type === 'matrix_insight')!.matrix!.title).toBe("Today's matrix insight");
    expect(items.find((i) => i.type === 'soulmatch_reco')!.soulmatch!.profiles.length).toBeGreaterThan(0);
    // Without birth data: no matrix or SoulMatch card (the mentor card is always placed, §4.10).
    const plain = (await carol.req({ url: '/api/v1/feed/home/' })).json().items as { type: string }[];
    await t.drain();
    expect(plain.every((i) => i.type === 'post' || i.type === 'mentor_insight')).toBe(true);
    expect(((await carol.req({ url: '/api/v1/feed/health/' })).json()).insight_cache).toEqual({ mentor: false, matrix: false, soulmatch: false });
  });
});

describe('matching throttle and feature flag', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ THROTTLE_MATCHING_RATE: '2/min', FEATURE_SOULMATCH: 'false' });
  });
  afterAll(() => t.close());
  it('429 with Retry-After after THROTTLE_MATCHING_RATE', async () => {
    const u = await t.user();
    for (let i = 0; i < 2; i++) expect((await u.req({ url: '/api/v1/soulmatch/recommendations/' })).statusCode).toBe(200);
    const res = await u.req({ url: '/api/v1/soulmatch/recommendations/' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBeDefined();
  });
  it('FEATURE_SOULMATCH=false: legacy list [] and refresh 403 disabled', async () => {
    const u = await t.user();
    expect((await u.req({ url: '/api/v1/soulmatch/' })).json()).toEqual([]);
    const r = await u.req({ method: 'POST', url: '/api/v1/soulmatch/refresh/' });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toEqual({ status: 'disabled' });
  });
});
