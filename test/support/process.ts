// A real `selflink <role>` child process for tests: its combined output, its exit, and the URL it listens on.
import { spawn } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve('bin/selflink.mjs');

export function startSelflink(env: Record<string, string>, args = ['serve']) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  listening.catch(() => undefined); // only awaited by tests that expect a server
  return { child, exited, listening, output: () => out };
}
