// seed-demo: birth data and natal charts for every demo user (from their personal map / birth place),
// computed in process and written in batches.
import type { Ctx } from '../../context.js';
import type { SeedOptions } from '../../commands/seed-demo.js';
import { birthHash, computeChart, normalizeTime, type BirthInput } from './chart.js';
import { resolvePlace, zoneFor } from './location.js';
import { astrologyResults, birthData, natalCharts } from './schema.js';

const DEMO_DOMAIN = 'demo.selflink.app';
const BATCH = 500;

export async function seedAstro(ctx: Ctx, _opts: SeedOptions) {
  let after = 0;
  let count = 0;
  for (;;) {
    const page = await ctx.services.users.birthFactsPage(DEMO_DOMAIN, after, BATCH);
    if (!page.length) break;
    after = page[page.length - 1].id;
    const rows: { userId: number; input: BirthInput }[] = [];
    for (const u of page) {
      if (!u.birthDate || !u.birthTime) continue;
      const [pc, pk] = u.birthPlace.split(',').map((s) => s.trim());
      const city = u.city || pc || '';
      const country = u.country || pk || '';
      const place = resolvePlace(city, country);
      if (!place.ok) continue;
      const timezone = zoneFor(place.latitude, place.longitude);
      if (!timezone) continue;
      rows.push({ userId: u.id, input: { date: u.birthDate, time: normalizeTime(u.birthTime), timezone, city, country, latitude: place.latitude, longitude: place.longitude } });
    }
    if (!rows.length) continue;
    const bds = await ctx.db
      .insert(birthData)
      .values(rows.map(({ userId, input: b }) => ({ userId, dateOfBirth: b.date, timeOfBirth: b.time, timezone: b.timezone, city: b.city, country: b.country, latitude: b.latitude, longitude: b.longitude })))
      .onConflictDoNothing()
      .returning({ id: birthData.id, userId: birthData.userId });
    const idOf = new Map(bds.map((r) => [r.userId, r.id]));
    const rulesVersion = ctx.config.intelligence.astroRulesVersion;
    const charts = rows
      .filter((r) => idOf.has(r.userId))
      .map((r) => {
        const p = computeChart(r.input);
        return { r, p, hash: birthHash(r.input) };
      });
    if (!charts.length) continue;
    await ctx.db
      .insert(astrologyResults)
      .values(charts.map(({ p, hash }) => ({ birthDataHash: hash, rulesVersion, payload: p as unknown as Record<string, unknown> })))
      .onConflictDoNothing();
    await ctx.db
      .insert(natalCharts)
      .values(
        charts.map(({ r, p, hash }) => ({
          userId: r.userId,
          birthDataId: idOf.get(r.userId)!,
          birthHash: hash,
          rulesVersion,
          planets: p.planets as unknown as Record<string, unknown>,
          aspects: p.aspects as unknown[],
          angles: p.angles as unknown as Record<string, number>,
          signs: p.signs as Record<string, string>,
        })),
      )
      .onConflictDoNothing();
    count += charts.length;
  }
  console.log(`astro: ${count} demo natal charts`);
}
