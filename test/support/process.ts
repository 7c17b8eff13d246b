// A real `selflink <role>` child process for tests: its combined output, its exit, and the URL it listens on.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pgliteDataDirPath } from './mode.js';

export const BIN = path.resolve('bin/selflink.mjs');

/**
 * A new DATA_DIR (at `sub` inside a fresh temporary folder, if given) holding only a copy of the
 * suite's migrated embedded database: `selflink serve` starts on it without initdb or migrations.
 */
export function migratedDataDir(prefix: string, sub = ''): string {
  const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), prefix)), sub);
  fs.cpSync(pgliteDataDirPath(), path.join(dataDir, 'pgdata'), { recursive: true });
  return dataDir;
}

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
