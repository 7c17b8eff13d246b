// OpenAPI-driven fuzzing: every operation of /api/schema/ gets generated bad inputs (wrong types,
// missing and unknown fields, NUL and control characters, huge and deeply nested values, extreme
// numbers and dates, malformed bodies and encodings), with no token, a wrong token and a valid
// one. Any 5xx, or an error body outside the contract's DRF shape, fails. Seeded and bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20240607);
const CASES_PER_OPERATION = Number(process.env.FUZZ_CASES ?? 8);

/** mulberry32: a tiny seeded PRNG, so a failure replays with the same FUZZ_SEED. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; required?: string[]; enum?: unknown[]; $ref?: string };
interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string; schema?: Schema }[];
  body?: Schema;
  multipart: boolean;
}

let t: TestApp;
let u: TestUser;
let other: TestUser;
let ops: Operation[] = [];
const ids: Record<string, number> = {};

const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
const EXTREME_DATES = ['+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00Z', '0000-00-00', '9999-12-31T23:59:59Z', '2024-02-31', 'T'];
const NASTY_STRINGS = ['\u0000', 'a\u0000b', '\u0001\u0002\u001f\u007f', '\ud800', '%00', '%E0%A4%A', '../../etc/passwd', "' or 1=1 --", '<script>', 'x'.repeat(70_000), '\u202e\u200b', '🙂'.repeat(300)];
const EXTREME_NUMBERS = [0, -1, -0, 1e308, -1e308, 2 ** 53, 2 ** 63, 1e15, 999_999_999_999_999, 1.5, 1e-320];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

/** A wrong or extreme value for a schema (or any value when there is none). */
function badValue(r: () => number, s: Schema | undefined): unknown {
  const kind = Math.floor(r() * 9);
  switch (kind) {
    case 0:
      return pick(r, NASTY_STRINGS);
    case 1:
      return pick(r, EXTREME_NUMBERS);
    case 2:
      return pick(r, EXTREME_DATES);
    case 3:
      return null;
    case 4:
      return [pick(r, NASTY_STRINGS), { '\u0000': 1 }];
    case 5:
      return JSON.parse(deep(40));
    case 6:
      return { __proto__x: 1, constructor: { prototype: { polluted: true } } };
    case 7:
      return s?.type === 'string' || (Array.isArray(s?.type) && s.type.includes('string')) ? 12345 : 'not-a-number';
    default:
      return Object.fromEntries(Array.from({ length: 800 }, (_, i) => [`k${i}`, i]));
  }
}

function resolve(doc: any, s: Schema | undefined): Schema | undefined {
  if (!s?.$ref) return s;
  const name = s.$ref.split('/').pop()!;
  return doc.components?.schemas?.[name];
}

/** A JSON body for an operation: mostly well-formed around one broken field, sometimes all wrong. */
function badBody(r: () => number, s: Schema | undefined): { payload: string; contentType: string } {
  const mode = Math.floor(r() * 10);
  if (mode === 0) return { payload: '{"a":', contentType: 'application/json' };
  if (mode === 1) return { payload: deep(5000), contentType: 'application/json' };
  if (mode === 2) return { payload: '{"__proto__":{"isStaff":true}}', contentType: 'application/json' };
  if (mode === 3) return { payload: '[1,2,3]', contentType: 'application/json' };
  if (mode === 4) return { payload: '"\\u0000"', contentType: 'application/json' };
  if (mode === 5) return { payload: 'a=1&b=%zz', contentType: 'application/x-www-form-urlencoded' };
  const props = s?.properties ?? {};
  const names = Object.keys(props);
  const body: Record<string, unknown> = {};
  for (const n of names) if (r() < 0.6) body[n] = badValue(r, props[n]);
  if (mode === 6) body[pick(r, ['constructor', 'toString', 'hasOwnProperty', `unknown_${Math.floor(r() * 1000)}`])] = 'x';
  if (mode === 7 && names.length) body[pick(r, names)] = pick(r, NASTY_STRINGS);
  return { payload: JSON.stringify(body), contentType: 'application/json' };
}

function badMultipart(r: () => number): { payload: Buffer | string; contentType: string } {
  const mode = Math.floor(r() * 4);
  if (mode === 0) return { payload: 'no boundary here', contentType: 'multipart/form-data' };
  if (mode === 1) return { payload: '--B\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi', contentType: 'multipart/form-data; boundary=B' };
  if (mode === 2) return { payload: '--B\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\u0000\r\n--B--\r\n', contentType: 'multipart/form-data; boundary=B' };
  return { payload: Buffer.concat([Buffer.from('--B\r\nContent-Disposition: form-data; name="images"; filename="x.png"\r\nContent-Type: image/png\r\n\r\n'), Buffer.alloc(64, 0xff)]), contentType: 'multipart/form-data; boundary=B' };
}

/** A path parameter: an existing id, an unknown one, or garbage of many kinds. */
function paramValue(r: () => number, name: string): string {
  const options = [String(ids[name] ?? ids.id ?? 1), '999999999999', '0', '-1', 'abc', '9'.repeat(40), '%00', '%E0%A4%A', '1e3', '%20', encodeURIComponent('+275760-09-13T00:00:00Z')];
  return pick(r, options);
}

/** encodeURIComponent, with lone surrogates sent as the invalid UTF-8 they would be. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '')) + '%ED%A0%80';
  }
}

function queryString(r: () => number, op: Operation): string {
  const qs = op.params.filter((p) => p.in === 'query');
  const parts: string[] = [];
  for (const p of qs) {
    if (r() < 0.5) continue;
    const v = badValue(r, p.schema);
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    parts.push(`${encodeURIComponent(p.name)}=${r() < 0.2 ? text.replace(/%/g, '%') : enc(text).slice(0, 10_000)}`);
  }
  if (r() < 0.2) parts.push('cursor=' + encodeURIComponent(Buffer.from(JSON.stringify(['+275760-09-13T00:00:00Z', 1])).toString('base64url')));
  if (r() < 0.1) parts.push('since=' + encodeURIComponent('+275760-09-13T00:00:00Z'));
  if (r() < 0.1) parts.push('q=%00');
  return parts.length ? `?${parts.join('&')}` : '';
}

/** The contract's error shape: {"detail": string, "code": string, …} or {"field": ["message", …], …}. */
function isDrf(body: unknown): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const o = body as Record<string, unknown>;
  if ('statusCode' in o && 'error' in o) return false; // Fastify's own shape
  if (typeof o.detail === 'string') return typeof o.code === 'string';
  const entries = Object.entries(o);
  return entries.length > 0 && entries.every(([, v]) => (Array.isArray(v) && v.every((m) => typeof m === 'string')) || (v !== null && typeof v === 'object' && !Array.isArray(v)));
}

beforeAll(async () => {
  // Providers configured, so webhooks reach their signature checks instead of "not configured".
  t = await createTestApp({
    STRIPE_API_KEY: 'sk_test_fuzz',
    STRIPE_WEBHOOK_SECRET: 'whsec_fuzz',
    STRIPE_API_BASE: 'http://127.0.0.1:9',
    IPAY_WEBHOOK_SECRET: 'ipay-fuzz-secret',
    BTCPAY_BASE_URL: 'http://127.0.0.1:9',
    BTCPAY_STORE_ID: 'store',
    BTCPAY_API_KEY: 'key',
    BTCPAY_WEBHOOK_SECRET: 'btcpay-fuzz-secret',
    GITHUB_WEBHOOK_SECRET: 'github-fuzz-secret',
  });
  [u, other] = [await t.user(), await t.user()];
  // Objects to aim at, so some requests reach the handlers' deeper checks.
  const post = (await u.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'fuzz target @' + other.handle } })).json();
  const comment = (await u.req({ method: 'POST', url: '/api/v1/comments/', body: { post: post.id, body: 'c' } })).json();
  const thread = (await u.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: other.id } })).json();
  Object.assign(ids, { id: post.id, post_id: post.id, comment_id: comment.id, thread_id: thread.id, user_id: other.id });
  const doc = (await t.request({ url: '/api/schema/' })).json();
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const content = op.requestBody?.content ?? {};
      ops.push({
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []).map((p: any) => ({ name: p.name, in: p.in, schema: p.schema })),
        body: resolve(doc, content['application/json']?.schema ?? content['multipart/form-data']?.schema),
        multipart: Boolean(content['multipart/form-data']),
      });
    }
  }
  // Operations that end the caller's own session go last, so they do not blunt the others.
  ops = [...ops.filter((o) => !/logout|password|delete|deactivate/i.test(o.path)), ...ops.filter((o) => /logout|password|delete|deactivate/i.test(o.path))];
}, 120_000);
afterAll(async () => t?.close());

describe('OpenAPI fuzz', () => {
  it('covers every operation of /api/schema/', () => {
    expect(ops.length).toBeGreaterThan(50);
  });

  it('never answers 5xx or an error body outside the DRF shape', async () => {
    const r = rng(SEED);
    const failures: string[] = [];
    let requests = 0;
    for (const op of ops) {
      for (let i = 0; i < CASES_PER_OPERATION; i++) {
        // A fresh session per case: an earlier case may have logged out or changed the password.
        await t.ctx.services.users.setActive(u.id, true);
        const valid = (await t.ctx.services.users.issueTokens(u.id)).token;
        const auth = i % 3 === 0 ? undefined : i % 3 === 1 ? 'Bearer not.a.jwt' : `Bearer ${valid}`;
        const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => paramValue(r, name));
        const url = path + queryString(r, op);
        const headers: Record<string, string> = auth ? { authorization: auth } : {};
        let payload: string | Buffer | undefined;
        if (op.method !== 'GET' && op.method !== 'DELETE') {
          const b = op.multipart && r() < 0.4 ? badMultipart(r) : badBody(r, op.body);
          payload = b.payload;
          headers['content-type'] = b.contentType;
        }
        const res = await t.app.inject({ method: op.method as never, url, headers, payload });
        requests++;
        const label = `${op.method} ${url.slice(0, 160)} [${auth ? (auth.includes('not.a') ? 'wrong token' : 'token') : 'anonymous'}] → ${res.statusCode}`;
        if (res.statusCode >= 500) {
          failures.push(`${label}: ${res.body.slice(0, 200)}`);
          continue;
        }
        if (res.statusCode >= 400 && String(res.headers['content-type']).startsWith('text/event-stream')) {
          // SSE routes answer errors as the app parses them: one `data: {"event":"error",…}` frame.
          if (!/^data: \{"event":"error"/.test(res.body)) failures.push(`${label}: not an SSE error frame: ${res.body.slice(0, 200)}`);
          continue;
        }
        if (res.statusCode >= 400) {
          let body: unknown;
          try {
            body = res.json();
          } catch {
            body = undefined;
          }
          if (!isDrf(body)) failures.push(`${label}: not DRF-shaped: ${res.body.slice(0, 200)}`);
        }
      }
    }
    expect(failures, `${failures.length} of ${requests} requests failed (seed ${SEED})`).toEqual([]);
  }, 120_000);
});
