// Hot queries as prepared statements: drizzle builds the SQL once (not on every request), and
// PostgreSQL parses it once per connection and, after a few runs, plans it once too. On a feed
// page, parse and plan were most of the database's time (bench/RESULTS.md, "Prepared statements").
import type { Db } from './index.js';

const unnamed = new WeakSet<object>();

/**
 * For poolers that cannot keep named statements across transactions (PgBouncer before 1.21, or
 * `max_prepared_statements = 0`): this handle's statements go out unnamed, still built only once.
 */
export function sendUnnamed(db: object) {
  unnamed.add(db);
}

/**
 * A query built once per database handle. `name` must be unique in the process (prefix it with the
 * module's name); values go in through `sql.placeholder(...)` and `.execute({ ... })`.
 */
export function prepared<Q>(name: string, build: (db: Db) => { prepare(name: string): Q }): (db: Db) => Q {
  const built = new WeakMap<object, Q>();
  return (db) => {
    let q = built.get(db);
    if (!q) {
      q = build(db).prepare(unnamed.has(db) ? '' : name);
      built.set(db, q);
    }
    return q;
  };
}
