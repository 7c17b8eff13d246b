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

export interface QueryScope {
  n: number;
}

/** The count the current async context adds to (none outside counted work). */
export const currentQueryScope = (): QueryScope | undefined => scope.getStore();

/** Runs `fn` (e.g. one HTTP request) in its own count; read `.n` from the returned scope when done. */
export function withQueryScope<T>(fn: (s: QueryScope) => T): T {
  const s: QueryScope = { n: 0 };
  return scope.run(s, () => fn(s));
}

type RequestListener = (r: { method: string; route: string; queries: number }) => void;
const requestListeners = new Set<RequestListener>();

/** The HTTP app reports each request's count here (only while someone listens). */
export function reportRequestQueries(method: string, route: string, queries: number) {
  for (const l of requestListeners) l({ method, route, queries });
}
export const hasRequestListeners = () => requestListeners.size > 0;

/**
 * Runs `fn` and answers how many queries it sent: directly (its async context) and through the
 * HTTP requests that completed meanwhile (Fastify's inject does not keep the caller's context, so
 * the app counts each request in its own scope and reports it).
 */
export async function countQueries<T>(fn: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const s = { n: 0 };
  const onRequest: RequestListener = (r) => {
    s.n += r.queries;
  };
  requestListeners.add(onRequest);
  try {
    const result = await scope.run(s, fn);
    return { result, queries: s.n };
  } finally {
    requestListeners.delete(onRequest);
  }
}
