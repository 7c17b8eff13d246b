// Unit tests of the per-process hub: backpressure and the heartbeat sweep, with fake sockets.
import { describe, expect, it } from 'vitest';
import { createHub, SWEEP_CHUNK, type Conn, type Socket } from '../../src/realtime/hub.js';
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
const refreshed: number[][] = [];
const ctx = {
  log: { debug: () => undefined },
  services: { realtime: { setPresence: async (u: number, on: boolean) => void presence.push(`${u}:${on}`), refreshPresence: async (ids: number[]) => void refreshed.push(ids) } },
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

  it('pings live sockets and terminates those that did not answer the previous ping', async () => {
    const hub = createHub(ctx, { maxBufferedBytes: 100, maxSocketsPerUser: 10 }, { sockets: noop, channels: noop });
    const s = fakeSocket();
    const c = conn(s);
    hub.add(c);
    await hub.sweep();
    expect(s.calls).toEqual(['ping']);
    await hub.sweep(); // no pong arrived in between
    expect(s.calls).toEqual(['ping', 'terminate']);
    c.alive = true; // a pong resets the flag
    await hub.sweep();
    expect(s.calls.at(-1)).toBe('ping');
  });

  it('sweeps many users a chunk at a time, yielding in between, and skips users who left meanwhile', async () => {
    const hub = createHub(ctx, { maxBufferedBytes: 100, maxSocketsPerUser: 10 }, { sockets: noop, channels: noop });
    const n = 2 * SWEEP_CHUNK + 10;
    const conns = Array.from({ length: n }, (_, i) => conn(fakeSocket(), 1000 + i));
    conns.forEach((c) => hub.add(c));
    refreshed.length = 0;
    const done = hub.sweep();
    // The first chunk ran at once; the rest waits for the event loop to come round.
    expect(refreshed).toEqual([conns.slice(0, SWEEP_CHUNK).map((c) => c.userId)]);
    expect(conns.filter((c) => (c.socket as ReturnType<typeof fakeSocket>).calls.includes('ping'))).toHaveLength(SWEEP_CHUNK);
    hub.remove(conns[n - 1]); // leaves before the last chunk: not marked present again
    await done;
    expect(refreshed.map((ids) => ids.length)).toEqual([SWEEP_CHUNK, SWEEP_CHUNK, 9]);
    expect(refreshed.flat()).not.toContain(conns[n - 1].userId);
    expect(conns.slice(0, n - 1).every((c) => (c.socket as ReturnType<typeof fakeSocket>).calls.includes('ping'))).toBe(true);
  });

  it('closes the oldest socket beyond the per-user cap', () => {
    const hub = createHub(ctx, { maxBufferedBytes: 100, maxSocketsPerUser: 2 }, { sockets: noop, channels: noop });
    const sockets = [fakeSocket(), fakeSocket(), fakeSocket()];
    sockets.forEach((s, i) => hub.add(conn(s, 7, i)));
    expect(sockets[0].calls).toEqual(['close:4008']);
    expect(sockets[2].calls).toEqual([]);
  });
});
