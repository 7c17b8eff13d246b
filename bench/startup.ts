// Cold `npm start` to the first 200 on /health: on an empty DATA_DIR (PGlite initdb + migrations)
// and on an existing one, against a bare Fastify process started through tsx (the baseline of the
// ratios) and as plain JavaScript (the floor: one node process, no tooling).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fmt, ROOT, writeSection } from './lib.js';

function timeToFirst200(cmd: string, args: string[], env: Record<string, string>, url: (port: number) => string, portRe: RegExp): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let polling = false;
    child.stdout!.on('data', async (d) => {
      out += d;
      const m = portRe.exec(out);
      if (!m || polling) return;
      polling = true;
      for (;;) {
        const ok = await fetch(url(Number(m[1]))).then((r) => r.status === 200, () => false);
        if (ok) break;
      }
      const ms = performance.now() - t0;
      process.kill(-child.pid!, 'SIGTERM');
      child.once('exit', () => resolve(ms));
    });
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => {
      if (!polling) reject(new Error(`exited ${code}: ${out}`));
    });
  });
}

export async function run() {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const bare: number[] = [];
  const plain: number[] = [];
  const loads: number[] = [];
  // bench/bare-server.ts holds no type syntax: node runs its text as it is.
  const bareSource = fs.readFileSync(path.join(ROOT, 'bench', 'bare-server.ts'), 'utf8');
  const empty: number[] = [];
  const existing: number[] = [];
  // `npm start` rebuilds dist/ first when a source changed (~1 s, once): build before timing, as a deployment does.
  if (spawnSync(process.execPath, ['bin/fresh-build.mjs'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error('build failed');
  for (let i = 0; i < runs; i++) {
    bare.push(await timeToFirst200('npx', ['tsx', 'bench/bare-server.ts'], { PORT: '0' }, (p) => `http://127.0.0.1:${p}/bare`, /listening (\d+)/));
    plain.push(await timeToFirst200(process.execPath, ['--input-type=module', '-e', bareSource], { PORT: '0' }, (p) => `http://127.0.0.1:${p}/bare`, /listening (\d+)/));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflink-start-'));
    const env = { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'info' };
    const re = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/;
    empty.push(await timeToFirst200('npm', ['start'], env, (p) => `http://127.0.0.1:${p}/health`, re));
    existing.push(await timeToFirst200('npm', ['start'], env, (p) => `http://127.0.0.1:${p}/health`, re));
    fs.rmSync(dir, { recursive: true, force: true });
    loads.push(os.loadavg()[0]);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const body = `## Cold start: \`npm start\` to the first 200 on /health (embedded mode)

${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, Node ${process.version}, median of ${runs} runs, 1-minute load average after each run
${loads.map((l) => fmt(l, 2)).join(', ')} (the machine is shared). Baseline: a bare Fastify route started through tsx
(\`npx tsx bench/bare-server.ts\`); the same file run by plain node shows the floor.

| start | median ms | ratio to bare |
|---|---:|---:|
| bare Fastify (tsx) | ${fmt(med(bare))} | 1.0 × |
| bare Fastify (plain node) | ${fmt(med(plain))} | ${fmt(med(plain) / med(bare), 2)} × |
| SelfLink, empty \`DATA_DIR\` (PGlite initdb + migrations) | ${fmt(med(empty))} | ${fmt(med(empty) / med(bare), 1)} × |
| SelfLink, existing \`DATA_DIR\` | ${fmt(med(existing))} | ${fmt(med(existing) / med(bare), 2)} × |

Runs: bare ${bare.map((x) => fmt(x)).join(', ')}; plain ${plain.map((x) => fmt(x)).join(', ')}; empty ${empty.map((x) => fmt(x)).join(', ')}; existing ${existing.map((x) => fmt(x)).join(', ')} ms.`;
  writeSection('startup', body);
  console.log(body);
}
