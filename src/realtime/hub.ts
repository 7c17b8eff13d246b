// Local fan-out for one gateway process: channel → sockets, one pub/sub subscription per channel
// (the Redis adapter reference-counts SUBSCRIBE), caps and backpressure per socket.
import type { Ctx } from '../context.js';
import { FANOUT_CHANNEL, RECHECK_CHANNEL, systemChannel, userChannel, wireChannel, type FanoutSignal, type KillSignal, type RecheckSignal } from './service.js';

/** The part of a `ws` WebSocket the gateway uses (kept structural: no @types/ws needed). */
export interface Socket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): void;
  on(event: 'pong' | 'close', listener: () => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
}

const OPEN = 1;
/** Users per step of the heartbeat sweep (see sweep()). */
export const SWEEP_CHUNK = 500;

export interface Conn {
  socket: Socket;
  userId: number;
  sid: number;
  channels: Set<string>;
  alive: boolean;
  openedAt: number;
}

export interface HubLimits {
  maxBufferedBytes: number;
  maxSocketsPerUser: number;
}

export const CLOSE = {
  unauthorized: 4401,
  sessionEnded: 4000,
  tooSlow: 1013,
  replaced: 4008,
  goingAway: 1001,
} as const;

export function createHub(ctx: Ctx, limits: HubLimits, gauges: { sockets: { inc(): void; dec(): void }; channels: { inc(): void; dec(): void } }) {
  const byChannel = new Map<string, { conns: Set<Conn>; unsubscribe: Promise<() => Promise<void>> }>();
  const byUser = new Map<number, Set<Conn>>();

  /** Sends unless the socket is closed; a consumer whose buffer overflows is dropped, not waited for. */
  function send(conn: Conn, data: string) {
    const s = conn.socket;
    if (s.readyState !== OPEN) return;
    if (s.bufferedAmount > limits.maxBufferedBytes) {
      s.close(CLOSE.tooSlow, 'consumer too slow');
      return;
    }
    try {
      s.send(data);
    } catch (err) {
      ctx.log.debug({ err }, 'socket send failed');
    }
  }

  function onSystem(userId: number, raw: string) {
    let signal: KillSignal;
    try {
      signal = JSON.parse(raw) as KillSignal;
    } catch {
      return;
    }
    if (signal.kill !== true) return;
    for (const c of byUser.get(userId) ?? []) {
      // Not an "unauthorized" reason: the app reconnects, and is refused (4401) if its token is dead.
      if (signal.sid === undefined || signal.sid === c.sid) c.socket.close(CLOSE.sessionEnded, 'session ended');
    }
  }

  async function join(conn: Conn, channel: string, system = false) {
    conn.channels.add(channel);
    let entry = byChannel.get(channel);
    if (!entry) {
      const conns = new Set<Conn>();
      const name = system ? systemChannel(conn.userId) : wireChannel(channel);
      const userId = conn.userId;
      const unsubscribe = ctx.pubsub.subscribe(name, (msg) => {
        if (system) return onSystem(userId, msg);
        for (const c of conns) send(c, msg);
      });
      entry = { conns, unsubscribe };
      byChannel.set(channel, entry);
      gauges.channels.inc();
      // A failed SUBSCRIBE must not poison the channel for later sockets.
      const failed = entry;
      unsubscribe.catch(() => {
        if (byChannel.get(channel) === failed) {
          byChannel.delete(channel);
          gauges.channels.dec();
        }
      });
    }
    entry.conns.add(conn);
    await entry.unsubscribe; // subscribed before the caller acknowledges the connection
  }

  function leaveAll(conn: Conn) {
    for (const ch of conn.channels) {
      const entry = byChannel.get(ch);
      if (!entry) continue;
      entry.conns.delete(conn);
      if (entry.conns.size === 0) {
        byChannel.delete(ch);
        gauges.channels.dec();
        void entry.unsubscribe.then((off) => off()).catch(() => undefined);
      }
    }
    conn.channels.clear();
  }

  function leave(conn: Conn, channel: string) {
    if (!conn.channels.delete(channel)) return;
    const entry = byChannel.get(channel);
    if (!entry) return;
    entry.conns.delete(conn);
    if (entry.conns.size === 0) {
      byChannel.delete(channel);
      gauges.channels.dec();
      void entry.unsubscribe.then((off) => off()).catch(() => undefined);
    }
  }

  /**
   * Re-runs the authorizer for the matching subscriptions and drops the ones no longer allowed
   * (a post turned private, a block, a takedown). The socket stays open with its other channels.
   */
  async function recheck(signal: RecheckSignal) {
    const users = new Set(signal.users ?? []);
    const channels = new Set(signal.channels ?? []);
    const prefixes = new Set(signal.prefixes ?? []);
    const todo: [Conn, string][] = [];
    for (const set of byUser.values()) {
      for (const c of set) {
        for (const ch of c.channels) {
          if (ch === userChannel(c.userId) || ch === `sys:${c.userId}`) continue;
          if (users.has(c.userId) || channels.has(ch) || prefixes.has(ch.split(':')[0])) todo.push([c, ch]);
        }
      }
    }
    await Promise.all(
      todo.map(async ([c, ch]) => {
        if (await ctx.services.realtime.mayWatch(c.userId, ch)) return;
        leave(c, ch);
        // Tell the client, so it can stop showing live updates for that object.
        send(c, JSON.stringify({ type: 'unsubscribed', channel: ch, reason: 'forbidden' }));
      }),
    );
  }

  /** Subscribes to a system channel of JSON signals; unparsable messages are ignored. */
  function listen<T>(channel: string, handle: (signal: T) => void): Promise<() => Promise<void>> {
    return ctx.pubsub.subscribe(channel, (raw) => {
      let signal: T;
      try {
        signal = JSON.parse(raw) as T;
      } catch {
        return;
      }
      handle(signal);
    });
  }

  /** Subscribes this process to re-check requests (the gateway calls it once); returns the unsubscribe. */
  const listenForRechecks = () =>
    listen<RecheckSignal>(RECHECK_CHANNEL, (signal) => {
      recheck(signal).catch((err) => ctx.log.warn({ err }, 'realtime recheck failed'));
    });

  /**
   * Subscribes this process to frames addressed to many users (the gateway calls it once): each goes
   * to the sockets here on those users' own channels, as a publish on each channel would.
   */
  const listenForFanout = () =>
    listen<FanoutSignal>(FANOUT_CHANNEL, (signal) => {
      if (!Array.isArray(signal.users) || typeof signal.frame !== 'string') return;
      for (const id of signal.users) {
        const entry = byChannel.get(userChannel(id));
        if (entry) for (const c of entry.conns) send(c, signal.frame);
      }
    });

  /** Presence updates under way (close() waits for them). */
  const presence = new Set<Promise<void>>();
  function setPresence(userId: number, here: boolean) {
    const p = ctx.services.realtime.setPresence(userId, here).finally(() => presence.delete(p));
    presence.add(p);
  }

  /** Registers a socket; beyond the per-user cap the oldest socket of that user is closed. */
  function add(conn: Conn) {
    let set = byUser.get(conn.userId);
    if (!set) {
      byUser.set(conn.userId, (set = new Set()));
      setPresence(conn.userId, true);
    }
    set.add(conn);
    gauges.sockets.inc();
    if (set.size > limits.maxSocketsPerUser) {
      const oldest = [...set].sort((x, y) => x.openedAt - y.openedAt)[0];
      oldest.socket.close(CLOSE.replaced, 'too many connections');
    }
  }

  function remove(conn: Conn) {
    const set = byUser.get(conn.userId);
    if (set?.delete(conn)) {
      if (!set.size) {
        byUser.delete(conn.userId);
        setPresence(conn.userId, false);
      }
      gauges.sockets.dec();
    }
    leaveAll(conn);
  }

  /**
   * Ping sweep: a socket that did not answer the previous ping is terminated, and presence is
   * refreshed for the users with a socket here. SWEEP_CHUNK users at a time, yielding between
   * chunks: in one go, 5,000 sockets held the event loop ~0.2 s every heartbeat (a presence MULTI and
   * a ping each), and every request and frame in that window waited. A chunk's users are taken as
   * they are when it runs, so a user who left meanwhile is not marked present again.
   */
  async function sweep() {
    const users = [...byUser.keys()];
    for (let i = 0; i < users.length; i += SWEEP_CHUNK) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const chunk = users.slice(i, i + SWEEP_CHUNK).filter((u) => byUser.has(u));
      void ctx.services.realtime.refreshPresence(chunk);
      for (const u of chunk) {
        for (const c of byUser.get(u) ?? []) {
          if (!c.alive) {
            c.socket.terminate();
            continue;
          }
          c.alive = false;
          try {
            c.socket.ping();
          } catch {
            c.socket.terminate();
          }
        }
      }
    }
  }

  /**
   * Shutdown: every socket is closed and leaves now, not when its closing handshake ends, and the
   * presence updates that follow (offline, for a user with no socket left anywhere) are done before
   * the process lets go of the store. Left to the sockets' close events, they ran after Redis was
   * closed: a "Connection is closed." warning per user, and entries left to their TTL.
   */
  async function close() {
    for (const set of [...byUser.values()]) {
      for (const c of [...set]) {
        c.socket.close(CLOSE.goingAway, 'server shutting down');
        remove(c);
      }
    }
    await Promise.allSettled([...presence]);
  }

  return { add, remove, join, leave, send, sweep, close, byUser, recheck, listenForRechecks, listenForFanout };
}

export type Hub = ReturnType<typeof createHub>;
