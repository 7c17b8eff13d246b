// Client harness for the realtime benchmark, run as a forked child process (several of them spread
// the sockets over event loops). Parent → child over IPC:
//   {cmd:'open', sockets:[{user, url}], batch}  opens them in batches; a socket counts once it got the
//                                                 server's {"type":"ack","status":"connected"} frame
//   {cmd:'close'}                                closes every socket and exits
// Child → parent: {kind:'opened', ok, failed, ms} and batches {kind:'rx', rx:[[client_uuid, user, tMs]]}
// where tMs is process.hrtime (CLOCK_MONOTONIC, shared by every process on the machine) in ms.
import { createRequire } from 'node:module';

interface RawWs {
  on(ev: 'message', l: (data: Buffer) => void): void;
  on(ev: 'close' | 'open', l: () => void): void;
  on(ev: 'error', l: (err: Error) => void): void;
  close(): void;
  terminate(): void;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string, opts?: Record<string, unknown>) => RawWs;

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sockets: RawWs[] = [];
let rx: [string, number, number][] = [];

setInterval(() => {
  if (rx.length) {
    process.send!({ kind: 'rx', rx });
    rx = [];
  }
}, 20).unref();

function open(user: number, url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let done = false;
    const finish = (ok: boolean) => {
      if (!done) {
        done = true;
        resolve(ok);
      }
    };
    const timer = setTimeout(() => finish(false), 30_000);
    ws.on('message', (data) => {
      const t = nowMs();
      const f = JSON.parse(data.toString()) as { type?: string; status?: string; message?: { client_uuid?: string } };
      if (f.type === 'message:new') {
        const uuid = f.message?.client_uuid;
        if (uuid) rx.push([uuid, user, t]);
      } else if (f.type === 'ack' && f.status === 'connected') {
        clearTimeout(timer);
        finish(true);
      }
    });
    ws.on('error', () => finish(false));
    ws.on('close', () => {
      clearTimeout(timer);
      finish(false);
    });
    sockets.push(ws);
  });
}

process.on('message', async (msg: { cmd: string; sockets?: { user: number; url: string }[]; batch?: number }) => {
  if (msg.cmd === 'open') {
    const t0 = nowMs();
    let ok = 0;
    let failed = 0;
    const list = msg.sockets!;
    for (let i = 0; i < list.length; i += msg.batch!) {
      const res = await Promise.all(list.slice(i, i + msg.batch!).map((s) => open(s.user, s.url)));
      for (const r of res) {
        if (r) ok++;
        else failed++;
      }
    }
    process.send!({ kind: 'opened', ok, failed, ms: nowMs() - t0 });
  } else if (msg.cmd === 'close') {
    for (const s of sockets) s.terminate();
    process.exit(0);
  }
});
process.send!({ kind: 'ready' });
