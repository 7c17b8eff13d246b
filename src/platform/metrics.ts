// Prometheus metrics: one registry per process, low-cardinality labels only.
import client from 'prom-client';
import { queriesSent } from './db/query-count.js';

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
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
  new client.Counter({
    name: 'db_queries_total',
    help: 'Database queries sent by this process (round trips to PostgreSQL)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(queriesSent());
    },
  });
  return { registry, httpDuration, jobs };
}

export type Metrics = ReturnType<typeof createMetrics>;
