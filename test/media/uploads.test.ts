// Multipart handling on every upload route: malformed bodies are 400 (DRF shape), over-cap requests
// are 413, parts are spooled to temporary files that are removed after the response.
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { jpeg, multipart, png } from '../social/helpers.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let routes: { method: 'POST' | 'PATCH' | 'PUT'; url: string }[];

beforeAll(async () => {
  t = await createTestApp({ UPLOAD_MAX_BYTES: '20000', VIDEO_MAX_BYTES: '40000', UPLOAD_MAX_TOTAL_BYTES: '50000' });
  [alice, bob] = await Promise.all([t.user(), t.user()]);
  const thread = (await alice.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: bob.id } })).json().id;
  routes = [
    { method: 'POST', url: '/api/v1/media/' },
    { method: 'POST', url: '/api/v1/posts/' },
    { method: 'POST', url: '/api/v1/comments/' },
    { method: 'POST', url: `/api/v1/threads/${thread}/messages/` },
    { method: 'POST', url: `/api/v1/messaging/threads/${thread}/messages/` },
    { method: 'PATCH', url: '/api/v1/me/profile/' },
    { method: 'PUT', url: '/api/v1/me/profile/' },
  ];
});
afterAll(async () => t?.close());

const tmpFiles = () => fs.readdirSync(t.ctx.config.uploads.tmpDir);

describe('malformed multipart on every multipart route', () => {
  const good = () => multipart({ text: 'x' }, [{ field: 'file', filename: 'a.png', type: 'image/png', data: png(4, 4, 4000) }]);
  const cases: [string, () => { payload: Buffer; headers: Record<string, string> }][] = [
    ['no boundary', () => ({ payload: good().payload, headers: { 'content-type': 'multipart/form-data' } })],
    ['an empty boundary', () => ({ payload: good().payload, headers: { 'content-type': 'multipart/form-data; boundary=' } })],
    ['a truncated body', () => {
      const g = good();
      return { payload: g.payload.subarray(0, g.payload.length - 2000), headers: g.headers };
    }],
    ['a body without the declared boundary', () => ({ payload: Buffer.from('just some bytes\r\n'.repeat(20)), headers: good().headers })],
    ['a part without headers end', () => {
      const g = good();
      const b = /boundary=(.+)$/.exec(g.headers['content-type'])![1];
      return { payload: Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="text"`), headers: g.headers };
    }],
  ];
  it.each(cases)('%s → 400 parse_error', async (_name, make) => {
    for (const r of routes) {
      const { payload, headers } = make();
      const res = await alice.req({ method: r.method, url: r.url, payload, headers });
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(400);
      expect(res.json(), `${r.method} ${r.url}`).toEqual({ detail: expect.stringMatching(/^Multipart form parse error - /), code: 'parse_error' });
    }
    expect(tmpFiles()).toEqual([]);
  });
});

describe('limits', () => {
  it('answers 413 in the contract shape when the parts together exceed UPLOAD_MAX_TOTAL_BYTES (no Content-Length trust needed)', async () => {
    const files = [0, 1, 2].map((i) => ({ field: 'attachments', filename: `${i}.jpg`, type: 'image/jpeg', data: jpeg(19_000) }));
    const m = multipart({ body: 'x' }, files);
    for (const r of routes.slice(1, 4)) {
      const res = await alice.req({ method: r.method, url: r.url, payload: m.payload, headers: m.headers });
      expect(res.statusCode, r.url).toBe(413);
      expect(res.json()).toEqual({ detail: expect.stringContaining('50000'), code: 'payload_too_large' });
    }
    expect(tmpFiles()).toEqual([]);
  });

  it('refuses a declared Content-Length over the cap before reading the body', async () => {
    const m = multipart({}, [{ field: 'file', filename: 'a.png', type: 'image/png', data: png() }]);
    const res = await alice.req({ method: 'POST', url: '/api/v1/media/', payload: m.payload, headers: { ...m.headers, 'content-length': String(10_000_000) } });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('payload_too_large');
    expect(res.headers.connection).toBe('close');
  });

  it('a client still sending when the 413 goes out reads the 413 (lingering close), then the server closes', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as net.AddressInfo;
    const sock = net.connect(port, '127.0.0.1');
    let received = '';
    let writeError: Error | undefined;
    sock.on('data', (d) => (received += d));
    sock.on('error', (err) => (writeError ??= err));
    const closed = new Promise((r) => sock.on('close', r));
    const answered = new Promise<void>((r) => sock.on('data', () => received.includes('\r\n\r\n{') && r()));
    sock.write(`POST /api/v1/media/ HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${alice.token}\r\ncontent-type: multipart/form-data; boundary=b\r\ncontent-length: 500000000\r\n\r\n`);
    // Keep the pipe full, as an app streaming a large video does, until the answer arrives.
    const chunk = Buffer.alloc(256 * 1024);
    let done = false;
    void answered.then(() => (done = true));
    while (!done && !writeError && !sock.destroyed) {
      if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r).once('close', r).once('data', r));
      else await new Promise((r) => setImmediate(r));
    }
    expect(writeError).toBeUndefined();
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(received.toLowerCase()).toContain('connection: close');
    sock.end(); // we stop sending: the server, which has already sent its FIN, closes
    await closed;
  });

  it('names the field of a file over its route\'s per-file limit', async () => {
    const m = multipart({}, [{ field: 'avatar_image', filename: 'a.png', type: 'image/png', data: png(4, 4, 25_000) }]);
    const res = await alice.req({ method: 'PATCH', url: '/api/v1/me/profile/', payload: m.payload, headers: m.headers });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ avatar_image: ['File is larger than 20000 bytes.'] });
  });

  it('too many files is 413; anonymous uploads are 401 before any file is written', async () => {
    const files = Array.from({ length: 3 }, (_, i) => ({ field: 'file', filename: `${i}.png`, type: 'image/png', data: png() }));
    const m = multipart({}, files);
    const res = await alice.req({ method: 'POST', url: '/api/v1/media/', payload: m.payload, headers: m.headers });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('payload_too_large');
    expect((await t.request({ method: 'POST', url: '/api/v1/media/', payload: m.payload, headers: m.headers })).statusCode).toBe(401);
    expect(tmpFiles()).toEqual([]);
  });
});

describe('accepted uploads', () => {
  it('are stored from their temporary file (same bytes, checksum, size), and the temporary file is removed', async () => {
    const data = png(33, 44, 15_000);
    const m = multipart({}, [{ field: 'file', filename: 'a.png', type: 'image/png', data }]);
    const res = await alice.req({ method: 'POST', url: '/api/v1/media/', payload: m.payload, headers: m.headers });
    expect(res.statusCode).toBe(201);
    const a = res.json();
    expect(a).toMatchObject({ width: 33, height: 44, mime: 'image/png' });
    const stored = await t.ctx.storage.read(a.s3_key);
    expect(stored && Buffer.compare(stored, data)).toBe(0);
    expect(tmpFiles()).toEqual([]);
  });

  it.each([
    ['a PNG signature without IHDR', Buffer.concat([png().subarray(0, 8), Buffer.alloc(64, 7)])],
    ['a PNG of zero width', png(0, 10)],
    ['a JPEG with no frame header', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xd9]), Buffer.alloc(32)])],
    ['a GIF signature only', Buffer.from('GIF89a')],
    ['a WebP without a readable frame', Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBPVP8 '), Buffer.alloc(20)])],
  ])('refuses images that do not decode: %s', async (_name, data) => {
    const m = multipart({}, [{ field: 'file', filename: 'a.png', type: 'image/png', data }]);
    const res = await alice.req({ method: 'POST', url: '/api/v1/media/', payload: m.payload, headers: m.headers });
    expect(res.statusCode).toBe(400);
    expect(res.json().file).toBeDefined();
    const avatar = multipart({}, [{ field: 'avatar_image', filename: 'a.png', type: 'image/png', data }]);
    const r2 = await alice.req({ method: 'PATCH', url: '/api/v1/me/profile/', payload: avatar.payload, headers: avatar.headers });
    expect(r2.statusCode).toBe(400);
    expect(r2.json().avatar_image).toBeDefined();
  });
});
