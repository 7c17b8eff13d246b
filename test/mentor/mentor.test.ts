// Mentor endpoints with the embedded mock provider: chat, async tasks, journal, readings, tasks, profile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { frames } from './fakes.js';
import { countQueries } from '../../src/platform/db/query-count.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  alice = await t.user();
  bob = await t.user();
});
afterAll(() => t.close());

describe('POST mentor/chat/', () => {
  it('is sync by default and returns reply, message, session_id and mode', async () => {
    const res = await alice.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'I feel stuck at work', mode: 'chat_mentor', language: 'en' } });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(typeof b.reply).toBe('string');
    expect(b.reply.length).toBeGreaterThan(10);
    expect(b.message).toBe(b.reply);
    expect(b.mode).toBe('chat_mentor');
    expect(typeof b.session_id).toBe('number');
    const again = await alice.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'And now?', mode: 'chat_mentor', language: 'en-US' } });
    expect(again.json().session_id).toBe(b.session_id); // one session per (user, mode, language)
    const other = await alice.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'Hi', mode: 'natal_mentor', language: 'xx' } });
    expect(other.json().session_id).not.toBe(b.session_id);
  });

  it('defaults mode to daily_mentor and falls back to English for unknown languages', async () => {
    const res = await alice.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'hello', language: 'zz-ZZ' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().mode).toBe('daily_mentor');
    expect(res.json().language).toBe('en');
  });

  it('rejects bad input with 400s, never 500', async () => {
    const url = '/api/v1/mentor/chat/';
    const empty = await alice.req({ method: 'POST', url, body: { message: '   ' } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().detail).toBe('Message is required.');
    expect((await alice.req({ method: 'POST', url, body: {} })).statusCode).toBe(400);
    const nonString = await alice.req({ method: 'POST', url, body: { message: 42 } });
    expect(nonString.statusCode).toBe(400);
    expect(nonString.json()).toHaveProperty('message');
    const huge = await alice.req({ method: 'POST', url, body: { message: 'x'.repeat(100_000) } });
    expect(huge.statusCode).toBe(400);
    expect(huge.json()).toHaveProperty('message');
    const mode = await alice.req({ method: 'POST', url, body: { message: 'hi', mode: 'm'.repeat(33) } });
    expect(mode.statusCode).toBe(400);
    expect(mode.json()).toHaveProperty('mode');
    const bad = await alice.req({ method: 'POST', url, payload: '{"message": ', headers: { 'content-type': 'application/json' } });
    expect(bad.statusCode).toBe(400);
    expect((await t.request({ method: 'POST', url, body: { message: 'hi' } })).statusCode).toBe(401);
  });

  it('async on request: 202 before the provider runs, then pending → ready through the queue', async () => {
    const res = await alice.req({ method: 'POST', url: '/api/v1/mentor/chat/?async=true', body: { message: 'async please', mode: 'chat_mentor' } });
    expect(res.statusCode).toBe(202);
    const b = res.json();
    expect(b.task_status_url).toBe(`/api/v1/mentor/task-status/${b.task_id}/`);
    expect(typeof b.session_id).toBe('number');
    const pending = await alice.req({ url: b.task_status_url });
    expect(pending.json()).toEqual({ task_id: b.task_id, status: 'pending' });
    expect((await bob.req({ url: b.task_status_url })).statusCode).toBe(404);
    expect((await alice.req({ url: '/api/v1/mentor/task-status/nope/' })).statusCode).toBe(404);
    await t.drain();
    const ready = (await alice.req({ url: b.task_status_url })).json();
    expect(ready.status).toBe('ready');
    expect(ready.message).toMatchObject({ session_id: b.session_id, role: 'mentor' });
    expect(ready.message.content.length).toBeGreaterThan(0);
    expect(Object.keys(ready.message).sort()).toEqual(['content', 'created_at', 'id', 'meta', 'role', 'session_id']);
    expect(ready.session).toMatchObject({ id: b.session_id, mode: 'chat_mentor' });
    const viaHeader = await alice.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'header async' }, headers: { 'x-async': 'true' } });
    expect(viaHeader.statusCode).toBe(202);
    const forcedSync = await alice.req({ method: 'POST', url: '/api/v1/mentor/chat/?async=true', body: { message: 'sync wins' }, headers: { 'x-sync': '1' } });
    expect(forcedSync.statusCode).toBe(200);
    await t.drain();
  });
});

describe('GET mentor/stream/', () => {
  it('answers 200 text/event-stream to Accept: text/event-stream with start, tokens and end', async () => {
    const res = await alice.req({ url: `/api/v1/mentor/stream/?message=${encodeURIComponent('Streaming hello')}&mode=chat_mentor&language=ka`, headers: { accept: 'text/event-stream' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['x-accel-buffering']).toBe('no');
    expect(res.headers['cache-control']).toContain('no-cache');
    expect(res.body).not.toMatch(/^event:/m);
    const f = frames(res.body);
    expect(f[0]).toMatchObject({ event: 'start', mode: 'chat_mentor' });
    const tokens = f.filter((x) => x.event === 'token');
    expect(tokens.length).toBeGreaterThan(2);
    expect(f.at(-1)).toEqual({ event: 'end', session_id: f[0].session_id });
    // The app's fallback POST with the same text returns the stored reply.
    const chat = await alice.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: 'Streaming hello', mode: 'chat_mentor', language: 'ka' } });
    expect(chat.json().reply).toBe(tokens.map((x) => x.delta).join('').trim());
    expect(chat.json().session_id).toBe(f[0].session_id);
    const hist = (await alice.req({ url: '/api/v1/mentor/history/' })).json();
    expect(hist.results.filter((m: any) => m.content === 'Streaming hello')).toHaveLength(1);
  });

  it('answers an empty or oversized message with a single SSE error frame', async () => {
    const res = await alice.req({ url: '/api/v1/mentor/stream/?message=%20', headers: { accept: 'text/event-stream' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(frames(res.body)).toEqual([{ event: 'error', detail: 'Message is required.' }]);
    const big = await alice.req({ url: `/api/v1/mentor/stream/?message=${'a'.repeat(5000)}` });
    expect(big.statusCode).toBe(400);
    const mode = await alice.req({ url: `/api/v1/mentor/stream/?message=hi&mode=${'m'.repeat(40)}` });
    expect(frames(mode.body)[0].event).toBe('error');
    expect((await t.request({ url: '/api/v1/mentor/stream/?message=hi' })).statusCode).toBe(401);
  });
});

describe('GET mentor/history/', () => {
  it('pages newest first with a next URL usable verbatim, own messages only', async () => {
    const u = await t.user();
    for (let i = 0; i < 3; i++) await u.req({ method: 'POST', url: '/api/v1/mentor/chat/', body: { message: `note ${i}`, mode: 'chat_mentor' } });
    const first = (await u.req({ url: '/api/v1/mentor/history/?page_size=4' })).json();
    expect(first.results).toHaveLength(4);
    expect(first.results[0].role).toBe('mentor');
    expect(first.results[1]).toMatchObject({ role: 'user', content: 'note 2' });
    expect(first.previous).toBeNull();
    const next = new URL(first.next);
    const second = (await u.req({ url: next.pathname + next.search })).json();
    expect(second.results).toHaveLength(2);
    expect(second.next).toBeNull();
    const ids = new Set([...first.results, ...second.results].map((m: any) => m.id));
    expect(ids.size).toBe(6);
    expect((await bob.req({ url: '/api/v1/mentor/history/' })).json().results).toHaveLength(0);
    expect((await u.req({ url: '/api/v1/mentor/history/?cursor=garbage' })).statusCode).toBe(400);
  });
});

describe('daily journal', () => {
  it('daily/entry (sync) → reply; history and session detail with entry and reply', async () => {
    const res = await alice.req({ method: 'POST', url: '/api/v1/mentor/daily/entry/', body: { text: 'Today I finally rested.', language: 'ru-RU' } });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b).toMatchObject({ entry: 'Today I finally rested.', language: 'ru', meta: { user_flags: {}, mentor_flags: {} } });
    expect(b.reply.length).toBeGreaterThan(0);
    expect(b.messages.map((m: any) => m.role)).toEqual(['user', 'assistant']);
    expect(b.date).toBe(new Date().toISOString().slice(0, 10));
    await alice.req({ method: 'POST', url: '/api/v1/mentor/daily/entry/', body: { text: 'Older day', date: '2024-01-02' } });
    const hist = (await alice.req({ url: '/api/v1/mentor/daily/history/?limit=1' })).json();
    expect(hist.results).toHaveLength(1);
    expect(hist.results[0]).toMatchObject({ session_id: b.session_id, entry_preview: 'Today I finally rested.' });
    const detail = (await alice.req({ url: `/api/v1/mentor/daily/session/${b.session_id}/` })).json();
    expect(detail).toMatchObject({ session_id: b.session_id, entry: 'Today I finally rested.', reply: b.reply });
    expect(detail.messages.map((m: any) => m.role)).toEqual(['user', 'mentor']);
    expect((await bob.req({ url: `/api/v1/mentor/daily/session/${b.session_id}/` })).statusCode).toBe(404);
    expect((await alice.req({ url: '/api/v1/mentor/daily/session/abc/' })).statusCode).toBe(404);
    const card = await t.ctx.services.mentor.insightCard(alice.id);
    expect(card).toEqual({ title: "Today's insight", subtitle: expect.any(String), cta: 'Open mentor' });
    expect(b.reply.startsWith(card!.subtitle.replace(/…$/, ''))).toBe(true);
  });

  it("the feed's card is read from PostgreSQL once, then from the cache, and follows every new answer", async () => {
    const carol = await t.user();
    const cardOnFeed = async () => (await carol.req({ url: '/api/v1/feed/home/' })).json().items.find((i: { type: string }) => i.type === 'mentor_insight')?.mentor.subtitle as string;
    const placeholder = await cardOnFeed();
    expect(placeholder).toMatch(/not ready yet/);
    const warm = await countQueries(() => t.ctx.services.mentor.insightCard(carol.id));
    expect(warm.result!.subtitle).toBe(placeholder);
    expect(warm.queries).toBe(0);
    // An async entry: the card is read (and cached) between the entry and the job's answer.
    const task = await t.holdJobs(async () => {
      const entry = (await carol.req({ method: 'POST', url: '/api/v1/mentor/daily/entry/?async=true', body: { text: 'A calm morning.' } })).json();
      expect(await cardOnFeed()).toBe(placeholder);
      return entry;
    });
    const first = (await carol.req({ url: `/api/v1/mentor/task-status/${task.task_id}/` })).json().message.content as string;
    expect(first.startsWith((await cardOnFeed()).replace(/…$/, ''))).toBe(true);
    // sessions/ask writes its answer in a transaction of its own.
    const asked = (await carol.req({ method: 'POST', url: '/api/v1/mentor/sessions/ask/', body: { text: 'What should I focus on?' } })).json();
    expect(asked.answer).toBeTruthy();
    // The daily entry's answer stays first (§4.10), read again after the write, not from the cache.
    const after = await countQueries(() => t.ctx.services.mentor.insightCard(carol.id));
    expect(after.queries).toBe(1);
    expect(first.startsWith(after.result!.subtitle.replace(/…$/, ''))).toBe(true);
  });

  it('validates entry text, date and limit', async () => {
    const url = '/api/v1/mentor/daily/entry/';
    expect((await alice.req({ method: 'POST', url, body: { text: 'x'.repeat(4097) } })).json()).toHaveProperty('text');
    expect((await alice.req({ method: 'POST', url, body: { text: '  ' } })).statusCode).toBe(400);
    expect((await alice.req({ method: 'POST', url, body: { text: 'ok', date: '2024-02-31' } })).json()).toHaveProperty('date');
    for (const l of [0, 31, 'x']) expect((await alice.req({ url: `/api/v1/mentor/daily/history/?limit=${l}` })).json()).toHaveProperty('limit');
  });

  it('daily/entry async → 202 with a task that completes', async () => {
    const res = await alice.req({ method: 'POST', url: '/api/v1/mentor/daily/entry/?async=true', body: { text: 'async entry' } });
    expect(res.statusCode).toBe(202);
    await t.drain();
    expect((await alice.req({ url: `/api/v1/mentor/task-status/${res.json().task_id}/` })).json().status).toBe('ready');
  });
});

describe('readings', () => {
  it('natal and daily answer 400 without a chart; soulmatch checks self and unknown users', async () => {
    expect((await alice.req({ method: 'POST', url: '/api/v1/mentor/natal/' })).statusCode).toBe(400);
    expect((await alice.req({ url: '/api/v1/mentor/daily/' })).statusCode).toBe(400);
    expect((await alice.req({ url: `/api/v1/mentor/soulmatch/${alice.id}/` })).statusCode).toBe(400);
    expect((await alice.req({ url: '/api/v1/mentor/soulmatch/999999999/' })).statusCode).toBe(404);
    const async = await alice.req({ url: `/api/v1/mentor/soulmatch/${bob.id}/` });
    expect(async.statusCode).toBe(202);
    await t.drain();
    expect((await alice.req({ url: async.json().task_status_url })).json().status).toBe('ready');
    const sync = await alice.req({ url: `/api/v1/mentor/soulmatch/${bob.id}/`, headers: { 'x-sync': 'true' } });
    expect(sync.statusCode).toBe(200);
    expect(sync.json()).toMatchObject({ user_id: bob.id, user: { id: bob.id }, components: {} });
    expect(Array.isArray(sync.json().tags)).toBe(true);
    expect(sync.json().mentor_text.length).toBeGreaterThan(0);
  });

  it('natal and daily use the astro service when it is wired', async () => {
    const chart = { planets: { sun: { lon: 10, sign: 'Aries' }, moon: { lon: 40, sign: 'Taurus' } }, houses: { '1': { cusp_lon: 0, sign: 'Leo' } } };
    const services = t.ctx.services as unknown as Record<string, unknown>;
    services.astro = { chartFor: async (id: number) => (id === alice.id ? chart : null), transitsFor: async () => ({ sun_today: 'Gemini', moon_today: 'Virgo', planets: {} }) };
    try {
      const natal = await alice.req({ method: 'POST', url: '/api/v1/mentor/natal/?async=false' });
      expect(natal.statusCode).toBe(200);
      expect(natal.json().mentor_text.length).toBeGreaterThan(0);
      const daily = await alice.req({ url: '/api/v1/mentor/daily/' });
      expect(daily.statusCode).toBe(202);
      expect(daily.json().date).toBe(new Date().toISOString().slice(0, 10));
      await t.drain();
      expect((await alice.req({ url: daily.json().task_status_url })).json().status).toBe('ready');
      const dailySync = await alice.req({ url: '/api/v1/mentor/daily/', headers: { 'x-sync': 'yes' } });
      expect(Array.isArray(dailySync.json().messages)).toBe(true);
      expect((await bob.req({ method: 'POST', url: '/api/v1/mentor/natal/' })).statusCode).toBe(400);
    } finally {
      delete services.astro;
    }
  });
});

describe('sessions, tasks and profile', () => {
  it('sessions/ask → 201 with sentiment; list and detail are owner only', async () => {
    const res = await alice.req({ method: 'POST', url: '/api/v1/mentor/sessions/ask/', body: { text: 'I am so tired and stressed' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ question: 'I am so tired and stressed', sentiment: 'negative' });
    expect((await alice.req({ method: 'POST', url: '/api/v1/mentor/sessions/ask/', body: { text: ' ' } })).json()).toHaveProperty('text');
    const list = (await alice.req({ url: '/api/v1/mentor/sessions/' })).json();
    expect(list.results.some((s: any) => s.id === res.json().id)).toBe(true);
    expect((await alice.req({ url: `/api/v1/mentor/sessions/${res.json().id}/` })).statusCode).toBe(200);
    expect((await bob.req({ url: `/api/v1/mentor/sessions/${res.json().id}/` })).statusCode).toBe(404);
  });

  it('daily tasks: CRUD, today, past dates refused, owner only', async () => {
    const todayStr = new Date().toISOString().slice(0, 10);
    const created = await alice.req({ method: 'POST', url: '/api/v1/mentor/tasks/', body: { task: 'Walk', due_date: todayStr } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    expect(created.json()).toMatchObject({ task: 'Walk', due_date: todayStr, status: 'pending' });
    expect((await alice.req({ method: 'POST', url: '/api/v1/mentor/tasks/', body: { task: 'Old', due_date: '2000-01-01' } })).json()).toEqual({ due_date: ['Due date cannot be in the past'] });
    expect((await alice.req({ method: 'POST', url: '/api/v1/mentor/tasks/', body: { task: 'x', due_date: todayStr, status: 'nope' } })).statusCode).toBe(400);
    expect((await alice.req({ url: '/api/v1/mentor/tasks/today/' })).json().id).toBe(id);
    expect((await alice.req({ method: 'PATCH', url: `/api/v1/mentor/tasks/${id}/`, body: { status: 'completed' } })).json().status).toBe('completed');
    expect((await alice.req({ method: 'PUT', url: `/api/v1/mentor/tasks/${id}/`, body: { status: 'skipped' } })).statusCode).toBe(400);
    expect((await bob.req({ method: 'PATCH', url: `/api/v1/mentor/tasks/${id}/`, body: { status: 'skipped' } })).statusCode).toBe(404);
    expect((await bob.req({ url: '/api/v1/mentor/tasks/today/' })).json().task).toMatch(/breath/);
    expect((await alice.req({ url: '/api/v1/mentor/tasks/' })).json().results).toHaveLength(1);
    expect((await bob.req({ method: 'DELETE', url: `/api/v1/mentor/tasks/${id}/` })).statusCode).toBe(404);
    expect((await alice.req({ method: 'DELETE', url: `/api/v1/mentor/tasks/${id}/` })).statusCode).toBe(204);
    expect((await alice.req({ url: `/api/v1/mentor/tasks/${id}/` })).statusCode).toBe(404);
  });

  it('profile: create once, read, update, delete', async () => {
    const c = await alice.req({ method: 'POST', url: '/api/v1/mentor/profile/', body: { tone: 'direct' } });
    expect(c.statusCode).toBe(201);
    expect(c.json()).toMatchObject({ tone: 'direct', level: 'basic', preferences: {} });
    expect((await alice.req({ method: 'POST', url: '/api/v1/mentor/profile/', body: {} })).statusCode).toBe(409);
    expect((await alice.req({ method: 'POST', url: '/api/v1/mentor/profile/', body: { tone: 't'.repeat(33) } })).statusCode).toBe(400);
    const list = (await alice.req({ url: '/api/v1/mentor/profile/' })).json();
    expect(list.results).toHaveLength(1);
    const id = c.json().id;
    expect((await alice.req({ method: 'PATCH', url: `/api/v1/mentor/profile/${id}/`, body: { level: 'deep' } })).json().level).toBe('deep');
    expect((await bob.req({ url: `/api/v1/mentor/profile/${id}/` })).statusCode).toBe(404);
    expect((await alice.req({ method: 'DELETE', url: `/api/v1/mentor/profile/${id}/` })).statusCode).toBe(204);
  });
});
