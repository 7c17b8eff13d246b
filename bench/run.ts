// npm run bench -- <name> [<name>…]: runs those benchmarks and records them in bench/RESULTS.md.
// npm run bench (no name): runs every benchmark; those that report hot paths (users-me, feed) run
// BENCH_RUNS times (default 3) and the median of each column goes into the summary table at the
// top of bench/RESULTS.md (path, req/s, ratio to the bare route, p50/p99, round trips, CPU per request by process, load).
import os from 'node:os';
import { fmt, fmtCpu, writeSection, type SummaryRow, SERVER_NODE } from './lib.js';

const benches: Record<string, () => Promise<{ run(): Promise<SummaryRow[] | void>; cleanup?: () => Promise<void> }>> = {
  'users-me': () => import('./http-users-me.js'),
  startup: () => import('./startup.js'),
  feed: () => import('./feed.js'),
  realtime: () => import('./realtime.js'),
  astro: () => import('./astro.js'),
  mentor: () => import('./mentor.js'),
  coin: () => import('./coin.js'),
  rewards: () => import('./rewards.js'),
};
/** Benchmarks whose rows go into the summary table (run BENCH_RUNS times for a median). */
const SUMMARISED = new Set(['users-me', 'feed']);

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function summaryTable(rows: Map<string, SummaryRow[]>, runs: number): string {
  const lines = [...rows].map(([path, rs]) => {
    const rt = median(rs.map((r) => r.roundTrips ?? NaN));
    // Each process's CPU per request is the median of its own column too.
    const withCpu = rs.filter((r) => r.cpu);
    const cpu = withCpu.length ? Object.fromEntries(Object.keys(withCpu[0].cpu!).map((k) => [k, median(withCpu.map((r) => r.cpu![k] ?? NaN))])) : null;
    return `| ${path} | ${fmt(median(rs.map((r) => r.rps)))} | **${fmt(median(rs.map((r) => r.ratio)), 3)}** | ${fmt(median(rs.map((r) => r.p50)), 1)} | ${fmt(median(rs.map((r) => r.p99)), 1)} | ${Number.isFinite(rt) ? fmt(rt, 2) : '—'} | ${fmtCpu(cpu)} | ${fmt(median(rs.map((r) => r.load)), 2)} | ${rs.length} |`;
  });
  return `## Summary (median of ${runs} runs)

${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node ${SERVER_NODE.version} for the servers and their bare baselines (the Dockerfile's runtime; \`BENCH_NODE\`); server mode (PostgreSQL + Redis), autocannon 100
connections, ${process.env.BENCH_SECONDS ?? 10} s per measurement; data scale per the sections below. Each column is the median over the runs on its own.
"ratio" is requests/s divided by the bare Fastify route's, measured in the same run; "queries/req" is the API
process's \`db_queries_total\` (src/platform/db/query-count.ts) over the requests served (PostgreSQL round trips; Redis
round trips are described per section); "CPU µs per request" is what each process spent during the measurement
(from /proc: the server — api, worker or the bare route —, all of PostgreSQL's processes, Redis, and the load generator,
autocannon, which runs in the benchmark's own process) over the requests served; "load" is the 1-minute load average
when the measurement ended (the machine is shared).

| path | req/s | ratio to bare | p50 ms | p99 ms | queries/req | CPU µs per request | load | runs |
|---|---:|---:|---:|---:|---:|---|---:|---:|
${lines.join('\n')}`;
}

const named = process.argv.slice(2);
const pick = named.length ? named : Object.keys(benches);
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const rows = new Map<string, SummaryRow[]>();
const failed: string[] = [];
for (const n of pick) {
  const b = benches[n];
  if (!b) {
    console.error(`unknown benchmark ${n}; have: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  const times = SUMMARISED.has(n) ? runs : 1;
  const mod = await b();
  // A benchmark that fails is reported, and the others still run and are recorded.
  try {
    for (let i = 0; i < times; i++) {
      const got = await mod.run();
      for (const r of got ?? []) rows.set(r.path, [...(rows.get(r.path) ?? []), r]);
    }
  } catch (err) {
    console.error(`benchmark ${n} failed:`, err);
    failed.push(n);
  } finally {
    await mod.cleanup?.();
  }
}
if (rows.size) {
  const table = summaryTable(rows, runs);
  writeSection('summary', table);
  console.log(table);
}
if (failed.length) console.error(`failed: ${failed.join(', ')}`);
process.exit(failed.length ? 1 : 0);
