// A real `selflink serve` child process:
// - receives three 99 MiB parts (declared with Content-Length, and chunked without one): it answers
//   413 and its resident memory (peak, from /proc) grows by far less than the body, because parts are
//   streamed to disk and cut off at UPLOAD_MAX_TOTAL_BYTES;
// - delivers a follow's push to EXPO_PUSH_URL by itself (its own worker runs the delivery jobs).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, migratedDataDir } from '../support/process.js';

const MiB = 1024 * 1024;
const onLinux = process.platform === 'linux';

let child: ChildProcess;
let base: string;
let dataDir: string;
let token: string;
let pushes: { path: string; body: any }[] = [];
let pushed: (() => void) | null = null;
const pushServer = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (d) => (raw += d));
  req.on('end', () => {
    pushes.push({ path: req.url ?? '', body: JSON.parse(raw) });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.url?.endsWith('/send') ? { data: [{ status: 'ok', id: 'ticket-1' }] } : { data: {} }));
    pushed?.();
  });
});

function procKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field}`);
  return Number(m[1]);
}

beforeAll(async () => {
  if (!onLinux) return;
  dataDir = migratedDataDir('selflink-mem-');
  await new Promise<void>((r) => pushServer.listen(0, '127.0.0.1', r));
  const pushUrl = `http://127.0.0.1:${(pushServer.address() as import('node:net').AddressInfo).port}/--/api/v2/push/send`;
  // --liftoff-only: V8's optimising WebAssembly compiler, compiling PGlite in the background, holds up to
  // ~600 MB of malloc'd memory on Node 24 (v8 peak_malloced_memory; 66 MB on Node 20) and lands in whatever
  // window the memory tests measure. Without it the chunked case measured 205–360 MiB on Node 24 whether the
  // files went to disk or to /dev/null; with it, 59–66 MiB. What these tests measure is the upload's own memory.
  child = spawn(process.execPath, ['--liftoff-only', BIN, 'serve'], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', EXPO_PUSH_URL: pushUrl, THROTTLE_IP_RATE: '100000/min', AUTH_RPS_IP: '1000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  base = await new Promise<string>((resolve, reject) => {
    const look = (d: Buffer) => {
      out += d;
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  const reg = await fetch(`${base}/api/v1/auth/register/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'mem@example.com', password: 'password123', name: 'Mem' }),
  });
  token = (await reg.json()).token;
}, 120_000);

afterAll(async () => {
  pushServer.close();
  if (!child) return;
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Streams `parts` parts of `partBytes` zero bytes each; resolves with the status and body of the answer. */
function postHuge(parts: number, partBytes: number, declareLength: boolean): Promise<{ status: number; body: string }> {
  const boundary = 'memtestboundary0123456789';
  const head = (i: number) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f${i}.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
  const tail = Buffer.from(`--${boundary}--\r\n`);
  const chunk = Buffer.alloc(MiB);
  let length = tail.length;
  for (let i = 0; i < parts; i++) length += head(i).length + partBytes + 2;
  async function* body() {
    for (let i = 0; i < parts; i++) {
      yield head(i);
      for (let sent = 0; sent < partBytes; sent += MiB) yield sent + MiB <= partBytes ? chunk : chunk.subarray(0, partBytes - sent);
      yield Buffer.from('\r\n');
    }
    yield tail;
  }
  return new Promise((resolve, reject) => {
    const url = new URL('/api/v1/media/', base);
    const req = http.request(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        ...(declareLength ? { 'content-length': String(length) } : { 'transfer-encoding': 'chunked' }),
      },
    });
    const src = Readable.from(body());
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        src.destroy();
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: text });
      });
    });
    // The server closes the connection after its 413: the rest of our upload fails to write.
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    src.on('error', () => undefined);
    src.pipe(req);
  });
}

describe.runIf(onLinux)('upload memory', () => {
  async function uploadStaysSmall(declared: boolean) {
    const pid = child.pid!;
    const before = procKiB(pid, 'VmRSS');
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM (peak RSS) to the current RSS
    const res = await postHuge(3, 99 * MiB, declared);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'payload_too_large', detail: expect.any(String) });
    const peak = procKiB(pid, 'VmHWM');
    expect((peak - before) / 1024).toBeLessThan(150);
    // The server is still healthy and its temporary files are gone.
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const tmp = path.join(dataDir, 'tmp', 'uploads');
    expect(fs.existsSync(tmp) ? fs.readdirSync(tmp) : []).toEqual([]);
  }
  it('three 99 MiB parts declared with Content-Length: 413, and the server RSS grows < 150 MiB', () => uploadStaysSmall(true), 120_000);
  it('three 99 MiB parts chunked, without a length: 413, and the server RSS grows < 150 MiB', () => uploadStaysSmall(false), 120_000);
});

describe.runIf(onLinux)('push from the serve process', () => {
  it('a follow reaches EXPO_PUSH_URL with the token from POST devices/ (the worker inside serve runs it)', async () => {
    const reg = await fetch(`${base}/api/v1/auth/register/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'followee@example.com', password: 'password123', name: 'Followee' }),
    });
    const followee = await reg.json();
    const auth = (tk: string) => ({ authorization: `Bearer ${tk}`, 'content-type': 'application/json' });
    const dev = await fetch(`${base}/api/v1/devices/`, { method: 'POST', headers: auth(followee.token), body: JSON.stringify({ device_type: 'android', push_token: 'ExponentPushToken[serve-test]' }) });
    expect(dev.status).toBe(201);
    pushes = [];
    const arrived = new Promise<void>((r) => (pushed = r));
    const f = await fetch(`${base}/api/v1/users/${followee.user.id}/follow/`, { method: 'POST', headers: auth(token) });
    expect(f.status).toBe(200);
    await arrived; // no drain hook here: the process delivers on its own (vitest's timeout bounds the wait)
    expect(pushes[0].path).toBe('/--/api/v2/push/send');
    expect(pushes[0].body[0]).toMatchObject({ to: 'ExponentPushToken[serve-test]', title: 'New follower', body: 'Mem started following you' });
  }, 10_000);
});
