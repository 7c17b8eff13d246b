// Real local LLM servers for the tests: an OpenAI-compatible Chat Completions server (SSE) and an
// Ollama /api/chat server (NDJSON), each with switchable behaviours.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour = 'ok' | 'down' | 'silent' | 'garbage' | 'midclose' | 'gated' | 'unauthorized';

export interface Recorded {
  path: string;
  authorization: string | undefined;
  body: Record<string, any>;
}

export interface FakeLlm {
  url: string;
  behaviour: Behaviour;
  tokens: string[];
  requests: Recorded[];
  /** Resolves when the server sees the client close a request before the reply finished. */
  upstreamClosed: Promise<void>;
  /** Lets a `gated` reply finish. */
  release(): void;
  close(): Promise<void>;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function start(kind: 'openai' | 'ollama'): Promise<FakeLlm> {
  const closed = deferred();
  let gate = deferred();
  const sockets = new Set<import('node:net').Socket>();
  const fake: FakeLlm = {
    url: '',
    behaviour: 'ok',
    tokens: ['Hello', ' from', ' the', ' fake', ' model.'],
    requests: [],
    upstreamClosed: closed.promise,
    release: () => gate.resolve(),
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', async () => {
      let body: Record<string, any> = {};
      try {
        body = JSON.parse(raw);
      } catch {
        /* recorded as {} */
      }
      fake.requests.push({ path: req.url ?? '', authorization: req.headers.authorization, body });
      let finished = false;
      res.on('close', () => {
        if (!finished) closed.resolve();
      });
      const b = fake.behaviour;
      if (b === 'down') return void ((finished = true), res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"overloaded"}}'));
      if (b === 'unauthorized') return void ((finished = true), res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}'));
      if (b === 'silent') return; // never answers
      const sse = kind === 'openai';
      res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/x-ndjson' });
      if (b === 'garbage') {
        finished = true;
        return void res.end(sse ? 'data: {not json at all\n\n' : '<html>oops</html>\n');
      }
      const chunk = (text: string | null, extra: Record<string, unknown> = {}) =>
        sse
          ? `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [{ index: 0, delta: text === null ? { role: 'assistant' } : { content: text }, finish_reason: null, ...extra }] })}\n\n`
          : `${JSON.stringify({ model: body.model, message: { role: 'assistant', content: text ?? '' }, done: false })}\n`;
      if (sse) res.write(chunk(null)); // role-only first chunk
      if (b === 'midclose') return void res.write(chunk(fake.tokens[0]), () => res.socket?.destroy());
      res.write(chunk(fake.tokens[0]));
      if (b === 'gated') {
        await gate.promise;
        gate = deferred();
      }
      for (const t of fake.tokens.slice(1)) res.write(chunk(t));
      if (sse) {
        res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
        res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } })}\n\n`);
        res.write('data: [DONE]\n\n');
      } else {
        res.write(`${JSON.stringify({ model: body.model, message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop' })}\n`);
      }
      finished = true;
      res.end();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  fake.url = kind === 'openai' ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`;
  return fake;
}

export const startOpenAiFake = () => start('openai');
export const startOllamaFake = () => start('ollama');

/** Parses an SSE body into its data frames (comments skipped). */
export function frames(body: string): Record<string, any>[] {
  return body
    .split('\n\n')
    .map((f) => f.trim())
    .filter((f) => f.startsWith('data: '))
    .map((f) => JSON.parse(f.slice(6)));
}
