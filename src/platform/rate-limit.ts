// Fixed-window counters kept in the key-value store (Redis in server mode).
import type { KeyValue } from './cache.js';

export interface RateResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetMs: number;
}

export class RateLimiter {
  constructor(private readonly kv: KeyValue) {}

  async hit(key: string, limit: number, windowMs: number): Promise<RateResult> {
    const { value, ttlMs } = await this.kv.incr(`rl:${key}`, windowMs);
    const resetMs = ttlMs > 0 ? ttlMs : windowMs;
    return { allowed: value <= limit, limit, remaining: Math.max(0, limit - value), resetMs };
  }
}
