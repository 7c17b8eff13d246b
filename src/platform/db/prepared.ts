// Hot queries as prepared statements: drizzle builds the SQL once (not on every request), and
// PostgreSQL parses it once per connection and, after a few runs, plans it once too. On a feed
// page, parse and plan were most of the database's time (bench/RESULTS.md, "Prepared statements").
import { Column, getTableName, is, SQL } from 'drizzle-orm';
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
      q = withFixedDecoders(build(db).prepare(unnamed.has(session) ? '' : name));
      built.set(session, q);
    }
    return q;
  };
}

interface Decoder {
  mapFromDriverValue(value: unknown): unknown;
}
/** What drizzle's prepared query keeps (the same in its node-postgres and PGlite drivers). */
interface PreparedInternals {
  fields?: { path: string[]; field: unknown }[];
  joinsNotNullableMap?: Record<string, boolean>;
  customResultMapper?: (rows: unknown[][]) => unknown[];
}

/**
 * Maps a statement's rows with each field's decoder resolved once, when it is built. Drizzle's own
 * mapper works each decoder out again for every field of every row (class checks up the prototype
 * chain): ~15 % of a feed page's CPU in a profile. The result is the same: flat fields and
 * one level of nesting (`{ post: posts, ... }`), null stays null. Statements it does not cover (an
 * object from a join that may be null, subquery fields, deeper nesting) keep drizzle's mapper.
 */
export function withFixedDecoders<Q>(q: Q): Q {
  const p = q as PreparedInternals;
  const fields = p.fields;
  if (!fields || p.customResultMapper) return q;
  // Drizzle makes a nested object null when its columns come from a join that may be null and
  // are null; such a statement keeps drizzle's mapper. Flat fields of that join map as any other.
  const notNull = p.joinsNotNullableMap;
  const nullableJoins = notNull !== undefined && Object.values(notNull).some((nn) => !nn);
  const plan: { outer: string; inner: string | null; decoder: Decoder }[] = [];
  for (const { path, field } of fields) {
    if (nullableJoins && path.length === 2 && !(is(field, Column) && notNull[getTableName(field.table)] === true)) return q;
    let decoder: Decoder | undefined;
    if (is(field, Column)) decoder = field;
    else if (is(field, SQL)) decoder = (field as unknown as { decoder: Decoder }).decoder;
    else if (is(field, SQL.Aliased)) decoder = (field.sql as unknown as { decoder: Decoder }).decoder;
    if (!decoder || path.length < 1 || path.length > 2) return q;
    plan.push({ outer: path[0], inner: path.length === 2 ? path[1] : null, decoder });
  }
  p.customResultMapper = (rows) =>
    rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < plan.length; i++) {
        const { outer, inner, decoder } = plan[i];
        const raw = row[i];
        const value = raw === null ? null : decoder.mapFromDriverValue(raw);
        if (inner === null) out[outer] = value;
        else ((out[outer] ??= {}) as Record<string, unknown>)[inner] = value;
      }
      return out;
    });
  return q;
}
