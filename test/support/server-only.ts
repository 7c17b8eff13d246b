// Tests whose point is concurrency run in server mode only. Embedded mode's PGlite has one connection and
// runs one query at a time, so concurrent transactions never overlap there and such a test could hardly fail.
// CI runs the whole suite in server mode too; embedded runs list these as skipped, with the reason in the name.
import { describe, it, type TestFunction } from 'vitest';
import { SERVER_MODE } from './mode.js';

export const SERVER_ONLY_REASON = 'needs server mode: PGlite has one connection, so concurrent transactions never overlap';

/** `it` for a concurrency test: runs in server mode, shows as skipped (with the reason) in embedded mode. */
export function itServer(name: string, fn: TestFunction, timeout?: number) {
  return it.runIf(SERVER_MODE)(`${name} [${SERVER_ONLY_REASON}]`, fn, timeout);
}

/** `describe` for a block of concurrency tests, as `itServer`. */
export function describeServer(name: string, fn: () => void) {
  return describe.runIf(SERVER_MODE)(`${name} [${SERVER_ONLY_REASON}]`, fn);
}
