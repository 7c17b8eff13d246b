// Keeps dist/ a compiled copy of src/, so a `selflink` start pays neither tsx's module hooks nor
// on-the-fly transpiling, nor resolving and reading a thousand files one by one (bench/RESULTS.md,
// "Cold start"). esbuild bundles src/main.ts into dist/main.js together with
// INLINED: pure-ESM packages, free of native code and of paths relative to their own files, that load
// hundreds of files each. Every other package stays an ordinary import from node_modules.
// The build is fingerprinted by every source file's path, size and mtime (and the inlined packages'
// versions) and redone (~1 s) whenever the fingerprint changes: a stale build never shadows the code
// being edited. Type checking stays with `npm run typecheck`.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = path.join(ROOT, 'dist');
const SRC = path.join(ROOT, 'src');
const STAMP = path.join(DIST, '.fingerprint');
const LOCK = path.join(ROOT, 'dist.lock');
/** typebox: ~370 files for `Type`; drizzle-orm: ~110; jose: ~45. */
const INLINED = ['typebox', 'drizzle-orm', 'jose'];

/** The installed version of a package (its package.json is not always among its exports). */
function packageVersion(name) {
  for (let dir = path.dirname(fileURLToPath(import.meta.resolve(name))); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    const pkg = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
    if (pkg?.name === name) return pkg.version;
  }
  return '?';
}

function sources() {
  return fs
    .readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => path.join(e.parentPath ?? e.path, e.name))
    .sort();
}

function fingerprint(files) {
  const h = createHash('sha256').update(`${process.version}\n${INLINED.map((p) => `${p}@${packageVersion(p)}`).join(' ')}\n`);
  // This file too: a change to the build's options redoes it.
  for (const f of [...files, fileURLToPath(import.meta.url), path.join(ROOT, 'tsconfig.json'), path.join(ROOT, 'tsconfig.build.json')]) {
    const st = fs.statSync(f);
    h.update(`${path.relative(ROOT, f)}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return h.digest('hex');
}

const readStamp = () => {
  try {
    return fs.readFileSync(STAMP, 'utf8');
  } catch {
    return null;
  }
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One builder at a time (test runs start many processes at once); a lock left by a dead builder is taken over. */
async function withLock(fn) {
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      fs.writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(LOCK, 'pid'), 'utf8'));
      } catch {
        // being created or removed: look again
      }
      let alive = true;
      if (Number.isInteger(owner) && owner > 0) {
        try {
          process.kill(owner, 0);
        } catch (e) {
          alive = e.code === 'EPERM';
        }
      }
      if (!alive) fs.rmSync(LOCK, { recursive: true, force: true });
      else await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

const packageOf = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

/** Bare imports of packages other than INLINED stay imports (resolved by Node at run time). */
const importOthers = {
  name: 'import-others',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (INLINED.includes(packageOf(args.path)) ? undefined : { external: true }));
  },
};

async function build(stamp) {
  const { build: esbuild } = await import('esbuild');
  // Built beside dist/ and swapped in whole: no process ever imports a half-written tree, and files of
  // deleted sources do not linger.
  const tmp = `${DIST}.tmp-${process.pid}`;
  const old = `${DIST}.old-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    await esbuild({
      entryPoints: [path.join(SRC, 'main.ts')],
      // One file, no chunks: a running process's later dynamic imports of our own code are inlined,
      // so a rebuild (after an edit, by another process) can never pull a file from under it.
      bundle: true,
      outdir: tmp,
      format: 'esm',
      platform: 'node',
      target: 'es2022',
      tsconfig: path.join(ROOT, 'tsconfig.build.json'),
      sourcemap: true,
      sourcesContent: false,
      plugins: [importOthers],
      logLevel: 'silent', // its errors are in the exception's message
    });
    fs.writeFileSync(path.join(tmp, '.fingerprint'), stamp);
    try {
      fs.renameSync(DIST, old);
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
    fs.renameSync(tmp, DIST);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(old, { recursive: true, force: true });
  }
}

/** Brings dist/ up to date with src/; throws when it cannot (esbuild's errors, a read-only checkout). */
export async function ensureBuilt() {
  const stamp = fingerprint(sources());
  if (readStamp() === stamp) return;
  await withLock(async () => {
    if (readStamp() !== stamp) await build(stamp);
  });
}

// `node bin/fresh-build.mjs` (`npm run build`, the image build): build now or fail.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await ensureBuilt();
