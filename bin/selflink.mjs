#!/usr/bin/env node
// Entry point: runs the built application, dist/main.js (bin/fresh-build.mjs).
// - Where src/ is present, dist/ is first rebuilt if any source changed, so the code being edited is
//   the code that runs, and a start costs what plain JavaScript costs (bench/RESULTS.md, "Cold start").
// - Production (NODE_ENV=production) and SELFLINK_USE_DIST=1 run dist/ as it is, unchecked: images
//   ship it without src/.
// - SELFLINK_USE_DIST=0 runs the TypeScript sources through tsx instead, with no build at all (and
//   so does a checkout where dist/ cannot be built, after saying why).
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const hasSources = existsSync(fileURLToPath(new URL('../src/main.ts', import.meta.url)));
const choice = process.env.SELFLINK_USE_DIST;
const asBuilt = choice === '1' || (process.env.NODE_ENV === 'production' && choice !== '0');

let useDist = asBuilt && existsSync(main);
if (!useDist && choice !== '0' && hasSources) {
  try {
    await (await import('./fresh-build.mjs')).ensureBuilt();
    useDist = true;
  } catch (err) {
    console.error(`selflink: dist/ could not be built, running the sources through tsx: ${err instanceof Error ? err.message : err}`);
  }
}

if (useDist) {
  // Node ≥ 22 keeps compiled code between starts (no-op on 20).
  module.enableCompileCache?.();
  // Stack traces name the TypeScript sources, as they do under tsx.
  process.setSourceMapsEnabled(true);
  await import(main);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
