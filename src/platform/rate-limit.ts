// Fixed-window counters kept in the key-value store (Redis in server mode).
import type { KeyValue } from './cache.js';

export interface RateResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetMs: number;
}

/**
 * Rate limits fail OPEN: when the store (Redis) cannot be reached, every bucket allows the request and
 * `onStoreError` is told (a log line and a counter). A Redis restart thus never turns into refused
 * traffic; the routes that need Redis themselves answer 503 (docs/operations.md, "Faults").
 */
export class RateLimiter {
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

  /** Counts every bucket in one round trip (the per-request ip + user + route buckets). */
  async hitMany(buckets: { key: string; limit: number; windowMs: number }[]): Promise<RateResult[]> {
    let counts;
    try {
      counts = await this.kv.incrMany(buckets.map((b) => ({ key: `rl:${b.key}`, ttlMs: b.windowMs })));
    } catch (err) {
      this.onStoreError(err);
      return buckets.map((b) => this.open(b.limit, b.windowMs));
    }
    return counts.map(({ value, ttlMs }, i) => {
      const { limit, windowMs } = buckets[i];
      return { allowed: value <= limit, limit, remaining: Math.max(0, limit - value), resetMs: ttlMs > 0 ? ttlMs : windowMs };
    });
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
