// Integer array parameters as PostgreSQL array literals, written once per query. The pages pass their
// ids as one array parameter (`= any($1::bigint[])`, `unnest(...)`), and a batch of pages passes
// thousands; pg's own conversion quotes and escapes every element through a regular expression
// (~5 % of the api's CPU serving feed pages, from a --cpu-prof). Other values go to pg unchanged.
import type pg from 'pg';

/** `{1,2,NULL}` for a flat array of safe integers and nulls; null for anything else. */
export function intArrayLiteral(values: readonly unknown[]): string | null {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    if (v === null || v === undefined) out += 'NULL';
    else if (typeof v === 'number' && Number.isSafeInteger(v)) out += v;
    else return null;
  }
  return out + '}';
}

function withLiterals(values: unknown): unknown {
  if (!Array.isArray(values)) return values;
  let out: unknown[] | null = null;
  for (let i = 0; i < values.length; i++) {
    const v: unknown = values[i];
    if (!Array.isArray(v)) continue;
    const literal = intArrayLiteral(v);
    if (literal === null) continue;
    out ??= [...values];
    out[i] = literal;
  }
  return out ?? values;
}

/** pg's Client, with integer array parameters written as literals (give it to the Pool as `Client`). */
export function withIntArrayParams(Client: typeof pg.Client): typeof pg.Client {
  class IntArrayClient extends Client {}
  const query = Client.prototype.query as (...args: unknown[]) => unknown;
  // query(text | config, values?, callback?): values come second, or inside the config object.
  IntArrayClient.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (Array.isArray(args[1])) args[1] = withLiterals(args[1]);
    else if (args[0] && typeof args[0] === 'object' && Array.isArray((args[0] as { values?: unknown }).values)) {
      args[0] = { ...(args[0] as object), values: withLiterals((args[0] as { values: unknown[] }).values) };
    }
    return query.apply(this, args);
  } as never;
  return IntArrayClient;
}
