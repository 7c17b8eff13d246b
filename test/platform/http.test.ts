import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { accessLine, createLogger, gathered, lazyChildLogger } from '../../src/platform/log.js';
import { routeSchemas } from '../../src/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ METRICS_TOKEN: 'metrics-secret' });
});
afterAll(async () => t?.close());

describe('HTTP plumbing', () => {
  it('matches paths with and without the trailing slash, without redirects', async () => {
    const u = await t.user();
    for (const url of ['/api/v1/users/me/', '/api/v1/users/me']) {
      const r = await u.req({ url });
      expect(r.statusCode).toBe(200);
    }
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/login', body: { email: u.email, password: u.password } })).statusCode).toBe(200);
  });

  it('answers unknown routes with a DRF 404 body and echoes the request id', async () => {
    const r = await t.request({ url: '/api/v1/nope/', headers: { 'x-request-id': 'req-123' } });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ detail: 'Not found.', code: 'not_found' });
    expect(r.headers['x-request-id']).toBe('req-123');
    const generated = await t.request({ url: '/health', headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('/health reports the database and cache', async () => {
    const r = await t.request({ url: '/health' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: 'ok', database: 'ok' });
    expect((await t.request({ url: '/api/v1/health/' })).statusCode).toBe(200);
  });

  it('/metrics is Prometheus text behind METRICS_TOKEN', async () => {
    expect((await t.request({ url: '/metrics' })).statusCode).toBe(401);
    const r = await t.request({ url: '/metrics', headers: { authorization: 'Bearer metrics-secret' } });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('http_request_duration_seconds');
  });

  it('/api/schema/ documents every API route with its schemas; /api/docs/ serves Swagger UI', async () => {
    const schema = (await t.request({ url: '/api/schema/' })).json();
    expect(schema.openapi).toMatch(/^3\./);
    const paths = Object.keys(schema.paths);
    for (const p of ['/api/v1/auth/login', '/api/v1/users/me', '/api/v1/users/{id}/follow', '/api/v1/me/profile', '/api/v1/profile/me', '/api/v1/devices/{id}']) expect(paths).toContain(p);
    expect(schema.paths['/api/v1/auth/register'].post.requestBody.content['application/json'].schema.required).toContain('email');
    const ui = await t.request({ url: '/api/docs/' });
    expect([200, 302]).toContain(ui.statusCode);
  });

  it("every route's request and response schemas compile (they compile lazily, on first use)", () => {
    const schemas = routeSchemas(t.app);
    expect(schemas.pendingCount).toBeGreaterThan(100);
    schemas.compileAll();
    expect(schemas.pendingCount).toBe(0);
  });
});

describe('rate limits', () => {
  it('answer 429 with Retry-After and RateLimit headers, never 403', async () => {
    const limited = await createTestApp({ AUTH_RPS_IP: '2', THROTTLE_USER_RATE: '3/min', RPS_WINDOW_MS: '60000' }) // a minute, so a loaded machine cannot split the burst;
    try {
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) codes.push((await limited.request({ method: 'POST', url: '/api/v1/auth/login/', body: { email: 'x@y.io', password: 'whatever1' } })).statusCode);
      expect(codes).toEqual([400, 400, 429]);
      const last = await limited.request({ method: 'POST', url: '/api/v1/auth/login/', body: { email: 'x@y.io', password: 'whatever1' } });
      expect(last.statusCode).toBe(429);
      expect(last.json()).toMatchObject({ code: 'throttled' });
      expect(Number(last.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(last.headers['ratelimit-limit']).toBe('2');
      expect(last.headers['ratelimit-remaining']).toBe('0');
      expect(String(last.headers['ratelimit-policy'])).toContain('name="auth"');

      const ok = await limited.ctx.services.users.createUser({ email: 'rl@example.com', password: 'password123', name: 'R' });
      const tokens = await limited.ctx.services.users.issueTokens(ok.id);
      const user = [];
      for (let i = 0; i < 4; i++) user.push(await limited.request({ url: '/api/v1/users/me/', token: tokens.token }));
      expect(user.map((r) => r.statusCode)).toEqual([200, 200, 200, 429]);
      // Headers once the tightest bucket is more than half used: not with 2 of 3 left, with 1 of 3.
      expect(user[0].headers['ratelimit-remaining']).toBeUndefined();
      expect(user[1].headers['ratelimit-remaining']).toBe('1');
      expect(user[1].headers['ratelimit-limit']).toBe('3');
      expect(user[3].headers['ratelimit-remaining']).toBe('0');
    } finally {
      await limited.close();
    }
  });
});

describe('logging', () => {
  it('never writes authorization headers, passwords or tokens', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const log = createLogger('info', sink);
    log.info({ req: { headers: { authorization: 'Bearer secret-token', 'x-llm-key': 'sk-123' } } }, 'request');
    log.info({ password: 'hunter22', refreshToken: 'r-tok', body: { password: 'x' } }, 'oops');
    const out = lines.join('\n');
    expect(out).not.toContain('secret-token');
    expect(out).not.toContain('sk-123');
    expect(out).not.toContain('hunter22');
    expect(out).not.toContain('r-tok');
    expect(out).toContain('[redacted]');
  });

  it('writes an access line as pino writes the same fields, scrubbed, and none below its level', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const log = createLogger('info', sink);
    const f = { reqId: 'r-1', method: 'GET', url: '/api/v1/users/me/?token=abc&x="q"', host: 'h:1', remoteAddress: '127.0.0.1', remotePort: 5000, statusCode: 200, responseTime: 1.25 };
    accessLine(log)(f);
    log.info({ reqId: f.reqId, req: { method: f.method, url: f.url, host: f.host, remoteAddress: f.remoteAddress, remotePort: f.remotePort }, res: { statusCode: 200 }, responseTime: 1.25 }, 'request completed');
    accessLine(log)({ ...f, remotePort: undefined, responseTime: Number.NaN });
    const quiet = createLogger('warn', sink);
    accessLine(quiet)(f);
    await new Promise<void>((resolve) => sink.end(resolve));
    const [ours, pinos, bare, more] = lines.join('').trim().split('\n');
    expect(more).toBeUndefined();
    const untimed = (l: string) => l.replace(/"time":"[^"]+"/, '"time":""');
    expect(untimed(ours)).toBe(untimed(pinos));
    expect(ours).not.toContain('abc');
    expect(JSON.parse(ours)).toMatchObject({ level: 30, service: 'selflink', reqId: 'r-1', req: { url: '/api/v1/users/me/?token=[redacted]&x="q"' }, msg: 'request completed' });
    expect(JSON.parse(bare)).toMatchObject({ req: { host: 'h:1' }, responseTime: null });
    expect(JSON.parse(bare).req).not.toHaveProperty('remotePort');
  });

  it('gathers lines into whole batches, handed on when full, after a while, or when asked', async () => {
    vi.useFakeTimers();
    try {
      const writes: string[] = [];
      const g = gathered({ write: (s: string) => writes.push(s) }, 120, 200);
      const line = (i: number) => `{"n":${i},"pad":"${'x'.repeat(20)}"}\n`; // 37 characters: three to a batch
      for (let i = 0; i < 7; i++) g.write(line(i));
      expect(writes).toEqual([line(0) + line(1) + line(2), line(3) + line(4) + line(5)]);
      vi.advanceTimersByTime(199);
      expect(writes).toHaveLength(2);
      vi.advanceTimersByTime(1);
      expect(writes).toEqual([line(0) + line(1) + line(2), line(3) + line(4) + line(5), line(6)]);
      g.write('x'.repeat(150) + '\n'); // longer than a batch: alone
      g.write(line(7));
      g.flush();
      expect(writes.slice(3)).toEqual(['x'.repeat(150) + '\n', line(7)]);
      vi.advanceTimersByTime(1000);
      expect(writes).toHaveLength(5);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a request's own lines carry its id and are redacted like every line (its logger is made on the first line)", async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const log = createLogger('info', sink);
    const req = lazyChildLogger(log, { reqId: 'req-7' }, {});
    expect(req.level).toBe('info');
    expect(req.isLevelEnabled('debug')).toBe(false);
    req.debug('not written');
    req.warn({ password: 'hunter22', body: { password: 'x' } }, 'slow');
    req.child({ part: 'upload' }).error('failed');
    await new Promise<void>((resolve) => sink.end(resolve)); // the log is asynchronous: its end is the barrier
    const parsed = lines.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((l) => [l.msg, l.reqId, l.level])).toEqual([['slow', 'req-7', 40], ['failed', 'req-7', 50]]);
    expect(parsed[1].part).toBe('upload');
    expect(lines.join('')).not.toContain('hunter22');
  });
});
