// The realtime baseline: Fastify + @fastify/websocket, no auth, no database, no Redis.
// GET /ws?user=N registers a socket under user N; POST /send {to, client_uuid, body} writes one
// message:new frame to user `to`; POST /broadcast {from, to, except, client_uuid, body} writes it to
// every user in [from, to] except `except`. Same frame shape and client harness as the SelfLink run.
import Fastify from 'fastify';

interface Sock {
  readyState: number;
  send(data: string): void;
  on(ev: 'close', l: () => void): void;
  on(ev: 'message', l: () => void): void;
}

const app = Fastify({ logger: false });
await app.register(import('@fastify/websocket'), { options: { maxPayload: 64 * 1024 } });
const byUser = new Map<number, Set<Sock>>();
let nextId = 0;

const frame = (clientUuid: string, body: string, to: number) =>
  JSON.stringify({ type: 'message:new', message: { id: ++nextId, thread: to, body, client_uuid: clientUuid, created_at: new Date().toISOString() } });

function sendTo(user: number, data: string): number {
  let n = 0;
  for (const s of byUser.get(user) ?? []) {
    if (s.readyState === 1) {
      s.send(data);
      n += 1;
    }
  }
  return n;
}

app.get('/ws', { websocket: true } as never, ((socket: Sock, req: { query: Record<string, string> }) => {
  const user = Number(req.query.user);
  let set = byUser.get(user);
  if (!set) byUser.set(user, (set = new Set()));
  set.add(socket);
  socket.on('message', () => undefined);
  socket.on('close', () => set.delete(socket));
  socket.send(JSON.stringify({ type: 'ack', status: 'connected', user_id: user }));
}) as never);

app.post('/send', async (req) => {
  const b = req.body as { to: number; client_uuid: string; body: string };
  return { delivered: sendTo(b.to, frame(b.client_uuid, b.body, b.to)) };
});

app.post('/broadcast', async (req) => {
  const b = req.body as { from: number; to: number; except: number; client_uuid: string; body: string };
  const data = frame(b.client_uuid, b.body, 0);
  let n = 0;
  for (let u = b.from; u <= b.to; u++) if (u !== b.except) n += sendTo(u, data);
  return { delivered: n };
});

app.get('/health', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const addr = app.server.address();
console.log(`listening ${typeof addr === 'object' && addr ? addr.port : ''}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
