// Fixed-window counters kept in the key-value store (Redis in server mode), taken in leases.
import type { KeyValue } from './cache.js';

export interface RateResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetMs: number;
}

interface Bucket {
  key: string;
  limit: number;
  windowMs: number;
}

/**
 * Slots of one window this process holds: the store's count was `top` when they were taken, and
 * `left` of them are unused. A refused window is kept too (left 0, full): it stays refused until it
 * ends, since a window's count only grows.
 */
interface Lease {
  endsAt: number;
  top: number;
  left: number;
  /** The size of the next lease in this window. */
  next: number;
  /** The next lease is taken ahead when `left` falls to this (a busy bucket's requests then never wait). */
  refillAt: number;
  full: boolean;
}

/** A round trip taking leases, and how many requests wait for it instead of sending their own. */
interface Taking {
  done: Promise<unknown>;
  waiting: number;
}

/** A lease doubles while a window's requests keep coming (or covers those waiting for it), up to this... */
const LEASE_MAX = 1024;
/** ...and never takes more than this share of what is left of the limit. */
const LEASE_SHARE = 8;
/** Windows remembered at most; past it the ended ones are dropped, and all of them if that is not enough. */
const LEASES_KEPT = 20_000;
/** Times a request waits for another's round trip before it sends its own. */
const PATIENCE = 4;
/** Leases at least this large are refilled ahead, when half of them is left. */
const REFILL_FROM = 8;

/** The next lease of a window: `next` slots, at most 1/LEASE_SHARE of what is left of the limit. */
const leaseSize = (b: Bucket, lease: Lease) => Math.min(lease.next, Math.floor((b.limit - lease.top) / LEASE_SHARE));

/**
 * Rate limits fail OPEN: when the store (Redis) cannot be reached, every bucket allows the request and
 * `onStoreError` is told (a log line and a counter). A Redis restart thus never turns into refused
 * traffic; the routes that need Redis themselves answer 503 (docs/operations.md, "Faults").
 *
 * Fixed windows are counted in the store in leases: a bucket's first request in a window takes one
 * slot; when a process uses up its slots within the window it takes twice as many (at most LEASE_MAX,
 * and at most 1/LEASE_SHARE of what is left of the limit), and serves them without a round trip;
 * requests that find a bucket's round trip under way wait for it. The store's count is thus never
 * below what was allowed, so no process lets more than the limit through; slots a process took and
 * did not use when the window ends make the other processes refuse a little early (at most
 * 1/LEASE_SHARE of what was left, per process). With one process the count is exact, and a bucket
 * near its limit takes one slot at a time.
 */
export class RateLimiter {
  private readonly leases = new Map<string, Lease>();
  private readonly taking = new Map<string, Taking>();

  constructor(
    private readonly kv: KeyValue,
    private readonly onStoreError: (err: unknown) => void = () => undefined,
  ) {}

  private open(limit: number, windowMs: number): RateResult {
    return { allowed: true, limit, remaining: limit, resetMs: windowMs };
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateResult> {
    return (await this.hitMany([{ key, limit, windowMs }]))[0];
  }

  /**
   * Counts every bucket (the per-request ip + user + route buckets): from this process's leases when
   * they hold a slot, else in one round trip for those that do not.
   */
  hitMany(buckets: Bucket[], patience = PATIENCE): RateResult[] | Promise<RateResult[]> {
    const now = Date.now();
    const out: RateResult[] = new Array(buckets.length);
    let wanted: { i: number; by: number }[] | null = null;
    let waiting: number[] | null = null;
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i];
      const lease = this.leases.get(b.key);
      const live = lease !== undefined && lease.endsAt > now;
      if (live && lease.left > 0) {
        lease.left--;
        out[i] = { allowed: true, limit: b.limit, remaining: Math.max(0, b.limit - lease.top + lease.left), resetMs: lease.endsAt - now };
        if (lease.left <= lease.refillAt && !lease.full && !this.taking.has(b.key)) this.refill(b, lease);
      } else if (live && lease.full) {
        out[i] = { allowed: false, limit: b.limit, remaining: 0, resetMs: lease.endsAt - now };
      } else if (patience > 0 && this.taking.has(b.key)) {
        this.taking.get(b.key)!.waiting++;
        (waiting ??= []).push(i);
      } else {
        (wanted ??= []).push({ i, by: live ? Math.max(1, leaseSize(b, lease)) : 1 });
      }
    }
    if (!wanted && !waiting) return out;
    return this.settle(buckets, out, wanted, waiting, patience);
  }

  private async settle(buckets: Bucket[], out: RateResult[], wanted: { i: number; by: number }[] | null, waiting: number[] | null, patience: number): Promise<RateResult[]> {
    const took = wanted && this.takeLeases(buckets, wanted, out);
    if (waiting) {
      await Promise.all(waiting.map((i) => this.taking.get(buckets[i].key)?.done));
      const again = await this.hitMany(waiting.map((i) => buckets[i]), patience - 1);
      waiting.forEach((i, n) => (out[i] = again[n]));
    }
    if (took) await took;
    return out;
  }

  /** Takes a busy bucket's next lease before its requests need it (no request waits for this one). */
  private refill(b: Bucket, lease: Lease) {
    const by = leaseSize(b, lease);
    if (by >= 1) void this.takeLeases([b], [{ i: 0, by }], [], true);
  }

  /** `ahead`: no request takes the first slot (a refill). */
  private async takeLeases(buckets: Bucket[], wanted: { i: number; by: number }[], out: RateResult[], ahead = false): Promise<void> {
    const done = this.kv.incrMany(wanted.map(({ i, by }) => ({ key: `rl:${buckets[i].key}`, ttlMs: buckets[i].windowMs, by })));
    const taking: Taking = { done: done.catch(() => undefined), waiting: 0 };
    for (const { i } of wanted) this.taking.set(buckets[i].key, taking);
    let counts;
    try {
      counts = await done;
    } catch (err) {
      this.onStoreError(err);
      for (const { i } of wanted) out[i] = this.open(buckets[i].limit, buckets[i].windowMs);
      return;
    } finally {
      for (const { i } of wanted) if (this.taking.get(buckets[i].key) === taking) this.taking.delete(buckets[i].key);
    }
    const now = Date.now();
    for (let n = 0; n < wanted.length; n++) {
      const { i, by } = wanted[n];
      const { key, limit, windowMs } = buckets[i];
      const { value, ttlMs } = counts[n];
      const resetMs = ttlMs > 0 ? ttlMs : windowMs;
      // The slots value-by+1 … value are this process's; those past the limit are no one's. They join
      // the lease, and this request (unless it is a refill) takes one from it, if any is left: another
      // request's round trip may have brought the slot this one's came too late for.
      const granted = Math.max(0, Math.min(by, limit - (value - by)));
      const next = Math.min(LEASE_MAX, Math.max(by * 2, taking.waiting * 2));
      const refillAt = by >= REFILL_FROM ? by >> 1 : -1;
      let lease = this.leases.get(key);
      if (lease && lease.endsAt > now) {
        lease.top = Math.max(lease.top, value);
        lease.left += granted;
        lease.next = Math.max(lease.next, next);
        lease.refillAt = refillAt;
        lease.full ||= value >= limit;
      } else {
        lease = { endsAt: now + resetMs, top: value, left: granted, next, refillAt, full: value >= limit };
        this.keep(key, lease);
      }
      if (ahead) continue;
      if (lease.left > 0) {
        lease.left--;
        out[i] = { allowed: true, limit, remaining: Math.max(0, limit - lease.top + lease.left), resetMs };
      } else {
        out[i] = { allowed: false, limit, remaining: 0, resetMs };
      }
    }
  }

  /** Drops this process's leases: for a store emptied under it (the test harness hands an app on so). */
  forget() {
    this.leases.clear();
  }

  private keep(key: string, lease: Lease) {
    if (this.leases.size >= LEASES_KEPT && !this.leases.has(key)) {
      const now = Date.now();
      for (const [k, l] of this.leases) if (l.endsAt <= now) this.leases.delete(k);
      if (this.leases.size >= LEASES_KEPT) this.leases.clear();
    }
    this.leases.set(key, lease);
  }

  /** One token from a token bucket: `burst` capacity refilled at `limit` per `windowMs`. */
  async take(key: string, limit: number, windowMs: number, burst: number): Promise<RateResult> {
    let r;
    try {
      r = await this.kv.takeToken(`tb:${key}`, burst, limit / windowMs);
    } catch (err) {
      this.onStoreError(err);
      return this.open(burst, windowMs);
    }
    return { allowed: r.allowed, limit: burst, remaining: r.remaining, resetMs: r.allowed ? Math.ceil(windowMs / limit) : r.retryMs };
  }
}
