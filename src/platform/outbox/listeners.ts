// Who listens to which domain event, and running them on claimed events: per event (on) or a relay
// pass's events of a name at once (onBatch). The relay (src/platform/events.ts) decides when and
// records the outcome; this file knows only the listeners.
import type { Logger } from '../log.js';
import type { Claimed } from './store.js';

export interface EventMeta {
  /** The outbox row id: stable across redeliveries, so it makes a good idempotency key. */
  id: number;
  name: string;
}

/**
 * A job id for the work of one batch of events (onBatch): its first and last event ids and its size,
 * so the same batch redelivered queues its job once.
 */
export const batchJobId = (prefix: string, events: { meta: { id: number } }[]) =>
  `${prefix}-${events[0].meta.id}-${events[events.length - 1].meta.id}-${events.length}`;

type Listener = (payload: any, meta: EventMeta) => Promise<void> | void;
type BatchListener = (events: { payload: any; meta: EventMeta }[]) => Promise<void> | void;
type Registered = { key: string; fn: Listener; batch: false } | { key: string; fn: BatchListener; batch: true };

export interface ListenOptions {
  key?: string;
  afterResponse?: boolean;
}

/** What the listeners did for one event: the keys that succeeded, the last error (null: none). */
export interface Outcome {
  ok: string[];
  error: unknown;
}

export class ListenerRegistry {
  private listeners = new Map<string, Registered[]>();
  /** Events with a listener that must have run when the emitting request answers. */
  private beforeResponse = new Set<string>();

  constructor(private readonly log: Logger) {}

  on(name: string, fn: Listener, opts: ListenOptions) {
    this.register(name, (key) => ({ key, fn, batch: false }), opts);
  }

  onBatch(name: string, fn: BatchListener, opts: ListenOptions) {
    this.register(name, (key) => ({ key, fn, batch: true }), opts);
  }

  private register(name: string, make: (key: string) => Registered, opts: ListenOptions) {
    const list = this.listeners.get(name) ?? [];
    const key = opts.key ?? `${name}#${list.length}`;
    if (list.some((l) => l.key === key)) throw new Error(`duplicate listener key ${key}`);
    list.push(make(key));
    this.listeners.set(name, list);
    if (!opts.afterResponse) this.beforeResponse.add(name);
  }

  keys(): string[] {
    return [...this.listeners.values()].flat().map((l) => l.key);
  }

  /** Whether an event of `name` has a listener that must run before the emitting request answers. */
  neededBeforeResponse(name: string): boolean {
    return this.beforeResponse.has(name);
  }

  /**
   * Runs each batch listener once on the claimed events of its name it has not handled yet (the
   * batches side by side), and returns what happened per event.
   */
  async runBatches(rows: Claimed[]): Promise<Map<number, Outcome>> {
    const out = new Map<number, Outcome>();
    const runs: Promise<void>[] = [];
    for (const [name, list] of this.listeners) {
      for (const l of list) {
        if (!l.batch) continue;
        const todo = rows.filter((r) => r.name === name && !r.handled.includes(l.key));
        if (!todo.length) continue;
        runs.push(
          (async () => {
            let error: unknown = null;
            try {
              await l.fn(todo.map((r) => ({ payload: r.payload, meta: { id: r.id, name: r.name } })));
            } catch (err) {
              error = err;
              this.log.error({ err, event: name, events: todo.length, listener: l.key }, 'event listener failed, will retry');
            }
            for (const r of todo) {
              const o = out.get(r.id) ?? { ok: [], error: null };
              if (error === null) o.ok.push(l.key);
              else o.error = error;
              out.set(r.id, o);
            }
          })(),
        );
      }
    }
    await Promise.all(runs);
    return out;
  }

  /**
   * Runs the per-event listeners that have not handled this event yet, side by side (an event's
   * listeners are independent of each other), and adds their outcome to the batch listeners'.
   */
  async runEach(row: Claimed, batched: Outcome = { ok: [], error: null }): Promise<Outcome> {
    const done = new Set(row.handled);
    const out: Outcome = { ok: [...batched.ok], error: batched.error };
    await Promise.all(
      (this.listeners.get(row.name) ?? [])
        .filter((l) => !l.batch && !done.has(l.key))
        .map(async (l) => {
          try {
            await (l.fn as Listener)(row.payload, { id: row.id, name: row.name });
            out.ok.push(l.key);
          } catch (err) {
            out.error = err;
            this.log.error({ err, event: row.name, eventId: row.id, listener: l.key, attempt: row.attempts }, 'event listener failed, will retry');
          }
        }),
    );
    return out;
  }
}
