// Calls made during one turn of the event loop, answered by one query. Under load, the requests that
// arrived together each ask for their page's rows in the same turn; one statement answers them all,
// so the database round trip (a socket write and a wake-up of a PostgreSQL backend, the largest
// single cost of a page on this kind of VM) is paid once per turn instead of once per request.
// Alone, a call waits for nothing but the end of the current turn (setImmediate).
import { pgErrorCode } from './index.js';
import { currentQueryScope, withQueryScope, type QueryScope } from './query-count.js';

export interface TurnBatchOptions {
  /** Calls per batch at most; more start another batch at once. */
  maxCalls?: number;
}

/**
 * For a batch's answer: the row itself to the first caller it goes to, a shallow copy to each later
 * one, so callers of one batch never share an object (one may change what it got).
 */
export function handOutOnce<T extends object>(): (row: T) => T {
  const given = new Set<T>();
  return (row) => {
    if (!given.has(row)) {
      given.add(row);
      return row;
    }
    return { ...row };
  };
}

/**
 * Wraps `run`, which answers a batch of arguments with one result per argument, in the same order.
 * A failed batch fails each of its calls with the same error.
 */
export function turnBatch<A, R>(run: (args: A[]) => Promise<R[]>, opts: TurnBatchOptions = {}): (arg: A) => Promise<R> {
  const maxCalls = opts.maxCalls ?? 64;
  // `counted`: the query count of the work that asked (a request while a test counts). The queries of a
  // batch are charged to each such count it answered, whoever's turn ran it, so a request's count does
  // not depend on what else shared its turn.
  type Call = { arg: A; resolve: (r: R) => void; reject: (e: unknown) => void; counted: QueryScope | undefined };
  let pending: Call[] = [];

  const flush = () => {
    if (!pending.length) return;
    const calls = pending;
    pending = [];
    const counts = new Set<QueryScope>();
    for (const c of calls) if (c.counted) counts.add(c.counted);
    let ran: QueryScope | null = null;
    const start = () => run(calls.map((c) => c.arg));
    let answered: Promise<R[]>;
    try {
      answered = counts.size
        ? withQueryScope((s) => {
            ran = s;
            return start();
          })
        : start();
    } catch (err) {
      answered = Promise.reject(err);
    }
    const charge = () => {
      for (const s of counts) s.n += ran?.n ?? 0;
    };
    answered.then(
      (results) => {
        charge();
        for (let i = 0; i < calls.length; i++) calls[i].resolve(results[i]);
      },
      (err: unknown) => {
        charge();
        for (const c of calls) c.reject(err);
      },
    );
  };

  return (arg) =>
    new Promise<R>((resolve, reject) => {
      if (!pending.length) setImmediate(flush);
      pending.push({ arg, resolve, reject, counted: currentQueryScope() });
      if (pending.length >= maxCalls) flush();
    });
}

/**
 * turnBatch for a write: the calls of one turn are written by `many` in one statement, which answers
 * each call with a function that returns its result or throws its own refusal. One call alone is
 * written by `one`. When PostgreSQL refuses the whole statement (a SQLSTATE: nothing committed, e.g.
 * one bad row or a deadlock with another turn's statement), each call is written again alone, so only
 * what fails fails; any other error (a lost connection, after which the commit may have happened)
 * fails the batch's calls and is not retried, so nothing is written twice.
 */
export function turnBatchWrites<A, R>(one: (arg: A) => Promise<R>, many: (args: A[]) => Promise<(() => R)[]>, opts: TurnBatchOptions = {}): (arg: A) => Promise<R> {
  const settle = (answer: () => R): PromiseSettledResult<R> => {
    try {
      return { status: 'fulfilled', value: answer() };
    } catch (reason) {
      return { status: 'rejected', reason };
    }
  };
  const inTurn = turnBatch(async (args: A[]): Promise<PromiseSettledResult<R>[]> => {
    if (args.length === 1) return Promise.allSettled([one(args[0])]);
    let answers: (() => R)[];
    try {
      answers = await many(args);
    } catch (err) {
      if (pgErrorCode(err) === undefined) throw err;
      return Promise.allSettled(args.map(one));
    }
    return answers.map(settle);
  }, opts);
  return async (arg) => {
    const r = await inTurn(arg);
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  };
}
