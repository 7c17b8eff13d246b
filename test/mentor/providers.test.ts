// The mentor against real local LLM servers: OpenAI-compatible (SSE through the openai SDK) and
// Ollama (NDJSON). Covers BYO keys, failures, timeouts, client disconnects and live relaying.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { frames, startOllamaFake, startOpenAiFake, type FakeLlm } from './fakes.js';

const history = async (u: TestUser) => (await u.req({ url: '/api/v1/mentor/history/?page_size=100' })).json().results as { role: string; content: string; session_id: number }[];

describe('openai provider', () => {
  let fake: FakeLlm;
  let t: TestApp;
  let u: TestUser;
  beforeAll(async () => {
    fake = await startOpenAiFake();
    t = await createTestApp({ MENTOR_LLM_PROVIDER: 'openai', MENTOR_LLM_BASE_URL: fake.url, MENTOR_LLM_MODEL: 'test-model', OPENAI_API_KEY: 'server-key', MENTOR_LLM_TIMEOUT: '2' });
    u = await t.user();
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('posts <base>/chat/completions with stream and model, skipping role-only and usage chunks', async () => {
    fake.behaviour = 'ok';
    fake.requests.length = 0;
    const res = await u.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'hello there', mode: 'chat_mentor', language: 'ka' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().reply).toBe('Hello from the fake model.');
    expect(fake.requests).toHaveLength(1);
    const r = fake.requests[0];
    expect(r.path).toBe('/v1/chat/completions');
    expect(r.authorization).toBe('Bearer server-key');
    expect(r.body).toMatchObject({ model: 'test-model', stream: true });
    const msgs = r.body.messages as { role: string; content: string }[];
    expect(msgs[0].role).toBe('system');
    expect(msgs[0].content).toMatch(/ქართულად/);
    expect(msgs.at(-1)).toEqual({ role: 'user', content: 'hello there' });
    expect(JSON.stringify(msgs)).not.toContain(u.email);
  });

  it('uses X-LLM-Key as the Bearer key in sync, stream and async paths and never stores it', async () => {
    fake.behaviour = 'ok';
    fake.requests.length = 0;
    const key = 'sk-user-secret-123456';
    await u.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'sync with key' }, headers: { 'x-llm-key': key } });
    const stream = await u.req({ url: '/api/v1/mentor/stream/?message=stream%20with%20key', headers: { 'x-llm-key': key, accept: 'text/event-stream' } });
    expect(frames(stream.body).at(-1)?.event).toBe('end');
    const payloads: unknown[] = [];
    const enqueue = t.ctx.queue.enqueue.bind(t.ctx.queue);
    t.ctx.queue.enqueue = async (name, data, opts) => {
      payloads.push(data);
      return enqueue(name, data, opts);
    };
    try {
      const a = await u.req({ method: 'POST', url: '/api/v1/mentor/chat/?async=true', body: { message: 'async with key' }, headers: { 'x-llm-key': key } });
      expect(a.statusCode).toBe(202);
      expect(JSON.stringify(a.json())).not.toContain(key);
      expect(JSON.stringify(payloads)).not.toContain(key);
      expect(JSON.stringify(payloads)).toContain('sealedKey');
      await t.drain();
      expect((await u.req({ url: a.json().task_status_url })).json().status).toBe('ready');
    } finally {
      t.ctx.queue.enqueue = enqueue;
    }
    expect(fake.requests.map((r) => r.authorization)).toEqual([`Bearer ${key}`, `Bearer ${key}`, `Bearer ${key}`]);
    const stored = await t.ctx.db.execute(sql`select count(*)::int as n from mentor_messages where content like ${'%' + key + '%'} or meta::text like ${'%' + key + '%'}`);
    const jobs = await t.ctx.db.execute(sql`select count(*)::int as n from mentor_jobs where params::text like ${'%' + key + '%'}`);
    const rows = (r: unknown) => ((r as { rows?: { n: number }[] }).rows ?? (r as { n: number }[]))[0].n;
    expect(rows(stored)).toBe(0);
    expect(rows(jobs)).toBe(0);
  });

  it('a provider that is down: sync 502, async failed, stream error frame; the user message is kept', async () => {
    fake.behaviour = 'down';
    const sync = await u.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'are you there?', mode: 'down_mode' } });
    expect(sync.statusCode).toBe(502);
    expect(typeof sync.json().detail).toBe('string');
    expect((await history(u)).some((m) => m.content === 'are you there?' && m.role === 'user')).toBe(true);
    const a = await u.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'async down' }, headers: { 'x-async': 'true' } });
    await t.drain();
    const status = (await u.req({ url: a.json().task_status_url })).json();
    expect(status.status).toBe('failed');
    const s = await u.req({ url: '/api/v1/mentor/stream/?message=stream%20down&mode=down_mode' });
    expect(s.statusCode).toBe(200);
    const f = frames(s.body);
    expect(f[0].event).toBe('start');
    expect(f.at(-1)).toMatchObject({ event: 'error' });
    expect(f.some((x) => x.event === 'end')).toBe(false);
    // 401 from the provider (bad key) is a 502 too, not a 401 that would log the app out.
    fake.behaviour = 'unauthorized';
    expect((await u.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'bad key' }, headers: { 'x-llm-key': 'wrong' } })).statusCode).toBe(502);
  });

  it('a silent provider ends in 502 / an error frame (MENTOR_LLM_TIMEOUT bounds the call)', async () => {
    fake.behaviour = 'silent';
    const sync = await u.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'slow one' } });
    expect(sync.statusCode).toBe(502);
    expect(sync.json().detail).toMatch(/timed out/);
    const s = await u.req({ url: '/api/v1/mentor/stream/?message=slow%20stream' });
    expect(frames(s.body).at(-1)).toEqual({ event: 'error', detail: 'Stream timed out.' });
  });

  it('garbage and a mid-stream close are errors; nothing half-written is stored', async () => {
    fake.behaviour = 'garbage';
    expect((await u.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'garbage please', mode: 'g' } })).statusCode).toBe(502);
    fake.behaviour = 'midclose';
    const s = await u.req({ url: '/api/v1/mentor/stream/?message=cut%20me&mode=g' });
    const f = frames(s.body);
    expect(f.map((x) => x.event)).toEqual(['start', 'token', 'error']);
    expect(f[1].delta).toBe('Hello');
    const h = await history(u);
    expect(h.some((m) => m.role === 'mentor' && m.content.startsWith('Hello') && m.session_id === f[0].session_id)).toBe(false);
    expect(h.some((m) => m.role === 'user' && m.content === 'cut me')).toBe(true);
  });

  it('relays tokens while the provider is still producing, and a gone client aborts upstream', async () => {
    const gated = await startOpenAiFake();
    const t2 = await createTestApp({ MENTOR_LLM_PROVIDER: 'openai', MENTOR_LLM_BASE_URL: gated.url, MENTOR_LLM_TIMEOUT: '30' });
    try {
      gated.behaviour = 'gated';
      const v = await t2.user();
      await t2.app.listen({ port: 0, host: '127.0.0.1' });
      const port = (t2.app.server.address() as AddressInfo).port;
      const ac = new AbortController();
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/mentor/stream/?message=live&mode=chat_mentor`, { headers: { authorization: `Bearer ${v.token}`, accept: 'text/event-stream' }, signal: ac.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('"event":"token"')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      // The first token arrived while the provider is held at the gate: nothing is buffered.
      expect(frames(text).map((x) => x.event)).toEqual(['start', 'token']);
      ac.abort();
      await gated.upstreamClosed;
      gated.release();
      await t2.drain();
      const msgs = (await v.req({ url: '/api/v1/mentor/history/' })).json().results;
      expect(msgs.map((m: { role: string }) => m.role)).toEqual(['user']);
      // The app's fallback POST still gets a full reply for the same message.
      gated.behaviour = 'ok';
      const chat = await v.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'live', mode: 'chat_mentor' } });
      expect(chat.json().reply).toBe('Hello from the fake model.');
      expect((await v.req({ url: '/api/v1/mentor/history/' })).json().results.map((m: { role: string }) => m.role)).toEqual(['mentor', 'user']);
    } finally {
      await t2.close();
      await gated.close();
    }
  });

  it('a repeated stream or chat of the last exchange reuses the stored reply without a second call', async () => {
    fake.behaviour = 'ok';
    const s = await u.req({ url: '/api/v1/mentor/stream/?message=only%20once&mode=once' });
    expect(frames(s.body).at(-1)?.event).toBe('end');
    const calls = fake.requests.length;
    const again = await u.req({ url: '/api/v1/mentor/stream/?message=only%20once&mode=once' });
    expect(frames(again.body).filter((x) => x.event === 'token').map((x) => x.delta).join('')).toBe('Hello from the fake model.');
    const chat = await u.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'only once', mode: 'once' } });
    expect(chat.json().reply).toBe('Hello from the fake model.');
    expect(fake.requests.length).toBe(calls);
  });
});

describe('ollama provider', () => {
  let fake: FakeLlm;
  let t: TestApp;
  let u: TestUser;
  beforeAll(async () => {
    fake = await startOllamaFake();
    t = await createTestApp({ MENTOR_LLM_PROVIDER: 'ollama', MENTOR_LLM_BASE_URL: fake.url, MENTOR_LLM_MODEL: 'llama-test', MENTOR_LLM_TIMEOUT: '2' });
    u = await t.user();
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('streams NDJSON from /api/chat', async () => {
    fake.behaviour = 'ok';
    const s = await u.req({ url: '/api/v1/mentor/stream/?message=hey&language=ru' });
    const f = frames(s.body);
    expect(f.filter((x) => x.event === 'token').map((x) => x.delta)).toEqual(fake.tokens);
    expect(f.at(-1)?.event).toBe('end');
    expect(fake.requests[0]).toMatchObject({ path: '/api/chat', body: { model: 'llama-test', stream: true } });
    const entry = await u.req({ method: 'POST', url: '/api/v1/mentor/daily/entry/', body: { text: 'journal' } });
    expect(entry.json().reply).toBe('Hello from the fake model.');
  });

  it('garbage, a mid-stream close and a silent server are errors, never 500', async () => {
    for (const b of ['garbage', 'midclose', 'silent', 'down'] as const) {
      fake.behaviour = b;
      const res = await u.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: `try ${b}` } });
      expect(res.statusCode, b).toBe(502);
    }
    fake.behaviour = 'midclose';
    const f = frames((await u.req({ url: '/api/v1/mentor/stream/?message=partial' })).body);
    expect(f.map((x) => x.event)).toEqual(['start', 'token', 'error']);
  });
});

describe('limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ THROTTLE_MENTOR_RATE: '3/min', MENTOR_RPS_USER: '1', MENTOR_MAX_STREAMS_PER_USER: '1', RPS_WINDOW_MS: '60000' });
  });
  afterAll(() => t.close());

  it('MENTOR_RPS_USER answers 429 with Retry-After (JSON on chat, SSE on the stream)', async () => {
    const u = await t.user();
    // RPS_WINDOW_MS is a minute here, so both land in one window however loaded the machine is.
    const pair = await Promise.all(['one', 'two'].map((message) => u.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message } })));
    expect(pair.map((r) => r.statusCode).sort()).toEqual([200, 429]);
    const second = pair.find((r) => r.statusCode === 429)!;
    expect(second.json().detail).toBe('Rate limit exceeded.');
    expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const streams = await Promise.all(['a', 'b', 'c'].map((m) => u.req({ url: `/api/v1/mentor/stream/?message=${m}` })));
    const s = streams.find((r) => r.statusCode === 429)!;
    expect(s).toBeDefined();
    expect(s.headers['content-type']).toBe('text/event-stream');
    expect(s.headers['retry-after']).toBeDefined();
    expect(frames(s.body)[0].event).toBe('error');
  });

  it('the mentor scope (THROTTLE_MENTOR_RATE) answers 429 with Retry-After', async () => {
    // The scope counts per user and per client IP: a fresh app so the first test's calls do not count.
    await t.close();
    t = await createTestApp({ THROTTLE_MENTOR_RATE: '3/min' });
    const u = await t.user();
    for (let i = 0; i < 3; i++) expect((await u.req({ url: '/api/v1/mentor/sessions/' })).statusCode).toBe(200);
    const r = await u.req({ url: '/api/v1/mentor/sessions/' });
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBeDefined();
    // Unscoped mentor endpoints are not counted.
    expect((await u.req({ url: '/api/v1/mentor/history/' })).statusCode).toBe(200);
  });
});
