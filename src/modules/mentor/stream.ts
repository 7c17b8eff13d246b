// GET mentor/stream/: Server-Sent Events relayed as the provider produces them.
// Frames are `data: {json}\n\n` only (no `event:` lines): start → token… → end, or error as the last
// frame. A comment heartbeat keeps proxies from timing out; a gone client aborts the upstream call
// and nothing half-written is stored. Any Accept header is served (the app sends text/event-stream).
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { LlmError } from '../../platform/llm/index.js';
import { me } from '../users/present.js';
import { normalizeLanguage } from './personas.js';
import { DEFAULT_MODE, llmKey, MAX_MESSAGE, MAX_MODE, rpsCheck, scopeCheck } from './http.js';

export const frame = (obj: Record<string, unknown>) => `data: ${JSON.stringify(obj)}\n\n`;

const HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' };

function refuse(req: FastifyRequest, reply: FastifyReply, status: number, detail: string, extra: Record<string, string> = {}) {
  reply.hijack();
  reply.raw.writeHead(status, { ...HEADERS, 'x-request-id': req.id, ...extra });
  reply.raw.end(frame({ event: 'error', detail }));
}

export function registerStreamRoute(app: App, ctx: Ctx) {
  const svc = ctx.services.mentor;
  const open = new Map<number, number>();
  const cfg = ctx.config.mentor;
  // On shutdown, open streams are aborted (upstream calls cancelled, nothing partial stored) and closed.
  const live = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const c of live) c.abort();
  });

  app.get(
    '/mentor/stream',
    {
      schema: {
        tags: ['mentor'],
        description: 'Server-Sent Events chat: `data: {"event": "start"|"token"|"end"|"error", …}` frames.',
        querystring: Type.Object(
          { message: Type.Optional(Type.String()), mode: Type.Optional(Type.String()), language: Type.Optional(Type.String()) },
          { additionalProperties: true },
        ),
      },
    },
    async (req, reply) => {
      const user = me(req);
      const message = (req.query.message ?? '').trim();
      const mode = (req.query.mode ?? '').trim() || DEFAULT_MODE;
      if (!message) return refuse(req, reply, 400, 'Message is required.');
      if (message.length > MAX_MESSAGE) return refuse(req, reply, 400, `Message must be at most ${MAX_MESSAGE} characters.`);
      if (mode.length > MAX_MODE) return refuse(req, reply, 400, `Mode must be at most ${MAX_MODE} characters.`);
      const limited = (await scopeCheck(ctx, req, user.id)) ?? (await rpsCheck(ctx, user.id));
      if (limited) return refuse(req, reply, 429, limited.detail, { 'retry-after': String(limited.retryAfter) });
      const mine = open.get(user.id) ?? 0;
      if (mine >= cfg.maxStreamsPerUser) return refuse(req, reply, 429, 'Too many open mentor streams.', { 'retry-after': '1' });
      open.set(user.id, mine + 1);

      const raw = reply.raw;
      const abort = new AbortController();
      const onClose = () => {
        if (!raw.writableFinished) abort.abort();
      };
      raw.on('close', onClose);
      live.add(abort);
      let heartbeat: NodeJS.Timeout | null = null;
      // Backpressure with bounds: the relay waits for a slow reader (so the provider is not outrun), but
      // a client that reads nothing for a whole heartbeat interval, or lets more than
      // SSE_MAX_BUFFERED_BYTES pile up, is dropped (upstream call aborted, nothing stored) instead of
      // holding memory and a stream slot forever.
      const maxBuffered = ctx.config.ops.sseMaxBufferedBytes;
      const drop = (why: string) => {
        if (abort.signal.aborted) return;
        req.log.info({ why, buffered: raw.writableLength }, 'mentor stream client too slow: dropped');
        abort.abort();
        raw.destroy();
      };
      const write = async (chunk: string) => {
        if (abort.signal.aborted || raw.destroyed) return;
        const ok = raw.write(chunk);
        if (raw.writableLength > maxBuffered) return drop('buffer full');
        if (ok) return;
        const wait = new AbortController();
        const drained = await Promise.race([
          once(raw, 'drain', { signal: wait.signal }).then(() => true),
          once(raw, 'close', { signal: wait.signal }).then(() => true),
          delay(cfg.heartbeatMs, false, { signal: wait.signal }),
        ]).catch(() => true);
        wait.abort();
        if (!drained) drop('stalled');
      };
      try {
        const turn = await svc.chatTurn(user.id, message, mode, normalizeLanguage(req.query.language));
        reply.hijack();
        raw.writeHead(200, { ...HEADERS, connection: 'keep-alive', 'x-request-id': req.id });
        raw.flushHeaders();
        if (typeof raw.socket?.setNoDelay === 'function') raw.socket.setNoDelay(true);
        heartbeat = setInterval(() => void write(': ping\n\n'), cfg.heartbeatMs);
        await write(frame({ event: 'start', session_id: turn.session.id, mode }));
        try {
          if (turn.reply) {
            // A re-poll or a repeat of the last exchange: replay the stored reply, no second LLM call.
            for (const piece of turn.reply.content.split(/(?<= )/)) await write(frame({ event: 'token', delta: piece }));
          } else {
            await svc.streamReply(turn.session, turn.request, { apiKey: llmKey(req), signal: abort.signal, onDelta: (d) => write(frame({ event: 'token', delta: d })) });
          }
          await write(frame({ event: 'end', session_id: turn.session.id }));
        } catch (err) {
          if (abort.signal.aborted) return;
          if (!(err instanceof LlmError)) req.log.error({ err }, 'mentor stream failed');
          const detail = err instanceof LlmError ? (err.kind === 'timeout' ? 'Stream timed out.' : 'LLM streaming request failed') : 'Streaming failed.';
          await write(frame({ event: 'error', detail }));
        }
      } finally {
        if (heartbeat) clearInterval(heartbeat);
        raw.off('close', onClose);
        live.delete(abort);
        const n = (open.get(user.id) ?? 1) - 1;
        if (n > 0) open.set(user.id, n);
        else open.delete(user.id);
        if (reply.sent && !raw.writableEnded) raw.end();
      }
    },
  );
}
