// Small key-value store for caches, counters, timelines and ephemeral state.
// In-memory when embedded, Redis in server mode; both behave the same.
import type { Redis } from 'ioredis';
import { withScripts, type ScriptCommands } from './redis-scripts.js';

export interface KeyValue {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  del(...keys: string[]): Promise<void>;
  /** Several `get`s in one round trip (MGET), answers in the keys' order. */
  getMany(keys: string[]): Promise<(string | null)[]>;
  /** Several `set`s with one TTL in one round trip (a pipeline in Redis). */
  setMany(entries: [string, string][], ttlMs: number): Promise<void>;
  /** Increments and returns the new value; the TTL is set when the key is created. */
  incr(key: string, ttlMs: number): Promise<{ value: number; ttlMs: number }>;
  /** Several `incr`s in one round trip, each by `by` (default 1). */
  incrMany(items: { key: string; ttlMs: number; by?: number }[]): Promise<{ value: number; ttlMs: number }[]>;
  /**
   * Token bucket: takes one token from a bucket of `capacity` that refills at `perMs` tokens per
   * millisecond. Atomic (a Lua script in Redis). `retryMs` is the wait for the next token.
   */
  takeToken(key: string, capacity: number, perMs: number): Promise<{ allowed: boolean; remaining: number; retryMs: number }>;
  /** Pushes to the head of a list (a value already in it moves there: pushing twice is harmless) and trims it to maxLen. */
  listPush(key: string, values: string[], maxLen: number): Promise<void>;
  listRange(key: string, start: number, stop: number): Promise<string[]>;
  /**
   * The entries of a list from `before` places ahead of the first `value` to `after` places past
   * it, with the list index of the first one and the list's length; null when `value` is not in
   * the list. One round trip whatever the list's length (a Lua script in Redis).
   */
  listRangeAround(key: string, value: string, before: number, after: number): Promise<{ start: number; length: number; values: string[] } | null>;
  /**
   * The same values onto the head of many lists, each capped at `maxLen`, in one round trip. With
   * `look`, a value already among a list's newest PUSH_MANY_HEAD entries is not pushed there again (a
   * redelivered fan-out), which costs a bounded look, not a scan of the whole list; without it, the
   * values are pushed as they are.
   */
  listPushMany(keys: string[], values: string[], maxLen: number, look?: boolean): Promise<void>;
  /** `listRemove` of one value from many lists in one round trip. */
  listRemoveMany(keys: string[], value: string): Promise<void>;
  listRemove(key: string, value: string): Promise<void>;
  hashSet(key: string, field: string, value: string, ttlMs?: number): Promise<void>;
  /** The same field and value on every key, each key's TTL set with it (one round trip). */
  hashSetMany(keys: string[], field: string, value: string, ttlMs: number): Promise<void>;
  hashGetAll(key: string): Promise<Record<string, string>>;
  hashDel(key: string, field: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  ping(): Promise<boolean>;
}

/** How far from a list's head listPushMany looks for a value it would push again. */
export const PUSH_MANY_HEAD = 64;

interface Entry {
  value: string | string[] | Map<string, string>;
  expiresAt: number | null;
}

export class MemoryKeyValue implements KeyValue {
  private data = new Map<string, Entry>();
  constructor(private readonly maxKeys = 100_000) {}

  /** Empties the store: the test harness hands one app to the next file (what FLUSH of a prefix is in Redis). */
  clear() {
    this.data.clear();
  }

  private live(key: string): Entry | undefined {
    const e = this.data.get(key);
    if (!e) return undefined;
    if (e.expiresAt !== null && e.expiresAt <= Date.now()) {
      this.data.delete(key);
      return undefined;
    }
    return e;
  }

  private put(key: string, e: Entry) {
    if (!this.data.has(key) && this.data.size >= this.maxKeys) {
      // Bounded: evict the oldest inserted key.
      const first = this.data.keys().next().value;
      if (first !== undefined) this.data.delete(first);
    }
    this.data.set(key, e);
  }

  async get(key: string) {
    const e = this.live(key);
    return typeof e?.value === 'string' ? e.value : null;
  }
  async set(key: string, value: string, ttlMs?: number) {
    this.put(key, { value, expiresAt: ttlMs ? Date.now() + ttlMs : null });
  }
  async del(...keys: string[]) {
    for (const k of keys) this.data.delete(k);
  }
  async getMany(keys: string[]) {
    // Not through this.get: a wrapper around get (the hit-rate metric) would count each key twice.
    return keys.map((k) => {
      const e = this.live(k);
      return typeof e?.value === 'string' ? e.value : null;
    });
  }
  async setMany(entries: [string, string][], ttlMs: number) {
    for (const [k, v] of entries) await this.set(k, v, ttlMs);
  }
  async incr(key: string, ttlMs: number, by = 1) {
    const e = this.live(key);
    if (!e || typeof e.value !== 'string') {
      this.put(key, { value: String(by), expiresAt: Date.now() + ttlMs });
      return { value: by, ttlMs };
    }
    const value = Number(e.value) + by;
    e.value = String(value);
    return { value, ttlMs: e.expiresAt === null ? -1 : e.expiresAt - Date.now() };
  }
  async incrMany(items: { key: string; ttlMs: number; by?: number }[]) {
    const out = [];
    for (const i of items) out.push(await this.incr(i.key, i.ttlMs, i.by));
    return out;
  }
  async takeToken(key: string, capacity: number, perMs: number) {
    const now = Date.now();
    const e = this.live(key);
    let tokens = capacity;
    let at = now;
    if (e && typeof e.value === 'string') {
      const [t, ts] = e.value.split(':').map(Number);
      tokens = Math.min(capacity, t + (now - ts) * perMs);
      at = now;
    }
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    const fullInMs = Math.ceil((capacity - tokens) / perMs);
    this.put(key, { value: `${tokens}:${at}`, expiresAt: now + Math.max(1000, fullInMs) });
    return { allowed, remaining: Math.floor(tokens), retryMs: allowed ? 0 : Math.ceil((1 - tokens) / perMs) };
  }
  async listPush(key: string, values: string[], maxLen: number) {
    const e = this.live(key);
    const fresh = new Set(values);
    const list = (Array.isArray(e?.value) ? e.value : []).filter((v) => !fresh.has(v));
    list.unshift(...values);
    if (list.length > maxLen) list.length = maxLen;
    this.put(key, { value: list, expiresAt: e?.expiresAt ?? null });
  }
  async listPushMany(keys: string[], values: string[], maxLen: number, look = true) {
    for (const k of keys) {
      const e = this.live(k);
      const current = Array.isArray(e?.value) ? e.value : [];
      const head = look ? current.slice(0, PUSH_MANY_HEAD) : [];
      const fresh = values.filter((v) => !head.includes(v));
      if (!fresh.length) continue;
      const list = [...fresh, ...current];
      if (list.length > maxLen) list.length = maxLen;
      this.put(k, { value: list, expiresAt: e?.expiresAt ?? null });
    }
  }
  async listRemoveMany(keys: string[], value: string) {
    for (const k of keys) await this.listRemove(k, value);
  }
  async listRange(key: string, start: number, stop: number) {
    const e = this.live(key);
    if (!Array.isArray(e?.value)) return [];
    return e.value.slice(start, stop === -1 ? undefined : stop + 1);
  }
  async listRangeAround(key: string, value: string, before: number, after: number) {
    const e = this.live(key);
    const list = Array.isArray(e?.value) ? e.value : [];
    const at = list.indexOf(value);
    if (at < 0) return null;
    const start = Math.max(0, at - before);
    return { start, length: list.length, values: list.slice(start, at + after + 1) };
  }
  async listRemove(key: string, value: string) {
    const e = this.live(key);
    if (Array.isArray(e?.value)) e.value = e.value.filter((v) => v !== value);
  }
  async hashSet(key: string, field: string, value: string, ttlMs?: number) {
    const e = this.live(key);
    const map = e?.value instanceof Map ? e.value : new Map<string, string>();
    map.set(field, value);
    this.put(key, { value: map, expiresAt: ttlMs ? Date.now() + ttlMs : (e?.expiresAt ?? null) });
  }
  async hashSetMany(keys: string[], field: string, value: string, ttlMs: number) {
    for (const k of keys) await this.hashSet(k, field, value, ttlMs);
  }
  async hashGetAll(key: string) {
    const e = this.live(key);
    return e?.value instanceof Map ? Object.fromEntries(e.value) : {};
  }
  async hashDel(key: string, field: string) {
    const e = this.live(key);
    if (e?.value instanceof Map) e.value.delete(field);
  }
  async exists(key: string) {
    return this.live(key) !== undefined;
  }
  async ping() {
    return true;
  }
}

export class RedisKeyValue implements KeyValue {
  private readonly scripts: ScriptCommands;
  constructor(private readonly redis: Redis, private readonly prefix: string) {
    this.scripts = withScripts(redis);
  }
  private k(key: string) {
    return this.prefix + key;
  }
  async get(key: string) {
    return this.redis.get(this.k(key));
  }
  async set(key: string, value: string, ttlMs?: number) {
    if (ttlMs) await this.redis.set(this.k(key), value, 'PX', ttlMs);
    else await this.redis.set(this.k(key), value);
  }
  async del(...keys: string[]) {
    if (keys.length) await this.redis.del(...keys.map((k) => this.k(k)));
  }
  async getMany(keys: string[]) {
    if (!keys.length) return [];
    return this.redis.mget(...keys.map((k) => this.k(k)));
  }
  async setMany(entries: [string, string][], ttlMs: number) {
    if (!entries.length) return;
    const m = this.redis.pipeline();
    for (const [k, v] of entries) m.set(this.k(k), v, 'PX', ttlMs);
    await m.exec();
  }
  async incr(key: string, ttlMs: number) {
    return (await this.incrMany([{ key, ttlMs }]))[0];
  }
  async incrMany(items: { key: string; ttlMs: number; by?: number }[]) {
    if (!items.length) return [];
    const r = await this.scripts.slIncrMany(items.length, ...items.map((i) => this.k(i.key)), ...items.map((i) => String(i.ttlMs)), ...items.map((i) => String(i.by ?? 1)));
    return items.map((_, n) => ({ value: r[2 * n], ttlMs: r[2 * n + 1] }));
  }
  async takeToken(key: string, capacity: number, perMs: number) {
    const [allowed, remaining, retryMs] = await this.scripts.slTakeToken(1, this.k(key), String(capacity), String(perMs));
    return { allowed: allowed === 1, remaining, retryMs };
  }
  async listPush(key: string, values: string[], maxLen: number) {
    if (!values.length) return;
    // LPUSH reverses its arguments; push the last first so values[0] ends up at the head.
    const m = this.redis.multi();
    for (const v of new Set(values)) m.lrem(this.k(key), 0, v);
    await m.lpush(this.k(key), ...[...values].reverse()).ltrim(this.k(key), 0, maxLen - 1).exec();
  }
  async listPushMany(keys: string[], values: string[], maxLen: number, look = true) {
    if (!keys.length || !values.length) return;
    // LPUSH reverses its arguments: the last value goes first so values[0] ends up at the head.
    const rev = [...values].reverse();
    await this.scripts.slPushMany(keys.length, ...keys.map((k) => this.k(k)), String(maxLen), String(look ? PUSH_MANY_HEAD : 0), ...rev);
  }
  async listRemoveMany(keys: string[], value: string) {
    if (!keys.length) return;
    const m = this.redis.pipeline();
    for (const k of keys) m.lrem(this.k(k), 0, value);
    await m.exec();
  }
  async listRange(key: string, start: number, stop: number) {
    return this.redis.lrange(this.k(key), start, stop);
  }
  async listRangeAround(key: string, value: string, before: number, after: number) {
    const r = await this.scripts.slRangeAround(1, this.k(key), value, String(before), String(after));
    return r ? { start: r[0], length: r[1], values: r[2] } : null;
  }
  async listRemove(key: string, value: string) {
    await this.redis.lrem(this.k(key), 0, value);
  }
  async hashSet(key: string, field: string, value: string, ttlMs?: number) {
    const m = this.redis.multi().hset(this.k(key), field, value);
    if (ttlMs) m.pexpire(this.k(key), ttlMs);
    await m.exec();
  }
  async hashSetMany(keys: string[], field: string, value: string, ttlMs: number) {
    if (keys.length) await this.scripts.slHashSetMany(keys.length, ...keys.map((k) => this.k(k)), field, value, String(ttlMs));
  }
  async hashGetAll(key: string) {
    return this.redis.hgetall(this.k(key));
  }
  async hashDel(key: string, field: string) {
    await this.redis.hdel(this.k(key), field);
  }
  async exists(key: string) {
    return (await this.redis.exists(this.k(key))) === 1;
  }
  async ping() {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }
}
