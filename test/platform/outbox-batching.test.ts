// The relay loop under load: passes start at least OUTBOX_BATCH_MS apart, so events emitted while
// one interval runs are taken together by the next pass (one claim, one batch per batch listener).
// (Discriminating in server mode: PGlite runs one query at a time, so there a pass cannot start
// between two emits anyway.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
beforeAll(async () => {
  // A long interval, and polling out of the way: only emits wake the loop.
  t = await createTestApp({ OUTBOX_BATCH_MS: '1000', OUTBOX_POLL_MS: '3600000' });
});
afterAll(async () => t?.close());

describe('outbox relay loop', () => {
  it('takes the events emitted within one interval in one pass', async () => {
    const batches: number[][] = [];
    const waiting = new Map<number, () => void>();
    const seen = (n: number) => new Promise<void>((resolve) => waiting.set(n, resolve));
    t.ctx.events.onBatch<{ n: number }>('test.paced', (events) => {
      batches.push(events.map((e) => e.payload.n));
      for (const e of events) waiting.get(e.payload.n)?.();
    });
    const first = seen(1);
    await t.ctx.events.emit('test.paced', { n: 1 });
    await first;
    // Each of these commits on its own and wakes the loop; without the interval each would start a
    // pass of its own as soon as the one before it was done.
    const last = seen(5);
    for (const n of [2, 3, 4, 5]) await t.ctx.events.emit('test.paced', { n });
    await last;
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
  });
});
