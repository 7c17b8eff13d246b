// Prometheus metrics: one registry per process, low-cardinality labels only.
import client from 'prom-client';
import { queriesSent } from './db/query-count.js';

/**
 * The process's own figures (CPU, memory, GC, event loop): collected once per process. Each call of
 * collectDefaultMetrics starts a GC observer and an event-loop histogram that are never stopped, so a
 * process that builds many apps (the test workers) would gather them again per app.
 */
let processMetrics: client.Registry | null = null;
function processRegistry() {
  if (!processMetrics) {
    processMetrics = new client.Registry();
    client.collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

export function createMetrics() {
  // The app's registry starts with the process's metrics; everything below is the app's own.
  const registry = client.Registry.merge([processRegistry()]);
  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route pattern',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const jobs = new client.Counter({
    name: 'jobs_processed_total',
    help: 'Background jobs processed by outcome',
    labelNames: ['job', 'outcome'] as const,
    registers: [registry],
  });
  // Lookups are counted in plain numbers and handed to the counter when it is read: a labelled
  // inc() hashes its labels every time, and the session and page caches are looked up on every request.
  const lookupCounts = new Map<string, { hit: number; miss: number; count: (hit: boolean) => void }>();
  new client.Counter({
    name: 'cache_lookups_total',
    help: 'Cache reads from the key-value store by key family and outcome (hit or miss)',
    labelNames: ['cache', 'outcome'] as const,
    registers: [registry],
    collect() {
      for (const [cache, n] of lookupCounts) {
        if (n.hit) this.inc({ cache, outcome: 'hit' }, n.hit);
        if (n.miss) this.inc({ cache, outcome: 'miss' }, n.miss);
        n.hit = n.miss = 0;
      }
    },
  });
  /** The lookup counter of one cache (the same one for every call with its name): call it with each lookup's outcome. */
  const countLookups = (cache: string): ((hit: boolean) => void) => {
    let n = lookupCounts.get(cache);
    if (!n) {
      const counts = { hit: 0, miss: 0, count: (hit: boolean) => void (hit ? counts.hit++ : counts.miss++) };
      lookupCounts.set(cache, (n = counts));
    }
    return n.count;
  };
  new client.Counter({
    name: 'db_queries_total',
    help: 'Database queries sent by this process (round trips to PostgreSQL)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(queriesSent());
    },
  });
  return { registry, httpDuration, jobs, countLookups };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Gauges read when scraped: queue depths by state and the database pool (they cost a query or two, only on scrape). */
export function registerCollectedGauges(
  m: Metrics,
  sources: {
    queueCounts: () => Promise<{ queue: string; waiting: number; active: number; delayed: number; failed: number }[]>;
    pool: () => { total: number; idle: number; waiting: number; max: number } | null;
  },
) {
  new client.Gauge({
    name: 'job_queue_jobs',
    help: 'Jobs in each queue by state (waiting, active, delayed, failed)',
    labelNames: ['queue', 'state'] as const,
    registers: [m.registry],
    async collect() {
      this.reset();
      try {
        for (const c of await sources.queueCounts()) {
          for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) this.set({ queue: c.queue, state }, c[state]);
        }
      } catch {
        // Redis down: the gauge is left empty rather than failing the whole scrape.
      }
    },
  });
  new client.Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by state (total, idle, waiting clients, max)',
    labelNames: ['state'] as const,
    registers: [m.registry],
    collect() {
      this.reset();
      const p = sources.pool();
      if (p) for (const state of ['total', 'idle', 'waiting', 'max'] as const) this.set({ state }, p[state]);
    },
  });
}
