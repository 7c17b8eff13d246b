// The ops page's figures, read from the same Prometheus registry `/metrics` exports: request rate,
// p99 and errors per route group, queue depths, sockets, the database pool and cache hit rates.
import type { Ctx } from '../../context.js';
import { INSTANCE_ID, liveGateways } from '../../realtime/instances.js';

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}
interface MetricJson {
  name: string;
  type: string;
  values: MetricValue[];
}

export interface RouteGroup {
  group: string;
  requests: number;
  rate_per_sec: number;
  p99_ms: number | null;
  errors_5xx: number;
  errors_4xx: number;
}

export interface OpsSnapshot {
  instance: string;
  at: string;
  uptime_sec: number;
  window_sec: number;
  http: { total_requests: number; rate_per_sec: number; errors_5xx: number; groups: RouteGroup[] };
  queues: { queue: string; waiting: number; active: number; delayed: number; failed: number }[];
  jobs: { completed: number; retried: number; failed: number };
  failed_jobs: { queue: string; id: string; attempts: number; error: string; failed_at: string | null }[];
  sockets: { instance: string; open: number; channels: number }[];
  db_pool: { total: number; idle: number; waiting: number; max: number } | null;
  cache: { cache: string; hits: number; misses: number; hit_rate: number | null }[];
  process: { rss_mb: number; heap_mb: number; event_loop_p99_ms: number | null };
}

/** `/api/v1/posts/:id/comments` → `/api/v1/posts`; `/admin/users/:id` → `/admin`; unmatched stays. */
export function routeGroup(route: string): string {
  const segs = route.split('/').filter(Boolean);
  if (segs[0] === 'api' && segs[1] === 'v1') return segs[2] ? `/api/v1/${segs[2]}` : '/api/v1';
  return segs[0] ? (segs[0].startsWith(':') ? route : `/${segs[0]}`) : route || '/';
}

interface GroupAcc {
  count: number;
  buckets: Map<number, number>;
  e5: number;
  e4: number;
}

/** The 99th percentile from cumulative histogram buckets (upper bound of the bucket it falls in). */
export function p99(buckets: Map<number, number>, count: number): number | null {
  if (count <= 0) return null;
  const target = count * 0.99;
  for (const [le, c] of [...buckets.entries()].sort((a, b) => a[0] - b[0])) if (c >= target) return Number.isFinite(le) ? le : null;
  return null;
}

export function createOps(ctx: Ctx) {
  const instance = INSTANCE_ID;
  const started = Date.now();
  // The previous sample per group: the page's rate and p99 cover the time since the last poll.
  let prev: { at: number; groups: Map<string, GroupAcc> } | null = null;

  async function snapshot(): Promise<OpsSnapshot> {
    const now = Date.now();
    const metrics = (await ctx.metrics.registry.getMetricsAsJSON()) as unknown as MetricJson[];
    const byName = new Map(metrics.map((m) => [m.name, m]));
    const groups = new Map<string, GroupAcc>();
    const acc = (g: string) => {
      let a = groups.get(g);
      if (!a) groups.set(g, (a = { count: 0, buckets: new Map(), e5: 0, e4: 0 }));
      return a;
    };
    for (const v of byName.get('http_request_duration_seconds')?.values ?? []) {
      const a = acc(routeGroup(String(v.labels.route ?? 'unmatched')));
      const status = Number(v.labels.status);
      if (v.metricName?.endsWith('_bucket')) {
        const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
        a.buckets.set(le, (a.buckets.get(le) ?? 0) + v.value);
      } else if (v.metricName?.endsWith('_count')) {
        a.count += v.value;
        if (status >= 500) a.e5 += v.value;
        else if (status >= 400) a.e4 += v.value;
      }
    }
    const windowSec = prev ? Math.max(0.001, (now - prev.at) / 1000) : Math.max(0.001, (now - started) / 1000);
    const out: RouteGroup[] = [];
    let total = 0;
    let totalDelta = 0;
    let e5 = 0;
    for (const [group, a] of groups) {
      const before = prev?.groups.get(group);
      const delta = a.count - (before?.count ?? 0);
      const deltaBuckets = new Map([...a.buckets].map(([le, c]) => [le, c - (before?.buckets.get(le) ?? 0)]));
      // p99 of the last window when it saw traffic, else since start.
      const p = delta > 0 ? p99(deltaBuckets, delta) : p99(a.buckets, a.count);
      out.push({ group, requests: a.count, rate_per_sec: round(delta / windowSec), p99_ms: p === null ? null : round(p * 1000), errors_5xx: a.e5, errors_4xx: a.e4 });
      total += a.count;
      totalDelta += delta;
      e5 += a.e5;
    }
    out.sort((x, y) => y.requests - x.requests);
    prev = { at: now, groups };

    const gauge = (name: string, labels: Record<string, string> = {}) =>
      byName.get(name)?.values.find((v) => Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x))?.value;
    const queues = new Map<string, OpsSnapshot['queues'][number]>();
    for (const v of byName.get('job_queue_jobs')?.values ?? []) {
      const q = String(v.labels.queue);
      const row = queues.get(q) ?? { queue: q, waiting: 0, active: 0, delayed: 0, failed: 0 };
      const state = String(v.labels.state) as 'waiting' | 'active' | 'delayed' | 'failed';
      if (state in row) row[state] = v.value;
      queues.set(q, row);
    }
    const jobs = { completed: 0, retried: 0, failed: 0 };
    for (const v of byName.get('jobs_processed_total')?.values ?? []) {
      const o = String(v.labels.outcome) as keyof typeof jobs;
      if (o in jobs) jobs[o] += v.value;
    }
    const cache = new Map<string, { cache: string; hits: number; misses: number; hit_rate: number | null }>();
    for (const v of byName.get('cache_lookups_total')?.values ?? []) {
      const c = String(v.labels.cache);
      const row = cache.get(c) ?? { cache: c, hits: 0, misses: 0, hit_rate: null };
      if (v.labels.outcome === 'hit') row.hits += v.value;
      else row.misses += v.value;
      row.hit_rate = row.hits + row.misses ? round(row.hits / (row.hits + row.misses)) : null;
      cache.set(c, row);
    }
    const pool = gauge('db_pool_connections', { state: 'max' }) !== undefined
      ? { total: gauge('db_pool_connections', { state: 'total' }) ?? 0, idle: gauge('db_pool_connections', { state: 'idle' }) ?? 0, waiting: gauge('db_pool_connections', { state: 'waiting' }) ?? 0, max: gauge('db_pool_connections', { state: 'max' }) ?? 0 }
      : null;
    const lag = gauge('nodejs_eventloop_lag_p99_seconds');
    const mem = process.memoryUsage();
    let failed: OpsSnapshot['failed_jobs'] = [];
    try {
      failed = (await ctx.queue.failedJobs(20)).map((f) => ({ queue: f.queue, id: f.id, attempts: f.attempts, error: f.error.slice(0, 300), failed_at: f.failedAt }));
    } catch (err) {
      ctx.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'ops: failed jobs unavailable');
    }
    // Sockets per gateway instance (each reports on its heartbeat); this process's own gauge otherwise.
    let sockets: OpsSnapshot['sockets'] = [];
    try {
      sockets = (await liveGateways(ctx, now)).map((g) => ({ instance: g.instance, open: g.open, channels: g.channels }));
    } catch (err) {
      ctx.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'ops: gateway reports unavailable');
    }
    if (!sockets.some((s) => s.instance === instance)) sockets.push({ instance, open: gauge('realtime_connected_sockets') ?? 0, channels: gauge('realtime_subscribed_channels') ?? 0 });
    return {
      instance,
      at: new Date(now).toISOString(),
      uptime_sec: Math.round(process.uptime()),
      window_sec: round(windowSec),
      http: { total_requests: total, rate_per_sec: round(totalDelta / windowSec), errors_5xx: e5, groups: out },
      queues: [...queues.values()].sort((a, b) => a.queue.localeCompare(b.queue)),
      jobs,
      failed_jobs: failed,
      sockets,
      db_pool: pool,
      cache: [...cache.values()].sort((a, b) => a.cache.localeCompare(b.cache)),
      process: { rss_mb: round(mem.rss / 1048576), heap_mb: round(mem.heapUsed / 1048576), event_loop_p99_ms: lag === undefined ? null : round(lag * 1000) },
    };
  }

  return { snapshot, instance };
}

const round = (n: number) => Math.round(n * 100) / 100;
