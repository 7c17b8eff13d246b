// bin/selflink.mjs runs dist/, rebuilt from src/ when a source changed: in a copy of the project, an
// edit to a source is what the next start runs, and SELFLINK_USE_DIST=0 runs the sources through tsx.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'selflink-build-'));
afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

function selflink(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [path.join(copy, 'bin', 'selflink.mjs'), ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('the built application', () => {
  it('is rebuilt when a source changes, and never runs a stale copy', () => {
    for (const f of ['bin', 'src', 'migrations', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) fs.cpSync(f, path.join(copy, f), { recursive: true });
    fs.symlinkSync(path.resolve('node_modules'), path.join(copy, 'node_modules'));
    const first = selflink(['frobnicate']);
    expect(first.code).toBe(2);
    expect(first.out).toContain('usage: selflink');
    expect(fs.existsSync(path.join(copy, 'dist', 'main.js'))).toBe(true);

    const main = path.join(copy, 'src', 'main.ts');
    fs.writeFileSync(main, fs.readFileSync(main, 'utf8').replace("'usage: selflink", "'edited usage: selflink"));
    const edited = selflink(['frobnicate']);
    expect(edited.code).toBe(2);
    expect(edited.out).toContain('edited usage: selflink');
    expect(fs.readFileSync(path.join(copy, 'dist', 'main.js'), 'utf8')).toContain('edited usage');

    fs.writeFileSync(main, fs.readFileSync(main, 'utf8').replace("'edited usage: selflink", "'tsx usage: selflink"));
    const tsx = selflink(['frobnicate'], { SELFLINK_USE_DIST: '0' });
    expect(tsx.out).toContain('tsx usage: selflink');
    expect(fs.readFileSync(path.join(copy, 'dist', 'main.js'), 'utf8')).not.toContain('tsx usage');
    // No build left behind: no lock, no temporary trees.
    expect(fs.readdirSync(copy).filter((n) => n.startsWith('dist'))).toEqual(['dist']);
  }, 120_000);
});
