// Unit tests of the per-process hub: backpressure and the heartbeat sweep, with fake sockets.
import { describe, expect, it } from 'vitest';
import { createHub, type Conn, type Socket } from '../../src/realtime/hub.js';
import type { Ctx } from '../../src/context.js';

function fakeSocket(bufferedAmount = 0) {
  const calls: string[] = [];
  const s: Socket & { calls: string[] } = {
    calls,
    readyState: 1,
    bufferedAmount,
    send: (d: string) => void calls.push(`send:${d}`),
    close: (code?: number) => void calls.push(`close:${code}`),
    terminate: () => void calls.push('terminate'),
    ping: () => void calls.push('ping'),
    on: () => undefined,
  };
  return s;
}

const noop = { inc: () => undefined, dec: () => undefined };
const presence: string[] = [];
const ctx = {
  log: { debug: () => undefined },
  services: { realtime: { setPresence: async (u: number, on: boolean) => void presence.push(`${u}:${on}`), refreshPresence: async () => undefined } },
} as unknown as Ctx;
const conn = (socket: Socket, userId = 1, openedAt = 0): Conn => ({ socket, userId, sid: 1, channels: new Set(), alive: true, openedAt });

describe('hub', () => {
  it('reports presence on a user\'s first socket and after the last one', () => {
    const hub = createHub(ctx, { maxBufferedBytes: 100, maxSocketsPerUser: 10 }, { sockets: noop, channels: noop });
    presence.length = 0;
    const c1 = conn(fakeSocket(), 7);
    const c2 = conn(fakeSocket(), 7);
    hub.add(c1);
    hub.add(c2);
    hub.remove(c1);
    expect(presence).toEqual(['7:true']);
    hub.remove(c2);
    expect(presence).toEqual(['7:true', '7:false']);
  });

  it('drops a slow consumer (1013) instead of buffering without bound', () => {
    const hub = createHub(ctx, { maxBufferedBytes: 100, maxSocketsPerUser: 10 }, { sockets: noop, channels: noop });
    const fast = fakeSocket(0);
    const slow = fakeSocket(1000);
    hub.send(conn(fast), 'x');
    hub.send(conn(slow), 'x');
    expect(fast.calls).toEqual(['send:x']);
    expect(slow.calls).toEqual(['close:1013']);
  });

  it('pings live sockets and terminates those that did not answer the previous ping', () => {
    const hub = createHub(ctx, { maxBufferedBytes: 100, maxSocketsPerUser: 10 }, { sockets: noop, channels: noop });
    const s = fakeSocket();
    const c = conn(s);
    hub.add(c);
    hub.sweep();
    expect(s.calls).toEqual(['ping']);
    hub.sweep(); // no pong arrived in between
    expect(s.calls).toEqual(['ping', 'terminate']);
    c.alive = true; // a pong resets the flag
    hub.sweep();
    expect(s.calls.at(-1)).toBe('ping');
  });

  it('closes the oldest socket beyond the per-user cap', () => {
    const hub = createHub(ctx, { maxBufferedBytes: 100, maxSocketsPerUser: 2 }, { sockets: noop, channels: noop });
    const sockets = [fakeSocket(), fakeSocket(), fakeSocket()];
    sockets.forEach((s, i) => hub.add(conn(s, 7, i)));
    expect(sockets[0].calls).toEqual(['close:4008']);
    expect(sockets[2].calls).toEqual([]);
  });
});
