// Hot queries as prepared statements: drizzle builds the SQL once (not on every request), and
// PostgreSQL parses it once per connection and, after a few runs, plans it once too. On a feed
// page, parse and plan were most of the database's time (bench/RESULTS.md, "Prepared statements").
import type { Db } from './index.js';

const unnamed = new WeakSet<object>();

/**
 * What a prepared statement belongs to: drizzle's session (the pool or the PGlite client), so that
 * handles delegating to one database (the test harness's switchable one) never run a statement
 * prepared on another.
 */
const sessionOf = (db: object): object => (db as { session?: object }).session ?? db;

/**
 * For poolers that cannot keep named statements across transactions (PgBouncer before 1.21, or
 * `max_prepared_statements = 0`): this handle's statements go out unnamed, still built only once.
 */
export function sendUnnamed(db: object) {
  unnamed.add(sessionOf(db));
}

/**
 * A query built once per database handle. `name` must be unique in the process (prefix it with the
 * module's name); values go in through `sql.placeholder(...)` and `.execute({ ... })`.
 */
export function prepared<Q>(name: string, build: (db: Db) => { prepare(name: string): Q }): (db: Db) => Q {
  const built = new WeakMap<object, Q>();
  return (db) => {
    const session = sessionOf(db);
    let q = built.get(session);
    if (!q) {
      q = build(db).prepare(unnamed.has(session) ? '' : name);
      built.set(session, q);
    }
    return q;
  };
}
