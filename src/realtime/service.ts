// The realtime publisher and channel-authorizer registry (ctx.services.realtime).
// Producers call publish() after their database commit; every gateway process holding a socket
// on that channel receives it through ctx.pubsub (Redis pub/sub in server mode) and forwards it.
import type { Ctx } from '../context.js';

/** Decides whether `userId` may watch `<prefix>:<id>` (e.g. a post the user can see). */
export type ChannelAuthorizer = (userId: number, id: number) => Promise<boolean>;

/** Pub/sub names: client-visible channels are namespaced away from system ones. */
export const wireChannel = (channel: string) => `rt:${channel}`;
export const systemChannel = (userId: number) => `rtsys:user:${userId}`;

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

export function createRealtimeService(ctx: Ctx) {
  const authorizers = new Map<string, ChannelAuthorizer>();

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
    await Promise.all(
      [...new Set(userIds)].map((id) =>
        ctx.pubsub.publish(wireChannel(`user:${id}`), frame).catch((err) => ctx.log.warn({ err, type: event.type }, 'realtime publish failed')),
      ),
    );
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

  return { publish, publishToUsers, killSessions, registerChannel, mayWatch };
}

export type RealtimeService = ReturnType<typeof createRealtimeService>;
