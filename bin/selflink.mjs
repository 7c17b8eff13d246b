#!/usr/bin/env node
// Entry point. Production images run the compiled build (dist/); everywhere else the TypeScript
// sources run directly through tsx, so a stale build can never shadow the code being edited.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const useDist = process.env.SELFLINK_USE_DIST === '1' || (process.env.NODE_ENV === 'production' && process.env.SELFLINK_USE_DIST !== '0');
if (useDist && existsSync(dist)) {
  await import(dist);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
