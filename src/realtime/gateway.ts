// The WebSocket gateway: GET /ws?token=<access JWT>&channels=post:1,comment:2 and
// POST /internal/publish. Served by the `realtime` role and inside `serve`.
import { Type } from 'typebox';
import client from 'prom-client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../platform/http/app-type.js';
import type { Ctx } from '../context.js';
import { TokenError } from '../platform/auth/tokens.js';
import { sameSecret } from '../platform/auth/secrets.js';
import { ApiError, badRequest, notFound } from '../platform/http/errors.js';
import { CLOSE, createHub, type Conn, type Socket } from './hub.js';
import { userChannel, wireChannel } from './service.js';
import { forgetGateway, reportGateway } from './instances.js';

export const MAX_CHANNELS = 20;
const MAX_FRAME_BYTES = 4096;
const FRAME_WINDOW_MS = 10_000;
const MAX_FRAMES_PER_WINDOW = 50;
const PUBLISH_CHANNEL = /^(post|comment):[1-9][0-9]{0,14}$/;

function gauge(ctx: Ctx, name: string, help: string) {
  const existing = ctx.metrics.registry.getSingleMetric(name);
  return (existing as client.Gauge | undefined) ?? new client.Gauge({ name, help, registers: [ctx.metrics.registry] });
}


type AuthResult = { userId: number; sid: number } | { error: string };

async function authenticate(ctx: Ctx, token: unknown): Promise<AuthResult> {
  if (typeof token !== 'string' || token === '' || token.length > 4096) return { error: 'token missing' };
  try {
    const claims = await ctx.tokens.verify(token, 'access');
    const user = await ctx.services.users.resolveSession(claims);
    if ('error' in user) return { error: user.error.replace('_', ' ') };
    return { userId: user.id, sid: claims.sid };
  } catch (err) {
    if (err instanceof TokenError) return { error: err.reason === 'expired' ? 'expired token' : err.reason === 'wrong_type' ? 'wrong token type' : 'invalid token' };
    throw err;
  }
}

/** `channels=post:1,comment:2`: trimmed, de-duplicated, at most 20; everything else is dropped. */
export function requestedChannels(raw: unknown): string[] {
  if (typeof raw !== 'string') return [];
  const out = new Set<string>();
  for (const c of raw.split(',')) {
    const ch = c.trim();
    if (ch && ch.length <= 64) out.add(ch);
    if (out.size >= MAX_CHANNELS) break;
  }
  return [...out];
}

function frameText(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

export async function registerGateway(app: App, ctx: Ctx) {
  const cfg = ctx.config.realtime;
  await app.register(import('@fastify/websocket'), { options: { maxPayload: 64 * 1024 } });
  const sockets = gauge(ctx, 'realtime_connected_sockets', 'WebSocket connections open on this process');
  const channelGauge = gauge(ctx, 'realtime_subscribed_channels', 'Realtime channels this process is subscribed to');
  const hub = createHub(
    ctx,
    { maxBufferedBytes: cfg.maxBufferedBytes, maxSocketsPerUser: cfg.maxSocketsPerUser },
    { sockets, channels: channelGauge },
  );
  // Sockets per instance for the ops page: reported on every heartbeat (and once at start).
  const report = async () => {
    const [open, channels] = await Promise.all([sockets.get(), channelGauge.get()]);
    await reportGateway(ctx, { open: open.values[0]?.value ?? 0, channels: channels.values[0]?.value ?? 0 });
  };
  const reportSoon = () => void report().catch((err) => ctx.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'gateway report failed'));
  reportSoon();
  const heartbeat = setInterval(() => {
    void hub.sweep();
    reportSoon();
  }, cfg.pingIntervalMs);
  heartbeat.unref();
  // Subscriptions are re-checked when visibility, blocks or takedowns change (RECHECK_CHANNEL).
  const stopRechecks = await hub.listenForRechecks();
  // Frames addressed to many users at once (a group's message, a presence change): FANOUT_CHANNEL.
  const stopFanout = await hub.listenForFanout();
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    await hub.close();
    await forgetGateway(ctx).catch(() => undefined);
    await stopRechecks().catch(() => undefined);
    await stopFanout().catch(() => undefined);
  });

  const reply = (conn: Conn, frame: Record<string, unknown>) => hub.send(conn, JSON.stringify(frame));

  // Per-socket inbound budget: a flooding client is ignored (no replies), not served.
  const budget = new WeakMap<Conn, { windowStart: number; count: number }>();
  function overBudget(conn: Conn): boolean {
    const now = Date.now();
    const b = budget.get(conn);
    if (!b || now - b.windowStart > FRAME_WINDOW_MS) {
      budget.set(conn, { windowStart: now, count: 1 });
      return false;
    }
    b.count += 1;
    return b.count > MAX_FRAMES_PER_WINDOW;
  }

  // Client frames: only {"type":"ping"} means something. Nothing a client sends reaches other users.
  function onFrame(conn: Conn, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) {
    if (overBudget(conn)) return;
    const buf = frameText(data);
    if (isBinary || buf.length > MAX_FRAME_BYTES) return reply(conn, { type: 'error', code: 'frame_rejected', detail: 'Frame too large or binary; ignored.' });
    let msg: unknown;
    try {
      msg = JSON.parse(buf.toString('utf8'));
    } catch {
      return reply(conn, { type: 'error', code: 'invalid_json', detail: 'Frame is not valid JSON; ignored.' });
    }
    const type = msg && typeof msg === 'object' ? (msg as { type?: unknown }).type : undefined;
    if (type === 'ping') return reply(conn, { type: 'pong', server_time: new Date().toISOString() });
    return reply(conn, { type: 'ack', status: 'ignored' });
  }

  const handler = (socket: Socket, req: FastifyRequest) => {
    const query = (req.query ?? {}) as Record<string, unknown>;
    let conn: Conn | null = null;
    let closed = false;
    // Listeners first: frames may arrive while authentication is still running (they are dropped).
    socket.on('message', (data, isBinary) => {
      if (conn) onFrame(conn, data, isBinary);
    });
    socket.on('pong', () => {
      if (conn) conn.alive = true;
    });
    socket.on('error', (err) => ctx.log.debug({ err }, 'socket error'));
    socket.on('close', () => {
      closed = true;
      if (conn) hub.remove(conn);
    });

    const start = async () => {
      const auth = await authenticate(ctx, query.token);
      if ('error' in auth) return socket.close(CLOSE.unauthorized, `unauthorized: ${auth.error}`);
      if (closed) return;
      const c: Conn = { socket, userId: auth.userId, sid: auth.sid, channels: new Set(), alive: true, openedAt: Date.now() };
      conn = c;
      hub.add(c);
      await hub.join(c, userChannel(c.userId));
      await hub.join(c, `sys:${c.userId}`, true);
      const granted: string[] = [];
      for (const ch of requestedChannels(query.channels)) {
        // Unknown prefixes and channels the user may not see are dropped silently (no error frame).
        if (closed) break;
        if (await ctx.services.realtime.mayWatch(c.userId, ch)) {
          await hub.join(c, ch);
          granted.push(ch);
        }
      }
      if (closed) return hub.remove(c);
      reply(c, { type: 'ack', status: 'connected', message: 'connected', user_id: c.userId, channels: granted, server_time: new Date().toISOString() });
    };
    start().catch((err) => {
      ctx.log.error({ err }, 'websocket setup failed');
      socket.close(1011, 'internal error');
    });
  };
  // The request line carries ?token=<JWT>: the logger scrubs it from every line (src/platform/log.ts).
  // A plain HTTP request (no upgrade) gets the contract's error shape, not an empty 404.
  app.route({
    method: 'GET',
    url: '/ws',
    config: { auth: 'none' },
    schema: { hide: true },
    handler: async (_req: FastifyRequest, res: FastifyReply) => res.status(426).header('upgrade', 'websocket').send({ detail: 'Upgrade required: connect with a WebSocket.', code: 'upgrade_required' }),
    wsHandler: handler,
  } as never);

  // Internal publish for producers outside this code base (gift events), as the original gateway.
  const publishAuth = async (req: FastifyRequest, _reply: FastifyReply) => {
    if (!cfg.publishToken) throw notFound();
    const header = req.headers.authorization;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!token) throw new ApiError(401, { detail: 'Missing token', code: 'not_authenticated' });
    if (!sameSecret(token, cfg.publishToken)) throw new ApiError(403, { detail: 'Invalid token', code: 'permission_denied' });
  };
  app.post(
    '/internal/publish',
    {
      onRequest: publishAuth,
      bodyLimit: 64 * 1024,
      config: { auth: 'none', rateLimit: [{ name: 'rt_publish', by: 'ip', ...cfg.publishRate }] },
      schema: {
        hide: true,
        body: Type.Object(
          { channel: Type.String({ maxLength: 64 }), type: Type.Optional(Type.String({ maxLength: 64 })), payload: Type.Object({}, { additionalProperties: true }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ status: Type.String() }) },
      },
    },
    async (req) => {
      const { channel, payload } = req.body;
      const type = req.body.type ?? (payload as { type?: unknown }).type;
      if (!PUBLISH_CHANNEL.test(channel)) throw badRequest('Invalid channel', 'invalid_channel');
      if (type !== 'gift.received') throw badRequest('Invalid event type', 'invalid_event_type');
      try {
        await ctx.pubsub.publish(wireChannel(channel), JSON.stringify({ ...payload, type }));
      } catch (err) {
        req.log.warn({ err, channel }, 'internal publish failed');
        throw new ApiError(503, { detail: 'Publish failed', code: 'unavailable' });
      }
      return { status: 'ok' };
    },
  );
}
