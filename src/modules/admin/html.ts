// A tiny HTML template helper: `html` escapes every interpolated value unless it is already Html
// (made by `html` or `raw`); arrays are joined. No build step, no dependency.

export class Html {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escape(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => ESC[c]);
}

function part(v: unknown): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v instanceof Date) return escape(v.toISOString());
  return escape(v);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Trusted markup (never user input). */
export const raw = (s: string) => new Html(s);

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2330;background:#f4f6f9}
header{background:#1d2b45;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header a{color:#cfe0ff;text-decoration:none;margin-right:.8rem}header a:hover{text-decoration:underline}header .brand{font-weight:700;color:#fff}
header form{margin-left:auto}main{padding:1rem 1.4rem;max-width:1200px}
h1{font-size:1.45rem;margin:.4rem 0 1rem}h2{font-size:1.12rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff;margin:.4rem 0 1rem;font-size:14px}
th,td{border:1px solid #d9dee7;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#e9edf4}
code{font-size:13px;word-break:break-all}
form.inline{display:inline-flex;gap:.3rem;align-items:center;margin:.15rem .3rem .15rem 0;flex-wrap:wrap}
input,select,button{font:inherit;padding:.28rem .45rem;border:1px solid #aab4c3;border-radius:4px}
button{background:#2f5fb3;color:#fff;border-color:#2f5fb3;cursor:pointer}button.danger{background:#b3392f;border-color:#b3392f}
.msg{padding:.5rem .8rem;border-radius:4px;margin:.5rem 0}.ok{background:#dff3e3;border:1px solid #8fca9b}.err{background:#fbe3e1;border:1px solid #e29b94}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:.8rem}
.card{background:#fff;border:1px solid #d9dee7;border-radius:6px;padding:.8rem}.card a{font-weight:600}
.fig{font-size:1.6rem;font-weight:700}.muted{color:#5e6b7e;font-size:13px}
.login{max-width:360px;margin:10vh auto;background:#fff;padding:1.4rem;border:1px solid #d9dee7;border-radius:8px}
.login label{display:block;margin:.6rem 0 .2rem}.login input{width:100%}.login button{margin-top:1rem;width:100%}
`;

export const NAV: [string, string][] = [
  ['/admin/', 'Home'],
  ['/admin/users', 'Users'],
  ['/admin/moderation', 'Moderation'],
  ['/admin/flags', 'Flags'],
  ['/admin/catalogue', 'Gifts & products'],
  ['/admin/ledger', 'Ledger'],
  ['/admin/rewards', 'Rewards'],
  ['/admin/audit', 'Audit'],
  ['/admin/ops', 'Ops'],
];

export interface PageOpts {
  title: string;
  body: Html;
  csrf?: string;
  who?: string;
  msg?: string | null;
  err?: string | null;
  nonce?: string;
  script?: string;
}

export function page(o: PageOpts): string {
  const nav = o.csrf
    ? html`<header><span class="brand">SelfLink admin</span><nav>${NAV.map(([href, label]) => html`<a href="${href}">${label}</a>`)}</nav>
<form method="post" action="/admin/logout" class="inline"><input type="hidden" name="csrf" value="${o.csrf}"><span class="muted" style="color:#cfe0ff">${o.who ?? ''}</span><button type="submit">Log out</button></form></header>`
    : html``;
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">
<title>${o.title} · SelfLink admin</title><style>${raw(STYLE)}</style></head><body>${nav}<main>
${o.msg ? html`<div class="msg ok" role="status">${o.msg}</div>` : ''}${o.err ? html`<div class="msg err" role="alert">${o.err}</div>` : ''}
<h1>${o.title}</h1>${o.body}</main>${o.script && o.nonce ? html`<script nonce="${o.nonce}">${raw(o.script)}</script>` : ''}</body></html>`.value;
}

/** A POST form with the session's CSRF token. */
export function form(action: string, csrf: string, inner: Html, button: string, opts: { danger?: boolean } = {}): Html {
  return html`<form method="post" action="${action}" class="inline"><input type="hidden" name="csrf" value="${csrf}">${inner}<button type="submit"${opts.danger ? raw(' class="danger"') : ''}>${button}</button></form>`;
}
