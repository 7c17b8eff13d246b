// Counts the database queries Drizzle sends (prepared statements included): a process total for
// /metrics (`db_queries_total`, which the benchmarks divide by their requests) and, inside
// countQueries(), the queries of one piece of work, attributed through its async context (the
// N+1 guard tests count a request's queries this way while other work runs beside it).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger as DrizzleLogger } from 'drizzle-orm';

const scope = new AsyncLocalStorage<{ n: number }>();
let total = 0;

/** Drizzle's logger hook: called once per query sent. */
export const queryCountLogger: DrizzleLogger = {
  logQuery() {
    total++;
    const s = scope.getStore();
    if (s) s.n++;
  },
};

/** Queries sent by this process so far. */
export const queriesSent = () => total;

/** Runs `fn` and answers how many queries it (and the work it started) sent. */
export async function countQueries<T>(fn: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const s = { n: 0 };
  const result = await scope.run(s, fn);
  return { result, queries: s.n };
}
