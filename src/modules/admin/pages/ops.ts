// /admin/ops: live figures from the metrics registry, refreshed by a small inline script polling
// /admin/ops.json; failed jobs with a retry button.
import { notFound } from '../../../platform/http/errors.js';
import { form, html } from '../html.js';
import { nonce, textField, type AdminKit } from '../routes.js';
import type { OpsSnapshot, createOps } from '../ops.js';

const REFRESH_MS = 5000;

function render(s: OpsSnapshot, csrf: string) {
  return html`<p class="muted">Instance <code>${s.instance}</code> · up ${s.uptime_sec} s · figures over the last ${s.window_sec} s · updated <span id="at">${s.at}</span></p>
<div class="cards">
<div class="card"><div class="muted">Requests / s</div><div class="fig" id="rate">${s.http.rate_per_sec}</div><div class="muted">${s.http.total_requests} since start</div></div>
<div class="card"><div class="muted">5xx errors</div><div class="fig" id="errors">${s.http.errors_5xx}</div><div class="muted">jobs failed: ${s.jobs.failed}</div></div>
<div class="card"><div class="muted">Open sockets</div><div class="fig" id="sockets">${s.sockets.reduce((a, x) => a + x.open, 0)}</div><div class="muted">${s.sockets.map((x) => `${x.instance}: ${x.open} sockets, ${x.channels} channels`).join('; ')}</div></div>
<div class="card"><div class="muted">Database pool</div><div class="fig" id="pool">${s.db_pool ? `${s.db_pool.total - s.db_pool.idle}/${s.db_pool.max}` : 'embedded'}</div><div class="muted">${s.db_pool ? `${s.db_pool.idle} idle, ${s.db_pool.waiting} waiting` : 'PGlite: one in-process connection'}</div></div>
<div class="card"><div class="muted">Event loop p99</div><div class="fig">${s.process.event_loop_p99_ms ?? '—'} ms</div><div class="muted">RSS ${s.process.rss_mb} MB, heap ${s.process.heap_mb} MB</div></div>
</div>
<h2>Sockets per instance</h2>
<table id="gateways"><thead><tr><th>instance</th><th>open sockets</th><th>channels</th></tr></thead><tbody>
${s.sockets.map((g) => html`<tr><td><code>${g.instance}</code></td><td>${g.open}</td><td>${g.channels}</td></tr>`)}
</tbody></table>
<h2>Requests by route group</h2>
<table id="routes"><thead><tr><th>group</th><th>req/s</th><th>p99 (ms)</th><th>requests</th><th>4xx</th><th>5xx</th></tr></thead><tbody>
${s.http.groups.map((g) => html`<tr><td><code>${g.group}</code></td><td>${g.rate_per_sec}</td><td>${g.p99_ms ?? '—'}</td><td>${g.requests}</td><td>${g.errors_4xx}</td><td>${g.errors_5xx}</td></tr>`)}
</tbody></table>
<h2>Queues</h2>
<table id="queues"><thead><tr><th>queue</th><th>waiting</th><th>active</th><th>delayed</th><th>failed</th></tr></thead><tbody>
${s.queues.map((q) => html`<tr><td><code>${q.queue}</code></td><td>${q.waiting}</td><td>${q.active}</td><td>${q.delayed}</td><td>${q.failed}</td></tr>`)}
</tbody></table>
<p class="muted">Jobs since start: ${s.jobs.completed} completed, ${s.jobs.retried} retried, ${s.jobs.failed} failed.</p>
<h2>Failed jobs</h2>
<table id="failed"><thead><tr><th>queue</th><th>id</th><th>attempts</th><th>error</th><th>failed at</th><th></th></tr></thead><tbody>
${s.failed_jobs.map((f) => html`<tr><td><code>${f.queue}</code></td><td>${f.id}</td><td>${f.attempts}</td><td>${f.error}</td><td>${f.failed_at ?? ''}</td><td>${form('/admin/ops/jobs/retry', csrf, html`<input type="hidden" name="queue" value="${f.queue}"><input type="hidden" name="id" value="${f.id}">`, 'Retry')}</td></tr>`)}
</tbody></table>${s.failed_jobs.length ? '' : html`<p>No failed jobs.</p>`}
<h2>Caches</h2>
<table id="caches"><thead><tr><th>cache</th><th>hits</th><th>misses</th><th>hit rate</th></tr></thead><tbody>
${s.cache.map((c) => html`<tr><td><code>${c.cache}</code></td><td>${c.hits}</td><td>${c.misses}</td><td>${c.hit_rate === null ? '—' : `${Math.round(c.hit_rate * 100)}%`}</td></tr>`)}
</tbody></table>`;
}

// Polls the JSON and re-renders the figures the page shows (no framework: textContent only).
const SCRIPT = `
(function(){
  var esc=function(v){return String(v==null?'—':v)};
  function rows(id,list,cols){var tb=document.querySelector('#'+id+' tbody');if(!tb)return;tb.textContent='';
    list.forEach(function(r){var tr=document.createElement('tr');cols.forEach(function(c){var td=document.createElement('td');td.textContent=esc(typeof c==='function'?c(r):r[c]);tr.appendChild(td)});tb.appendChild(tr)})}
  function tick(){fetch('/admin/ops.json',{credentials:'same-origin',headers:{accept:'application/json'}}).then(function(r){if(r.status===401){location.href='/admin/login?next=/admin/ops';return null}return r.ok?r.json():null}).then(function(s){
    if(!s)return;document.getElementById('at').textContent=s.at;document.getElementById('rate').textContent=s.http.rate_per_sec;
    document.getElementById('errors').textContent=s.http.errors_5xx;document.getElementById('sockets').textContent=s.sockets.reduce(function(a,x){return a+x.open},0);
    document.getElementById('pool').textContent=s.db_pool?(s.db_pool.total-s.db_pool.idle)+'/'+s.db_pool.max:'embedded';
    rows('routes',s.http.groups,['group','rate_per_sec','p99_ms','requests','errors_4xx','errors_5xx']);
    rows('gateways',s.sockets,['instance','open','channels']);
    rows('queues',s.queues,['queue','waiting','active','delayed','failed']);
    rows('caches',s.cache,['cache','hits','misses',function(c){return c.hit_rate==null?'—':Math.round(c.hit_rate*100)+'%'}]);
    document.body.setAttribute('data-refreshed',String((+document.body.getAttribute('data-refreshed')||0)+1));
  }).catch(function(){})}
  setInterval(tick,${REFRESH_MS});
})();`;

export function opsPages(kit: AdminKit, ops: ReturnType<typeof createOps>) {
  const { ctx, app } = kit;

  kit.get('/admin/ops', async (_req, staff) => {
    const n = nonce();
    return { title: 'Ops', body: render(await ops.snapshot(), staff.session.csrf), script: SCRIPT, nonce: n };
  });

  app.get('/admin/ops.json', { config: { auth: 'none' }, schema: { hide: true } }, async (req, reply) => {
    const staff = await kit.staffOnly(req, reply);
    if (!staff) return reply;
    return reply.header('cache-control', 'no-store').send(await ops.snapshot());
  });

  kit.post(
    '/admin/ops/jobs/retry',
    async (_req, f) => {
      const queue = textField(f, 'queue', { max: 200, required: true });
      const id = textField(f, 'id', { max: 200, required: true });
      if (!(await ctx.queue.retry(queue, id))) throw notFound('That failed job is no longer kept.');
      return { audit: { action: 'admin.job.retry', objectType: 'job', objectId: `${queue}:${id}` }, back: '/admin/ops', msg: `Job ${queue} ${id} queued again.` };
    },
    () => '/admin/ops',
  );
}
