// A small promise-based WebSocket test client over `ws` (no sleeps: wait for frames or close).
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../../src/app.js';
import type { Ctx } from '../../src/context.js';
import type { App } from '../../src/platform/http/app-type.js';
import { registerGateway } from '../../src/realtime/gateway.js';

interface RawWs {
  on(ev: 'message', l: (data: Buffer) => void): void;
  on(ev: 'close', l: (code: number, reason: Buffer) => void): void;
  on(ev: 'open' | 'error', l: (arg?: unknown) => void): void;
  send(data: string | Buffer): void;
  close(): void;
  readyState: number;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string) => RawWs;

export type Frame = Record<string, any>;

export class Client {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private readonly ws: RawWs;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Frame;
      this.frames.push(f);
      this.waiters = this.waiters.filter((w) => (w.pred(f) ? (w.resolve(f), false) : true));
    });
    this.ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** The first frame (already received or future) matching `pred`; rejects after a failure-guard timeout. */
  next(pred: (f: Frame) => boolean, label = 'frame', timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${label}; got ${JSON.stringify(this.frames)}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  type(type: string) {
    return this.next((f) => f.type === type, type);
  }

  send(data: string | Buffer | object) {
    this.ws.send(typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data));
  }

  close() {
    this.ws.close();
    return this.closed;
  }
}

/** A gateway (the `realtime` role) on a random port, sharing the test app's context. */
export async function startGateway(ctx: Ctx): Promise<{ app: App; url: (q: string) => string; base: string }> {
  const app = await buildApp(ctx, { api: false, extend: (a) => registerGateway(a, ctx) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return { app, base: `http://127.0.0.1:${port}`, url: (q) => `ws://127.0.0.1:${port}/ws?${q}` };
}

/** Connects and waits for the connected ack. */
export async function connect(url: string): Promise<Client> {
  const c = new Client(url);
  await c.next((f) => f.type === 'ack' && f.status === 'connected', 'connected ack');
  return c;
}
