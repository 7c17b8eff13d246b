// The database handle of the app a worker's test files share (sharedTestApp): it forwards to the
// current file's copy, so the services built once keep working while each file gets fresh data.
import type { Database, Db } from '../../src/platform/db/index.js';

export class SwitchableDatabase implements Database {
  /** Forwards every call to the current copy's drizzle handle (its `session` too, so prepared statements follow the copy). */
  readonly db: Db;

  constructor(private current: Database) {
    this.db = new Proxy({} as Db, {
      get: (_, key) => {
        const target = this.current.db as unknown as Record<PropertyKey, unknown>;
        const value = target[key];
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** Points the handle at another copy; the caller closes the previous one. */
  use(next: Database) {
    if (next.kind !== this.current.kind) throw new Error(`switching a ${this.current.kind} handle to ${next.kind}`);
    this.current = next;
  }

  get kind() {
    return this.current.kind;
  }
  ping() {
    return this.current.ping();
  }
  migrate() {
    return this.current.migrate();
  }
  close() {
    return this.current.close();
  }
  poolStats() {
    return this.current.poolStats?.() ?? null;
  }
}
