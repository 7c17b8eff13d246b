// selflink seed-gift-types: upserts winter_snow through the gift catalogue, idempotently.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sharedTestApp, type TestApp } from '../support/app.js';
import { commands } from '../../src/commands/index.js';

let t: TestApp;
beforeAll(async () => {
  t = await sharedTestApp();
});
afterAll(async () => t?.close());

const run = async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const code = (await commands['seed-gift-types'].run(t.ctx, [])) ?? 0;
    return { code, out: log.mock.calls.map((c) => c.join(' ')).join('\n'), err: err.mock.calls.map((c) => c.join(' ')).join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
};
const winterSnow = async () => {
  const page = (await t.request({ url: '/api/v1/payments/gifts/?page_size=100' })).json();
  return page.results.filter((g: { key: string }) => g.key === 'winter_snow');
};

describe('seed-gift-types', () => {
  it('creates winter_snow once, then updates the same row', async () => {
    expect(await winterSnow()).toEqual([]);
    const first = await run();
    expect(first.code).toBe(0);
    const id = Number(/^Created gift winter_snow \(id=(\d+)\)$/.exec(first.out)?.[1]);
    expect(id).toBeGreaterThan(0);
    const [g] = await winterSnow();
    expect(g).toMatchObject({ id, name: 'Winter Snow', kind: 'animated', price_cents: 100, price_slc_cents: 100, is_active: true });
    expect(g.animation_url).toMatch(/\/static\/gifts\/snowfall\.json$/);
    expect(g.effects).toMatchObject({ version: 2, persist: { mode: 'window', window_seconds: 18 } });
    expect(g.effects.effects.map((e: { type: string }) => e.type)).toEqual(['overlay', 'highlight']);

    // A staff change of price is put back; a staff deactivation is kept.
    await t.ctx.services.payments.gifts.update(id, { priceCents: 999, isActive: false });
    expect((await run()).out).toBe(`Updated gift winter_snow (id=${id})`);
    // Concurrent seeds (two deploys at once) land on the same row.
    const gifts = t.ctx.services.payments.gifts;
    const both = await Promise.all([gifts.upsertByKey('winter_snow', { name: 'Winter Snow', priceCents: 100 }), gifts.upsertByKey('winter_snow', { name: 'Winter Snow', priceCents: 100 })]);
    expect(both.map((b) => [b.row.id, b.created])).toEqual([[id, false], [id, false]]);
    const row = await t.ctx.services.payments.gifts.get(id);
    expect(row).toMatchObject({ priceCents: 100, isActive: false });
    expect((await t.ctx.services.payments.gifts.listAll(500)).filter((x) => x.key === 'winter_snow')).toHaveLength(1);
  });

  it('fails cleanly when another gift type already has the name', async () => {
    const g = await t.ctx.services.payments.gifts.get((await t.ctx.services.payments.gifts.listAll(500)).find((x) => x.key === 'winter_snow')!.id);
    await t.ctx.services.payments.gifts.update(g!.id, { key: 'winter_snow_old' });
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.err).toContain('already named "Winter Snow"');
  });
});
