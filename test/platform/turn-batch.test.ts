import { describe, expect, it } from 'vitest';
import { turnBatch } from '../../src/platform/db/turn-batch.js';
import { queryCountLogger, withQueryScope } from '../../src/platform/db/query-count.js';

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('turnBatch', () => {
  it('answers the calls of one turn with one run, each call its own result', async () => {
    const runs: number[][] = [];
    const double = turnBatch(async (xs: number[]) => {
      runs.push(xs);
      return xs.map((x) => x * 2);
    });
    const together = await Promise.all([double(1), double(2), double(3)]);
    expect(together).toEqual([2, 4, 6]);
    expect(runs).toEqual([[1, 2, 3]]);
    // A later turn is another run.
    expect(await double(5)).toBe(10);
    expect(runs).toEqual([[1, 2, 3], [5]]);
  });

  it('starts another run once a batch holds maxCalls', async () => {
    const runs: number[][] = [];
    const same = turnBatch(
      async (xs: number[]) => {
        runs.push(xs);
        return xs;
      },
      { maxCalls: 2 },
    );
    expect(await Promise.all([same(1), same(2), same(3), same(4), same(5)])).toEqual([1, 2, 3, 4, 5]);
    expect(runs).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('fails the calls of a failed run, and only those', async () => {
    let fail = true;
    const maybe = turnBatch(async (xs: number[]) => {
      if (fail) throw new Error('database gone');
      return xs;
    });
    const first = Promise.allSettled([maybe(1), maybe(2)]);
    await nextTurn();
    fail = false;
    const second = maybe(3);
    expect((await first).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await second).toBe(3);
  });

  it('turns a run that throws before its promise into rejections', async () => {
    const broken = turnBatch((): Promise<number[]> => {
      throw new Error('bad statement');
    });
    await expect(broken(1)).rejects.toThrow('bad statement');
  });

  it('charges the queries of a batch to the count of every piece of work it answered', async () => {
    const lookup = turnBatch(async (xs: number[]) => {
      queryCountLogger.logQuery('select 1', []);
      return xs;
    });
    const counted = (x: number) =>
      withQueryScope(async (s) => {
        await lookup(x);
        return s.n;
      });
    // Two requests in one turn: one query, and each request counts it (not only the one whose turn ran it).
    expect(await Promise.all([counted(1), counted(2)])).toEqual([1, 1]);
  });
});
