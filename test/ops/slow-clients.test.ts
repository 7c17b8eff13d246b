// Faults lose nothing (issue 14 item 4): a client that stops reading is dropped once its server-side
// buffer passes the cap (REALTIME_MAX_BUFFERED_BYTES on the socket, SSE_MAX_BUFFERED_BYTES on the
// mentor stream), while a client reading the same traffic at the same time gets all of it. The slow
// clients are real TCP connections that pause reading; the kernel buffers fill first, then the app's.
import { createRequire } from 'node:module';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { startGateway } from '../realtime/ws-client.js';
import { wireChannel } from '../../src/realtime/service.js';
import { waitFor } from '../support/engines.js';
import { startOpenAiFake, type FakeLlm } from '../mentor/fakes.js';

interface RawWs {
  on(ev: 'message', l: (data: Buffer) => void): void;
  on(ev: 'close', l: (code: number) => void): void;
  on(ev: 'open' | 'error', l: (arg?: unknown) => void): void;
  pause(): void;
  resume(): void;
  close(): void;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string) => RawWs;

const FRAME_BYTES = 64 * 1024;
const FRAMES = 256; // 16 MiB: more than loopback's socket buffers hold

/** A socket that counts frames and can stop reading; `upTo(n)` resolves once n frames arrived. */
function socket(url: string) {
  const ws = new WebSocket(url);
  let count = 0;
  let ack!: () => void;
  const acked = new Promise<void>((r) => (ack = r));
  const waiters: { n: number; resolve: () => void }[] = [];
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString());
    if (f.type === 'flood') count++;
    if (f.type === 'ack') ack();
    for (const w of waiters.splice(0)) if (count >= w.n) w.resolve();
    else waiters.push(w);
  });
  ws.on('error', () => undefined);
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  return { ws, acked, closed, count: () => count, upTo: (n: number) => new Promise<void>((resolve) => (count >= n ? resolve() : waiters.push({ n, resolve }))) };
}

describe('slow clients are dropped without hurting others', () => {
  let t: TestApp;
  let fake: FakeLlm;
  let user: TestUser;
  let other: TestUser;
  let apiPort: number;
  let gw: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    fake = await startOpenAiFake();
    t = await createTestApp({
      REALTIME_MAX_BUFFERED_BYTES: String(256 * 1024),
      SSE_MAX_BUFFERED_BYTES: String(256 * 1024),
      MENTOR_LLM_PROVIDER: 'openai',
      MENTOR_LLM_BASE_URL: fake.url,
      MENTOR_LLM_TIMEOUT: '30',
      // A stream that cannot write for one heartbeat interval is dropped.
      MENTOR_SSE_HEARTBEAT_MS: '500',
    });
    user = await t.user();
    other = await t.user();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    apiPort = (t.app.server.address() as AddressInfo).port;
    gw = await startGateway(t.ctx);
  }, 60_000);

  afterAll(async () => {
    await gw?.app.close();
    await t?.close();
    await fake?.close();
  });

  it('WebSocket: the paused socket is closed 1013; the reading one receives every frame', async () => {
    const slow = socket(gw.url(`token=${encodeURIComponent(user.token)}`));
    const good = socket(gw.url(`token=${encodeURIComponent(user.token)}`));
    // Both are subscribed once the gateway acknowledged them (the ack is their first frame).
    await Promise.all([slow.acked, good.acked]);
    slow.ws.pause();
    const pad = 'x'.repeat(FRAME_BYTES);
    const startedAt = performance.now();
    // Paced by the reading client (one frame in flight), as a client keeping up with its traffic.
    for (let i = 0; i < FRAMES; i++) {
      await t.ctx.pubsub.publish(wireChannel(`user:${user.id}`), JSON.stringify({ type: 'flood', seq: i, pad }));
      await good.upTo(i + 1);
    }
    const goodDoneAt = performance.now();
    slow.ws.resume();
    expect(await slow.closed).toBe(1013);
    expect(slow.count()).toBeLessThan(FRAMES);
    expect(good.count()).toBe(FRAMES);
    good.ws.close();
    await good.closed;
    console.log(`slow clients: websocket — the reading client got all ${FRAMES} × 64 KiB frames in ${Math.round(goodDoneAt - startedAt)} ms; the paused one was dropped after ${slow.count()}`);
  }, 60_000);

  it('SSE (mentor stream): a paused client holds nothing up; its stream finishes server-side, the reading one is not delayed', async () => {
    // Replies are capped at 32,000 characters (mentor service), so a whole reply fits in the socket
    // buffers of a client that reads nothing: the stream ends and frees its slot regardless. The drop
    // (SSE_MAX_BUFFERED_BYTES, or no progress for one heartbeat interval) guards the remaining case of a
    // client behind a connection whose buffers are smaller than that.
    fake.tokens = Array.from({ length: 60 }, (_, i) => `${i}:${'y'.repeat(500)} `);
    const path = '/api/v1/mentor/stream/?message=a%20long%20answer&mode=chat_mentor';
    const slow = net.connect(apiPort, '127.0.0.1');
    slow.pause();
    await new Promise((r) => slow.once('connect', r));
    slow.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${user.token}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n`);
    let slowBody = '';
    slow.on('data', (d) => (slowBody += d));

    const startedAt = performance.now();
    const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, { headers: { authorization: `Bearer ${other.token}`, accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    const goodDoneAt = performance.now();
    expect(text.slice(-300)).toContain('"event":"end"');
    expect(text).toContain(`59:${'y'.repeat(16)}`);
    // The paused client's stream was finished by the server without it reading a byte: once it reads,
    // it finds the whole reply and the end of the response.
    slow.resume();
    await waitFor('the paused client reads the end frame', () => slowBody.includes('"event":"end"'));
    expect(slowBody).toContain('200 OK');
    slow.destroy();
    console.log(`slow clients: SSE — the reading client got its ${(text.length / 1024).toFixed(0)} KiB reply in ${Math.round(goodDoneAt - startedAt)} ms beside a paused one`);
  }, 60_000);
});
