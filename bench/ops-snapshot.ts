// What the staff ops page (/admin/ops) shows while a benchmark loads the API: a staff session is
// opened through the real login form, and /admin/ops.json (the data the page refreshes from) is
// read twice — the second read's rate and p99 cover the time since the first.
import { spawnSync } from 'node:child_process';
import { ROOT } from './lib.js';

export const OPS_STAFF = { email: 'ops-bench@example.com', password: 'ops-bench-password-1' };

export interface OpsView {
  window_sec: number;
  http: { rate_per_sec: number; groups: { group: string; rate_per_sec: number; p99_ms: number | null }[] };
  db_pool: { total: number; idle: number; waiting: number; max: number } | null;
  cache: { cache: string; hit_rate: number | null }[];
  sockets: { instance: string; open: number }[];
  queues: { queue: string; waiting: number; failed: number }[];
}

/** Creates the staff account the ops reads log in with (bootstrap-admin, the documented way). */
export function createOpsStaff(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['bin/selflink.mjs', 'bootstrap-admin', '--email', OPS_STAFF.email, '--password', OPS_STAFF.password], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('bootstrap-admin failed');
}

const cookiesOf = (res: Response) =>
  res.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => !c.endsWith('='));

/** Logs in through /admin/login as a browser would; returns the Cookie header of the session. */
export async function staffSession(origin: string): Promise<string> {
  const form = await fetch(`${origin}/admin/login`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!csrf) throw new Error('no csrf token on the login page');
  const res = await fetch(`${origin}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookiesOf(form).join('; ') },
    body: new URLSearchParams({ csrf, next: '/admin/ops', email: OPS_STAFF.email, password: OPS_STAFF.password }).toString(),
  });
  if (res.status !== 303) throw new Error(`admin login answered ${res.status}`);
  return cookiesOf(res).join('; ');
}

export async function opsView(origin: string, cookie: string): Promise<OpsView> {
  const res = await fetch(`${origin}/admin/ops.json`, { headers: { cookie } });
  if (res.status !== 200) throw new Error(`ops.json answered ${res.status}`);
  return (await res.json()) as OpsView;
}

/** Reads the ops page at `firstMs` and `secondMs` into a load; resolves with the second read. */
export async function opsDuringLoad(origin: string, firstMs: number, secondMs: number): Promise<OpsView> {
  const cookie = await staffSession(origin);
  await new Promise((r) => setTimeout(r, firstMs));
  await opsView(origin, cookie);
  await new Promise((r) => setTimeout(r, secondMs - firstMs));
  return opsView(origin, cookie);
}

/** One table row of what the page showed for `group`, beside what the load generator measured. */
export function opsRow(view: OpsView, group: string, measured: { rps: number; p99: number }, fmt: (n: number, d?: number) => string): string {
  const g = view.http.groups.find((x) => x.group === group);
  const pool = view.db_pool ? `${view.db_pool.total - view.db_pool.idle}/${view.db_pool.max} busy, ${view.db_pool.waiting} waiting` : '—';
  const hits = view.cache.map((c) => `${c.cache} ${c.hit_rate === null ? '—' : `${fmt(c.hit_rate * 100, 1)} %`}`).join(', ') || '—';
  return `| ${group} | ${g ? fmt(g.rate_per_sec) : '—'} | ${fmt(measured.rps)} | ${g?.p99_ms != null ? fmt(g.p99_ms, 1) : '—'} | ${fmt(measured.p99, 1)} | ${pool} | ${hits} | ${fmt(view.window_sec, 1)} |`;
}

export const OPS_TABLE_HEAD = `| route group | ops page req/s | autocannon req/s | ops page p99 ms | autocannon p99 ms | DB pool (ops page) | cache hit rates (ops page) | window s |
|---|---:|---:|---:|---:|---|---|---:|`;
