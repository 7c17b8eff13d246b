// Keeps dist/ a compiled copy of src/, so a `selflink` start pays neither tsx's module hooks nor
// on-the-fly transpiling, nor resolving and reading a thousand files one by one (bench/RESULTS.md,
// "Cold start"). esbuild bundles src/main.ts into dist/main.js; what main.ts imports dynamically
// becomes a chunk (dist/chunks/), so a role loads neither the admin commands nor the other database
// driver. INLINED packages are bundled too: pure ESM, free of native code and of paths relative to
// their own files, hundreds of files each. Every other package stays an import from node_modules.
//
// The build is fingerprinted by every source file's path, size and mtime (and the inlined packages'
// versions) and redone (~1 s) whenever that changes: a stale build never shadows the code being
// edited. Type checking stays with `npm run typecheck` (and `npm run build`).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = path.join(ROOT, 'dist');
const SRC = path.join(ROOT, 'src');
const CHUNKS = path.join(DIST, 'chunks');
const STAMP = path.join(DIST, '.fingerprint');
const LOCK = path.join(ROOT, 'dist.lock');
/** typebox: ~370 files for `Type`; drizzle-orm: ~110; jose: ~45. */
const INLINED = ['typebox', 'drizzle-orm', 'jose'];
/** Chunks of earlier builds are kept this long: a process started on one may still import it. */
const KEEP_OLD_CHUNKS_MS = 24 * 3600_000;

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
  const h = createHash('sha256').update(`${INLINED.map((p) => `${p}@${packageVersion(p)}`).join(' ')}\n`);
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
  const tmp = `${DIST}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    await esbuild({
      entryPoints: [path.join(SRC, 'main.ts')],
      bundle: true,
      splitting: true,
      outdir: tmp,
      chunkNames: 'chunks/[name]-[hash]',
      format: 'esm',
      platform: 'node',
      target: 'es2022',
      tsconfig: path.join(ROOT, 'tsconfig.build.json'),
      sourcemap: true,
      sourcesContent: false,
      plugins: [importOthers],
      logLevel: 'silent', // its errors are in the exception's message
    });
    // Installed chunks first, then the entry (each rename atomic), then the stamp. Chunk names carry
    // their content's hash, so those of earlier builds stay beside the new ones: a running process
    // never loses a chunk it has yet to import, nor reads a half-written file.
    fs.mkdirSync(CHUNKS, { recursive: true });
    const built = new Set(fs.readdirSync(path.join(tmp, 'chunks')));
    for (const f of built) fs.renameSync(path.join(tmp, 'chunks', f), path.join(CHUNKS, f));
    for (const f of ['main.js.map', 'main.js']) fs.renameSync(path.join(tmp, f), path.join(DIST, f));
    fs.writeFileSync(STAMP, stamp);
    prune(built);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Drops old builds' chunks after a day, and whatever else an older layout (a per-file tsc build) left in dist/. */
function prune(built) {
  const now = Date.now();
  for (const f of fs.readdirSync(CHUNKS)) {
    const file = path.join(CHUNKS, f);
    if (!built.has(f) && now - fs.statSync(file).mtimeMs > KEEP_OLD_CHUNKS_MS) fs.rmSync(file, { force: true });
  }
  for (const f of fs.readdirSync(DIST)) {
    if (!['main.js', 'main.js.map', 'chunks', '.fingerprint'].includes(f)) fs.rmSync(path.join(DIST, f), { recursive: true, force: true });
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
