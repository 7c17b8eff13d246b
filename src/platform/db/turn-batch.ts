// Calls made during one turn of the event loop, answered by one query. Under load, the requests that
// arrived together each ask for their page's rows in the same turn; one statement answers them all,
// so the database round trip (a socket write and a wake-up of a PostgreSQL backend, the largest
// single cost of a page on this kind of VM) is paid once per turn instead of once per request.
// Alone, a call waits for nothing but the end of the current turn (setImmediate).

export interface TurnBatchOptions {
  /** Calls per batch at most; more start another batch at once. */
  maxCalls?: number;
}

/**
 * Wraps `run`, which answers a batch of arguments with one result per argument, in the same order.
 * A failed batch fails each of its calls with the same error.
 */
export function turnBatch<A, R>(run: (args: A[]) => Promise<R[]>, opts: TurnBatchOptions = {}): (arg: A) => Promise<R> {
  const maxCalls = opts.maxCalls ?? 64;
  type Call = { arg: A; resolve: (r: R) => void; reject: (e: unknown) => void };
  let pending: Call[] = [];

  const flush = () => {
    if (!pending.length) return;
    const calls = pending;
    pending = [];
    let answered: Promise<R[]>;
    try {
      answered = run(calls.map((c) => c.arg));
    } catch (err) {
      answered = Promise.reject(err);
    }
    answered.then(
      (results) => {
        for (let i = 0; i < calls.length; i++) calls[i].resolve(results[i]);
      },
      (err: unknown) => {
        for (const c of calls) c.reject(err);
      },
    );
  };

  return (arg) =>
    new Promise<R>((resolve, reject) => {
      if (!pending.length) setImmediate(flush);
      pending.push({ arg, resolve, reject });
      if (pending.length >= maxCalls) flush();
    });
}
