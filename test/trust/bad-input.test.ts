// The classes of bad input a fuzzer found (NUL characters, extended-year dates, deep nesting,
// malformed multipart, prototype keys, malformed URLs, over-large headers, /ws without upgrade):
// each answers 4xx in the contract's DRF shape, never a 500 or Fastify's own shape.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
import { buildApp } from '../../src/app.js';
import { registerGateway } from '../../src/realtime/gateway.js';
import type { App } from '../../src/platform/http/app-type.js';
import { encodeCursor } from '../../src/platform/http/pagination.js';
import { PNG } from '../support/multipart.js';

let t: TestApp;
let u: TestUser;
let peer: TestUser;
let thread: number;
let server: App;
let base: string;

beforeAll(async () => {
  t = await sharedTestApp();
  [u, peer] = [await t.user(), await t.user()];
  thread = (await u.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: peer.id } })).json().id;
  // A real listener (API + gateway) for what only a socket shows: header limits, /ws.
  server = await buildApp(t.ctx, { api: true, extend: (a) => registerGateway(a, t.ctx) });
  await server.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

/** DRF shape: {"detail", "code"} or {"field": ["message", …]}. */
function expectDrf(body: unknown) {
  expect(body && typeof body === 'object' && !Array.isArray(body)).toBe(true);
  const o = body as Record<string, unknown>;
  expect(o).not.toHaveProperty('statusCode');
  if (typeof o.detail === 'string') {
    expect(typeof o.code).toBe('string');
    return;
  }
  const entries = Object.entries(o);
  expect(entries.length).toBeGreaterThan(0);
  for (const [, v] of entries) expect(Array.isArray(v) && v.every((m) => typeof m === 'string')).toBe(true);
}

const nested = (depth: number) => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

describe('NUL characters', () => {
  it.each([
    ['POST', '/api/v1/auth/register/', { email: 'nul@example.com', password: 'password123', name: 'a\u0000b' }, null],
    ['PATCH', '/api/v1/users/me/', { name: 'a\u0000b' }, 'u'],
    ['POST', '/api/v1/posts/', { text: 'hi\u0000' }, 'u'],
    ['POST', '/api/v1/messages/', { thread: 0, body: 'x', meta: { k: 'v\u0000' } }, 'u'],
    ['POST', '/api/v1/messages/', { thread: 0, body: 'x', meta: { 'k\u0000': 1 } }, 'u'],
  ] as const)('%s %s → 400 naming the field', async (method, url, body, who) => {
    const b = JSON.parse(JSON.stringify(body).replace('"thread":0', `"thread":${thread}`));
    const res = who ? await u.req({ method, url, body: b }) : await t.request({ method, url, body: b });
    expect(res.statusCode).toBe(400);
    expectDrf(res.json());
  });

  it('in a query string, also without a token', async () => {
    for (const res of [await t.request({ url: '/api/v1/users/?q=%00' }), await u.req({ url: '/api/v1/users/?q=a%00b' }), await u.req({ url: '/api/v1/search/users/?q=%00' })]) {
      expect([400, 401]).toContain(res.statusCode);
      expectDrf(res.json());
    }
    const res = await u.req({ url: '/api/v1/users/?q=a%00b' });
    expect(res.statusCode).toBe(400);
    expect(res.json().q).toBeDefined();
  });
});

describe('extended-year dates', () => {
  const far = encodeURIComponent(encodeCursor({ t: '+275760-09-13T00:00:00.000Z', id: 5 }));
  it.each(['/api/v1/posts/', '/api/v1/users/', '/api/v1/feed/following/', '/api/v1/feed/for_you/', '/api/v1/notifications/', '/api/v1/messages/', '/api/v1/threads/'])(
    'a cursor far outside PostgreSQL range on %s → 400 invalid_cursor',
    async (url) => {
      const res = await u.req({ url: `${url}?cursor=${far}` });
      expect(res.statusCode).toBe(400);
      expectDrf(res.json());
    },
  );
  it('without a token too', async () => {
    const res = await t.request({ url: `/api/v1/posts/?cursor=${far}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('invalid_cursor');
  });
  it('threads/{id}/sync/?since=', async () => {
    const res = await u.req({ url: `/api/v1/threads/${thread}/sync/?since=${encodeURIComponent('+275760-09-13T00:00:00Z')}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().since).toBeDefined();
  });
});

describe('deep and huge free-form objects', () => {
  it('thousands of nesting levels in message meta → 400, no stack overflow', async () => {
    const payload = `{"thread":${thread},"body":"x","meta":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    const res = await u.req({ method: 'POST', url: '/api/v1/messages/', payload, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expectDrf(res.json());
  });
  it('a modestly nested object beyond the bound → 400 naming the field', async () => {
    const res = await u.req({ method: 'POST', url: '/api/v1/messages/', body: { thread, body: 'x', meta: nested(40) } });
    expect(res.statusCode).toBe(400);
    expect(Object.keys(res.json())[0]).toMatch(/^meta/);
  });
  it('an object with too many keys → 400', async () => {
    const meta = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`k${i}`, i]));
    const res = await u.req({ method: 'POST', url: '/api/v1/messages/', body: { thread, body: 'x', meta } });
    expect(res.statusCode).toBe(400);
    expectDrf(res.json());
  });
});

describe('prototype keys', () => {
  it.each(['/api/v1/auth/login/', '/api/v1/auth/register/', '/api/v1/posts/'])('"__proto__" / "constructor" keys on %s → 400 in DRF shape', async (url) => {
    for (const payload of ['{"__proto__":{"x":1},"email":"a@b.co","password":"x"}', '{"constructor":{"prototype":1},"email":"a@b.co","password":"x"}', '{"constructor":1}']) {
      const res = await u.req({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).toBe(400);
      expectDrf(res.json());
    }
  });
});

describe('malformed multipart', () => {
  it('without a boundary → 400 parse_error', async () => {
    const res = await u.req({ method: 'POST', url: '/api/v1/posts/', payload: 'garbage', headers: { 'content-type': 'multipart/form-data' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('parse_error');
  });
  it('truncated → 400', async () => {
    const b = 'XyZ';
    const payload = Buffer.concat([Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="images"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`), PNG.subarray(0, 20)]);
    for (const url of ['/api/v1/posts/', '/api/v1/comments/', `/api/v1/threads/${thread}/messages/`, '/api/v1/media/']) {
      const res = await u.req({ method: 'POST', url, payload, headers: { 'content-type': `multipart/form-data; boundary=${b}` } });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expectDrf(res.json());
    }
  });
});

describe('URLs, ids, headers and /ws', () => {
  it('malformed percent-encoding → 400 in DRF shape', async () => {
    for (const url of ['/api/v1/users/%E0%A4%A/', '/api/v1/posts/%/', '/api/v1/posts/%ZZ/']) {
      const res = await u.req({ url });
      expect(res.statusCode, url).toBe(400);
      expectDrf(res.json());
    }
    // Query strings are decoded leniently; whatever comes out is validated like any value.
    const q = await u.req({ url: '/api/v1/users/?q=%E0%A4%A' });
    expect(q.statusCode).toBe(200);
  });
  it('over-long and out-of-range ids → 400/404 in DRF shape', async () => {
    for (const url of [`/api/v1/users/${'9'.repeat(300)}/`, `/api/v1/posts/${'1'.repeat(30)}/`, '/api/v1/posts/-1/', '/api/v1/posts/1e3/']) {
      const res = await u.req({ url });
      expect([400, 404]).toContain(res.statusCode);
      expectDrf(res.json());
    }
  });
  it('over-large headers → 431 with a DRF body', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const { port } = new URL(base);
      const s = net.connect(Number(port), '127.0.0.1', () => s.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`));
      let out = '';
      s.on('data', (d) => (out += d));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 431/);
    expectDrf(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)));
  });
  it('GET /ws without an upgrade → 4xx in DRF shape (with or without a token)', async () => {
    for (const url of ['/ws', `/ws?token=${u.token}`]) {
      const res = await fetch(base + url);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expectDrf(await res.json());
    }
    const post = await fetch(`${base}/ws?token=x`, { method: 'POST' });
    expect(post.status).toBe(404);
    expectDrf(await post.json());
  });
});
