// The baseline: a bare Fastify route answering a small JSON object.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/bare', async () => ({ id: 1, handle: 'bare', name: 'Bare Route', ok: true }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const addr = app.server.address();
console.log(`listening ${typeof addr === 'object' && addr ? addr.port : ''}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
