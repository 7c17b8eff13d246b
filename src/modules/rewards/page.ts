// The public transparency page (/rewards/) and each month's published CSV (/rewards/<YYYY-MM>.csv).
import fs from 'node:fs';
import path from 'node:path';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { declareRouteErrors } from '../../platform/http/errors.js';
import { RewardsErrors } from './errors.js';
import type { SnapshotRow } from './schema.js';
import { parsePeriod } from './calc.js';
import { publishedDir } from './snapshot.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const money = (cents: number) => `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const int = (n: number) => n.toLocaleString('en-US');

function monthCard(s: SnapshotRow, now: Date): string {
  const open = now < s.disputeWindowEndsAt;
  return `<article class="month" id="m-${esc(s.period)}">
  <h2>${esc(s.period)}</h2>
  <dl>
    <dt>Revenue</dt><dd class="revenue">${money(s.revenueCents)}</dd>
    <dt>Costs</dt><dd class="costs">${money(s.costsCents)}</dd>
    <dt>Contributor pool (${s.poolPercent}% of net)</dt><dd class="pool">${money(s.contributorPoolCents)} <small>(${int(s.contributorPoolCents)} cents)</small></dd>
    <dt>Total points</dt><dd class="points">${int(s.totalPoints)}</dd>
    <dt>Events</dt><dd class="events">${int(s.totalEvents)}</dd>
    <dt>Dispute window</dt><dd class="dispute">${open ? 'open until' : 'closed on'} <time datetime="${s.disputeWindowEndsAt.toISOString()}">${s.disputeWindowEndsAt.toISOString().replace('T', ' ').slice(0, 16)} UTC</time></dd>
    <dt>Ledger hash (SHA-256)</dt><dd class="hash ledger-hash"><code>${esc(s.ledgerHash)}</code></dd>
    <dt>CSV SHA-256</dt><dd class="hash csv-sha256"><code>${esc(s.csvSha256)}</code></dd>
  </dl>
  <p><a class="csv" href="/rewards/${esc(s.period)}.csv" download>Download ${esc(s.period)}.csv</a></p>
</article>`;
}

export function renderPage(snapshots: SnapshotRow[], now = new Date()): string {
  const body = snapshots.length ? snapshots.map((s) => monthCard(s, now)).join('\n') : '<p class="empty">No month has been closed yet.</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SelfLink contributor rewards — transparency</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  body { margin: 0 auto; max-width: 46rem; padding: 1rem; line-height: 1.45; }
  h1 { font-size: 1.5rem; margin: .2rem 0 .6rem; }
  .how { background: rgba(127,127,127,.12); border-radius: .5rem; padding: .6rem .8rem; font-size: .95rem; }
  .month { border: 1px solid rgba(127,127,127,.35); border-radius: .6rem; padding: .4rem .9rem .6rem; margin: 1rem 0; }
  .month h2 { font-size: 1.2rem; margin: .4rem 0; }
  dl { display: grid; grid-template-columns: minmax(8rem, max-content) 1fr; gap: .25rem .8rem; margin: 0; }
  dt { font-weight: 600; }
  dd { margin: 0; min-width: 0; }
  .hash code { font-size: .8rem; word-break: break-all; overflow-wrap: anywhere; }
  .how code { white-space: nowrap; }
  a.csv { display: inline-block; padding: .45rem .8rem; border-radius: .4rem; background: #2563eb; color: #fff; text-decoration: none; }
  @media (max-width: 30rem) { dl { grid-template-columns: 1fr; } dt { margin-top: .35rem; } }
</style>
</head>
<body>
<h1>Contributor rewards</h1>
<p>Every merged contribution is an immutable event; each month the contributor pool is split by points with integer arithmetic. Payouts stay pending until the month's dispute window closes.</p>
<p class="how"><strong>Recompute it yourself:</strong> download a month's CSV and check that <code>sha256sum</code> prints its CSV SHA-256.<br>
Then run <code>selflink rewards-verify --month YYYY-MM</code> against the ledger: it recomputes the ledger hash and exits 0 only when it matches.</p>
${body}
</body>
</html>
`;
}

export async function rewardsPageRoutes(app: App, ctx: Ctx) {
  const rewards = ctx.services.rewards;
  declareRouteErrors(app, [['GET', /\/rewards\/:file$/, [RewardsErrors.specs.fileNotFound, RewardsErrors.specs.snapshotNotPublished]]]);
  const page = async (_req: unknown, reply: import('fastify').FastifyReply) => {
    const snaps = await rewards.allSnapshots();
    return reply.header('cache-control', 'public, max-age=60').type('text/html; charset=utf-8').send(renderPage(snaps));
  };
  app.get('/rewards', { config: { auth: 'none' }, schema: { tags: ['rewards'], description: 'Public transparency page (HTML).' } }, page);

  app.get('/rewards/:file', { config: { auth: 'none' }, schema: { tags: ['rewards'], description: "A closed month's published snapshot.csv, byte for byte." } }, async (req, reply) => {
    const file = (req.params as { file: string }).file;
    const m = /^(\d{4}-\d{2})\.csv$/.exec(file);
    const p = m ? parsePeriod(m[1]) : null;
    if (!p) throw RewardsErrors.fileNotFound();
    const snap = await rewards.snapshotByPeriod(p.period);
    const csv = path.join(publishedDir(ctx, p.period), 'snapshot.csv');
    if (!snap || !fs.existsSync(csv)) throw RewardsErrors.snapshotNotPublished();
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${p.period}.csv"`)
      .header('x-content-sha256', snap.csvSha256)
      .header('cache-control', 'public, max-age=3600, immutable')
      .send(fs.createReadStream(csv));
  });
}
