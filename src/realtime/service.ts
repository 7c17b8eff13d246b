// The realtime publisher and channel-authorizer registry (ctx.services.realtime).
// Producers call publish() after their database commit; every gateway process holding a socket
// on that channel receives it through ctx.pubsub (Redis pub/sub in server mode) and forwards it.
import type { Ctx } from '../context.js';
import { userTag } from '../platform/pages.js';

/** Decides whether `userId` may watch `<prefix>:<id>` (e.g. a post the user can see). */
export type ChannelAuthorizer = (userId: number, id: number) => Promise<boolean>;

/** Pub/sub names: client-visible channels are namespaced away from system ones. */
export const wireChannel = (channel: string) => `rt:${channel}`;
/** The channel every socket of a user joins (frames addressed to that user). */
export const userChannel = (userId: number) => `user:${userId}`;
export const systemChannel = (userId: number) => `rtsys:user:${userId}`;
/** Every gateway listens here for "authorisation changed, re-check these subscriptions". */
export const RECHECK_CHANNEL = 'rtsys:recheck';
/**
 * Every gateway listens here for one frame addressed to many users (a FanoutSignal). A frame for
 * FANOUT_MIN users or more goes out as one message instead of one PUBLISH per user: a 1,000-member
 * group's member coming online cost 999 publishes (bench/RESULTS.md, realtime).
 */
export const FANOUT_CHANNEL = 'rtsys:fanout';
export const FANOUT_MIN = 16;
export interface FanoutSignal {
  users: number[];
  frame: string;
}

/**
 * A re-check request: the sockets of `users`, the sockets on `channels`, and every local
 * subscription whose prefix is in `prefixes` (e.g. all `comment:` channels when a post turns
 * private: its comments follow it).
 */
export interface RecheckSignal {
  users?: number[];
  channels?: string[];
  prefixes?: string[];
}

/** A control frame on a user's system channel: close sockets of one session, or all of them. */
export interface KillSignal {
  kill: true;
  sid?: number;
}

const CHANNEL = /^([a-z][a-z_]{0,31}):([1-9][0-9]{0,14})$/;

export function parseChannel(channel: string): { prefix: string; id: number } | null {
  const m = CHANNEL.exec(channel);
  return m ? { prefix: m[1], id: Number(m[2]) } : null;
}

/** Presence lives in one hash per user: a field per gateway process holding a socket, with a TTL
 * that the heartbeat sweep refreshes, so a crashed process stops counting on its own. */
export const PRESENCE_TTL_MS = 90_000;
const presenceKey = (userId: number) => `presence:${userId}`;

export function createRealtimeService(ctx: Ctx) {
  const authorizers = new Map<string, ChannelAuthorizer>();
  const processId = `${process.pid}:${Math.random().toString(36).slice(2, 10)}`;

  /** Best-effort: a failing publish is logged, never thrown into the caller's request. */
  async function publish(channel: string, event: Record<string, unknown>): Promise<void> {
    try {
      await ctx.pubsub.publish(wireChannel(channel), JSON.stringify(event));
    } catch (err) {
      ctx.log.warn({ err, channel, type: event.type }, 'realtime publish failed');
    }
  }

  async function publishToUsers(userIds: number[], event: Record<string, unknown>): Promise<void> {
    const frame = JSON.stringify(event);
    const users = [...new Set(userIds)];
    const warn = (err: unknown) => ctx.log.warn({ err, type: event.type }, 'realtime publish failed');
    if (users.length >= FANOUT_MIN) {
      const signal: FanoutSignal = { users, frame };
      await ctx.pubsub.publish(FANOUT_CHANNEL, JSON.stringify(signal)).catch(warn);
      return;
    }
    await Promise.all(users.map((id) => ctx.pubsub.publish(wireChannel(userChannel(id)), frame).catch(warn)));
  }

  /** Asks every gateway to close the user's sockets (all, or those of one session). */
  async function killSessions(userId: number, sid?: number): Promise<void> {
    const signal: KillSignal = sid === undefined ? { kill: true } : { kill: true, sid };
    await ctx.pubsub.publish(systemChannel(userId), JSON.stringify(signal)).catch((err) => ctx.log.warn({ err }, 'realtime kill failed'));
  }

  function registerChannel(prefix: string, authorize: ChannelAuthorizer) {
    if (prefix === 'user' || !/^[a-z][a-z_]{0,31}$/.test(prefix)) throw new Error(`invalid realtime channel prefix ${prefix}`);
    authorizers.set(prefix, authorize);
  }

  /** False for unknown prefixes, malformed names and authorizer failures (never throws). */
  async function mayWatch(userId: number, channel: string): Promise<boolean> {
    const parsed = parseChannel(channel);
    if (!parsed) return false;
    const authorize = authorizers.get(parsed.prefix);
    if (!authorize) return false;
    try {
      return (await authorize(userId, parsed.id)) === true;
    } catch (err) {
      ctx.log.warn({ err, prefix: parsed.prefix }, 'channel authorizer failed');
      return false;
    }
  }

  /** Asks every gateway to re-run the channel authorizers (visibility, blocks or takedowns changed). */
  async function recheck(signal: RecheckSignal): Promise<void> {
    await ctx.pubsub.publish(RECHECK_CHANNEL, JSON.stringify(signal)).catch((err) => ctx.log.warn({ err }, 'realtime recheck failed'));
  }
  const recheckUsers = (userIds: number[]) => recheck({ users: userIds });

  /** Users who share a conversation with `userId` hear about its presence. */
  async function announcePresence(userId: number, online: boolean) {
    const peers = await ctx.services.messaging.peerIds(userId);
    if (peers.length) await publishToUsers(peers, { type: 'presence', user_id: userId, online, status: online ? 'online' : 'offline', at: new Date().toISOString() });
  }

  /** Called by this process's gateway when a user's first socket opens or last socket closes here. */
  async function setPresence(userId: number, here: boolean) {
    try {
      const was = await isOnline(userId);
      if (here) await ctx.kv.hashSet(presenceKey(userId), processId, String(Date.now()), PRESENCE_TTL_MS);
      else await ctx.kv.hashDel(presenceKey(userId), processId);
      const now = here || (await isOnline(userId));
      if (was !== now) {
        ctx.pages.drop([userTag(userId)]); // pages show the user's presence to the people who share a thread
        await announcePresence(userId, now);
      }
    } catch (err) {
      ctx.log.warn({ err }, 'presence update failed');
    }
  }

  /** Heartbeat: keeps this process's presence entries alive. */
  /** The heartbeat's refresh for users with a socket here: one store command (the hub sends a chunk at a time). */
  async function refreshPresence(userIds: number[]) {
    await ctx.kv.hashSetMany(userIds.map(presenceKey), processId, String(Date.now()), PRESENCE_TTL_MS).catch(() => undefined);
  }

  async function isOnline(userId: number): Promise<boolean> {
    return Object.keys(await ctx.kv.hashGetAll(presenceKey(userId))).length > 0;
  }

  async function onlineAmong(userIds: number[]): Promise<Set<number>> {
    const flags = await Promise.all(userIds.map((id) => isOnline(id).catch(() => false)));
    return new Set(userIds.filter((_, i) => flags[i]));
  }

  return { publish, publishToUsers, killSessions, recheck, recheckUsers, registerChannel, mayWatch, setPresence, refreshPresence, isOnline, onlineAmong };
}

export type RealtimeService = ReturnType<typeof createRealtimeService>;
