// Domain events through a transactional outbox. `emit(name, payload, tx)` writes the event as a row
// in the caller's transaction, so it commits (or rolls back) with the change it describes; a relay
// hands committed rows to their listeners, retries failures with backoff until delivered, and marks
// them delivered. Delivery is at least once: listeners must be idempotent (upserts, unique keys,
// job ids). A listener that already succeeded for an event is not run again when another one of
// the same event is retried.
//
// Relaying: every process that calls start() runs the loop; rows are claimed with
// FOR UPDATE SKIP LOCKED and leased (next_attempt_at moves past the lease), so several relays share
// the work and a crashed relay's rows come back when its lease ends. After a local emit the relay
// looks again at once, or OUTBOX_BATCH_MS after its previous pass started when that was more recent
// (under load, a pass per interval, not per event); otherwise it polls every OUTBOX_POLL_MS. drain() is the tests'
// explicit hook: it relays everything pending, backoffs and leases ignored.
//
// Read-your-writes: an HTTP request runs in a scope (withScope) that collects the ids it emitted;
// before the response is sent, flushScope() relays those events in this process, so listeners
// (cache invalidation, job enqueues) have run when the client sees the answer, as with in-process
// events, while the row keeps them safe from a crash.
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import fs from 'node:fs';
import type { SQL } from 'drizzle-orm';
import type { Db, DbOrTx } from './db/index.js';
import type { Logger } from './log.js';
import * as store from './outbox/store.js';
import type { Claimed, DueFilter } from './outbox/store.js';
import { ListenerRegistry, type EventMeta, type ListenOptions, type Outcome } from './outbox/listeners.js';

export { batchJobId, type EventMeta } from './outbox/listeners.js';

export interface OutboxOptions {
  pollMs: number;
  /**
   * The loop's passes start at least this far apart (0: at once after every emit). Under load a
   * pass then takes the events of this interval together: one claim, one mark and one batch per
   * batch listener (docs/events.md), instead of a pass per few events. Requests' own events
   * (flushScope) do not wait for it.
   */
  batchMs?: number;
  leaseMs: number;
  retentionHours: number;
  /** Test hook: SIGKILL this process when the relay claims an event of this name. */
  crashAfterCommit: string | null;
}

const MAX_BACKOFF_MS = 10 * 60_000;
/** How long a locally emitted event is looked for (uncommitted yet) before polling takes over. */
const HINT_PATIENCE_MS = 2000;
/** drain() gives up on an event after this many failed tries in one drain. */
const DRAIN_TRIES = 3;

export class DomainEvents {
  private readonly listeners: ListenerRegistry;
  private started = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  private hinted = new Map<number, number>();
  private hintDelay = 0;
  private lastPassAt = 0;
  private lane: Promise<unknown> = Promise.resolve();
  private lastPurge = 0;
  private scope = new AsyncLocalStorage<number[]>();
  /**
   * Runs work of the relay's own (the loop, batched marks) in the context this object was made in,
   * not in that of the request whose emit or flush started it: its queries are not the request's,
   * and its emits do not join the request's scope.
   */
  private readonly detached = AsyncResource.bind(<T>(fn: () => T): T => fn());
  private deliveredSoFar = 0;
  private toMark: number[] = [];
  private marking: Promise<void> | null = null;

  /**
   * What the SELFLINK_TEST_CRASH_AFTER_COMMIT hook does: SIGKILL this very process (written to
   * stderr synchronously first: the logger would not flush). In-process tests replace it.
   */
  crashNow: (event: string) => void = (event) => {
    fs.writeSync(2, `outbox: SELFLINK_TEST_CRASH_AFTER_COMMIT reached on ${event}, killing the process\n`);
    process.kill(process.pid, 'SIGKILL');
  };

  constructor(
    private readonly log: Logger,
    private readonly db: () => Db,
    private readonly opts: OutboxOptions = { pollMs: 1000, leaseMs: 60_000, retentionHours: 24, crashAfterCommit: null },
  ) {
    this.listeners = new ListenerRegistry(log);
  }

  /**
   * Subscribes to an event. `key` names the listener in the outbox's record of who handled an
   * event (default: the event name and the registration order). `afterResponse`: nothing the
   * emitting request's client reads next depends on this listener (it queues background work), so
   * it need not run before the response; an event whose listeners all say so is left to the loop.
   */
  on<T>(name: string, listener: (payload: T, meta: EventMeta) => Promise<void> | void, opts: ListenOptions = {}) {
    this.listeners.on(name, listener as (payload: unknown, meta: EventMeta) => Promise<void> | void, opts);
  }

  /**
   * Subscribes to an event a pass at a time: the listener gets every event of `name` that one relay
   * pass claimed (up to a claim's batch, in id order), so work that costs less per batch (one job
   * for many events) is paid once. The same contract as on(): a throw makes all of them due again
   * for this listener, so it must be idempotent per event.
   */
  onBatch<T>(name: string, listener: (events: { payload: T; meta: EventMeta }[]) => Promise<void> | void, opts: ListenOptions = {}) {
    this.listeners.onBatch(name, listener as (events: { payload: unknown; meta: EventMeta }[]) => Promise<void> | void, opts);
  }

  /** Every listener's key (the test harness checks that a file handing its app on added none). */
  listenerKeys(): string[] {
    return this.listeners.keys();
  }

  /**
   * Records an event. With `tx` it is written in that transaction and relayed after commit;
   * without, it is written on its own (durable from here on).
   */
  async emit<T>(name: string, payload: T, tx?: DbOrTx): Promise<void> {
    this.emitted(name, [await store.insertEvent(tx ?? this.db(), name, payload)]);
  }

  /**
   * For a change made by one statement (data-modifying CTEs: one round trip instead of a
   * transaction's five or six): a CTE named `alias` that writes the event `name` once per row of
   * `from`, its payload the jsonb SQL expression `payload` over those rows, returning `event_id`
   * and the `payload` (a statement writing several rows tells their events apart by it). The event
   * commits with the statement; hand the ids it returned to emitted().
   */
  cte(db: DbOrTx, alias: string, name: string, payload: SQL, from: SQL) {
    return store.insertEventCte(db, alias, name, payload, from);
  }

  /**
   * Events written by a statement built with cte(), once it has run: relayed as emit()'s are. A
   * request's events are relayed by its flushScope() (waking the loop too would only race it),
   * unless no listener of theirs needs to run before the response: the loop takes those at once.
   */
  emitted(name: string, ids: number[]) {
    const scope = this.listeners.neededBeforeResponse(name) ? this.scope.getStore() : undefined;
    for (const id of ids) {
      if (scope) scope.push(id);
      else this.hint(id);
    }
  }

  /** Runs `fn` (a request) in a scope that collects the ids of the events it emits. */
  withScope<T>(fn: () => T): T {
    return this.scope.run([], fn);
  }

  /**
   * Relays the events emitted in the current scope now (they committed: the handler is done).
   * Best effort: on failure the background relay and its retries take over.
   */
  flushScope(): Promise<void> | null {
    const ids = this.scope.getStore();
    // (no promise when there is nothing to relay: most requests)
    return ids?.length ? this.relayScope(ids.splice(0)) : null;
  }

  private async relayScope(only: number[]): Promise<void> {
    try {
      // The listeners have run when this returns; marking the rows delivered is batched with other
      // requests' and happens after the response (a crash before it means one more delivery).
      const r = await this.pass({ all: false, exclude: [], only, markLater: true });
      // Claimed meanwhile by this process's loop: wait for that pass to finish.
      if (r.claimed.length < only.length) await this.lane;
    } catch (err) {
      this.log.warn({ err }, 'outbox: relaying a request\'s events failed; the relay loop retries');
      for (const id of only) this.hint(id);
    }
  }

  /** The same as emit(name, payload, tx), transaction first. */
  record<T>(tx: DbOrTx, name: string, payload: T): Promise<void> {
    return this.emit(name, payload, tx);
  }

  /** Starts the relay loop in this process. */
  start() {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  /** Stops the loop and waits for the pass in flight. */
  async stop() {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.lane.catch(() => undefined);
    await this.marked();
  }

  /** Relays every pending event now (backoffs and leases ignored) until none is left. */
  async drain(): Promise<number> {
    const gaveUp = new Map<number, number>();
    let total = 0;
    for (;;) {
      const exclude = [...gaveUp].filter(([, n]) => n >= DRAIN_TRIES).map(([id]) => id);
      // drain() ignores leases: a row whose mark is still in flight would be claimed again.
      await this.marked();
      const r = await this.exclusive(() => this.pass({ all: true, exclude }));
      total += r.delivered.length;
      for (const id of r.failed) gaveUp.set(id, (gaveUp.get(id) ?? 0) + 1);
      if (!r.claimed.length) return total;
    }
  }

  /**
   * Events delivered by this process so far, by any pass (the loop, drain(), a request's flush).
   * The tests' drain compares it around a whole round: the loop may relay an event a job emitted
   * (and enqueue its work) while the queue is being drained, which drain()'s own count misses.
   */
  get delivered(): number {
    return this.deliveredSoFar;
  }

  /** Undelivered events (for health checks and tests). */
  async pending(): Promise<number> {
    return store.countPending(this.db());
  }

  // ---- the relay ----

  private hint(id: number) {
    if (!this.started) return;
    const now = Date.now();
    this.hinted.set(id, now);
    this.hintDelay = 0;
    this.schedule(this.untilNextPass(now));
  }

  /** How long until the loop may start its next pass (OUTBOX_BATCH_MS after the last one began). */
  private untilNextPass(now: number): number {
    return Math.max(0, this.lastPassAt + (this.opts.batchMs ?? 0) - now);
  }

  private schedule(delayMs: number) {
    if (!this.started) return;
    const at = Date.now() + delayMs;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.detached(() => void this.tick()), delayMs);
    this.timer.unref?.();
  }

  private async tick() {
    this.timer = null;
    this.lastPassAt = Date.now();
    let next = this.opts.pollMs;
    try {
      const r = await this.exclusive(() => this.pass({ all: false, exclude: [] }));
      for (const id of r.claimed) this.hinted.delete(id);
      const now = Date.now();
      for (const [id, at] of this.hinted) if (now - at > HINT_PATIENCE_MS) this.hinted.delete(id);
      if (r.claimed.length === store.CLAIM_BATCH) next = 0;
      else if (this.hinted.size) {
        // Emitted here but not committed yet (or rolled back, or taken by another relay), or emitted
        // during the pass: look again soon, not sooner than the interval allows.
        this.hintDelay = Math.min(Math.max(this.hintDelay * 2, 2), 250);
        next = Math.max(this.hintDelay, this.untilNextPass(now));
      }
      await this.purge();
    } catch (err) {
      this.log.error({ err }, 'outbox relay pass failed');
    }
    this.schedule(next);
  }

  /** One pass at a time per process (the loop and drain() share this lane). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lane.then(fn, fn);
    this.lane = run.catch(() => undefined);
    return run;
  }

  private async pass(o: DueFilter & { markLater?: boolean }) {
    const rows = await this.claim(o);
    const batched = await this.listeners.runBatches(rows);
    const delivered: number[] = [];
    const failed: number[] = [];
    for (const row of rows) {
      if (await this.deliver(row, batched.get(row.id))) delivered.push(row.id);
      else failed.push(row.id);
    }
    this.deliveredSoFar += delivered.length;
    if (delivered.length) {
      const marking = this.markDelivered(delivered);
      if (!o.markLater) await marking;
    }
    return { claimed: rows.map((r) => r.id), delivered, failed };
  }

  /**
   * Marks rows delivered. Calls that arrive while an update is in flight wait and share the next
   * one, so under load many requests' events cost one statement. A failed update is logged: the
   * rows come back when their lease ends and are delivered again (at least once).
   */
  private markDelivered(ids: number[]): Promise<void> {
    this.toMark.push(...ids);
    this.marking ??= this.detached(async () => {
      try {
        while (this.toMark.length) {
          const batch = this.toMark.splice(0);
          try {
            await store.markDelivered(this.db(), batch);
          } catch (err) {
            this.log.error({ err, events: batch.length }, 'outbox: marking events delivered failed; they will be delivered again');
          }
        }
      } finally {
        this.marking = null;
      }
    });
    return this.marking;
  }

  /** Resolves when no mark is pending. */
  private async marked() {
    while (this.marking) await this.marking;
  }

  private async claim(o: DueFilter): Promise<Claimed[]> {
    const crash = this.opts.crashAfterCommit;
    // The test hook dies before the claim: the event stays committed and due at once after a restart.
    if (crash && (await store.dueNames(this.db(), o)).includes(crash)) {
      this.crashNow(crash);
      await new Promise(() => undefined);
    }
    return store.claim(this.db(), o, this.opts.leaseMs);
  }

  /** Runs the listeners that have not handled this event yet; true when all succeeded, else its retry is recorded. */
  private async deliver(row: Claimed, batched?: Outcome): Promise<boolean> {
    const { ok, error } = await this.listeners.runEach(row, batched);
    if (error === null) return true;
    const backoffSec = Math.min(1000 * 2 ** Math.min(row.attempts - 1, 20), MAX_BACKOFF_MS) / 1000;
    await store.recordFailure(this.db(), row.id, ok, backoffSec, error);
    return false;
  }

  /** Deletes delivered events past the retention time, at most every ten minutes, a bounded batch. */
  private async purge() {
    if (Date.now() - this.lastPurge < 10 * 60_000) return;
    this.lastPurge = Date.now();
    await store.purgeDelivered(this.db(), this.opts.retentionHours);
  }
}
