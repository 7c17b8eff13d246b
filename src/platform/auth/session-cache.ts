// A short-lived, bounded in-process cache of resolved sessions: (user id, session id) → value.
// Entries live `ttlMs` at most; whole users are evicted least-recently-used beyond `maxUsers`.
// invalidateUser() drops a user's entries at once and also voids loads in flight for that user, so
// a load that started before a revocation never stores its (stale) answer. Concurrent misses for
// the same session share one load.
interface Entry<V> {
  value: V;
  expires: number;
}

interface Slot<V> {
  gen: number;
  sessions: Map<number, Entry<V>>;
  flights: Map<number, Promise<V>>;
}

export interface SessionCacheStats {
  hits: number;
  misses: number;
  invalidations: number;
  users: number;
}

export class SessionCache<V> {
  private slots = new Map<number, Slot<V>>();
  private stats_ = { hits: 0, misses: 0, invalidations: 0 };

  constructor(
    private readonly ttlMs: number,
    private readonly maxUsers: number,
    private readonly now: () => number = Date.now,
    /** Told of every lookup (hit or miss), e.g. for the cache hit-rate metric. */
    private readonly onLookup: (hit: boolean) => void = () => undefined,
  ) {}

  /**
   * The cached value if there is one, without a promise (a request that finds its session here goes
   * on in the same turn); undefined otherwise, and `get` then loads it. Counted as a lookup only when
   * it hits: the `get` that follows a miss counts that one.
   */
  peek(userId: number, sid: number): V | undefined {
    if (this.ttlMs <= 0) return undefined;
    const slot = this.slots.get(userId);
    const e = slot?.sessions.get(sid);
    if (!e || e.expires <= this.now()) return undefined;
    // Least recently used first: a hit moves the user to the end.
    this.slots.delete(userId);
    this.slots.set(userId, slot!);
    this.stats_.hits++;
    this.onLookup(true);
    return e.value;
  }

  /** The cached value, else `load()`'s; `keep(value)` false: the value is answered but not cached. */
  get(userId: number, sid: number, load: () => Promise<V>, keep: (v: V) => boolean = () => true): Promise<V> {
    if (this.ttlMs <= 0) return load();
    const kept = this.peek(userId, sid);
    if (kept !== undefined) return Promise.resolve(kept);
    let slot = this.slots.get(userId);
    if (slot) {
      this.slots.delete(userId);
      this.slots.set(userId, slot);
      slot.sessions.delete(sid); // (expired, if there)
      const flight = slot.flights.get(sid);
      if (flight) {
        this.stats_.hits++;
        this.onLookup(true);
        return flight;
      }
    } else {
      slot = { gen: 0, sessions: new Map(), flights: new Map() };
      this.slots.set(userId, slot);
      this.evict();
    }
    this.stats_.misses++;
    this.onLookup(false);
    const s = slot;
    const gen = s.gen;
    const flight = load().then(
      (v) => {
        if (s.flights.get(sid) === flight) s.flights.delete(sid);
        // Not stored when the user was invalidated or evicted while loading.
        if (s.gen === gen && this.slots.get(userId) === s && keep(v)) s.sessions.set(sid, { value: v, expires: this.now() + this.ttlMs });
        return v;
      },
      (err: unknown) => {
        if (s.flights.get(sid) === flight) s.flights.delete(sid);
        throw err;
      },
    );
    s.flights.set(sid, flight);
    return flight;
  }

  /** Forgets every session of the user, and voids its loads in flight. */
  invalidateUser(userId: number) {
    this.stats_.invalidations++;
    const slot = this.slots.get(userId);
    if (!slot) return;
    slot.gen++;
    slot.sessions.clear();
    slot.flights.clear();
  }

  clear() {
    for (const id of [...this.slots.keys()]) this.invalidateUser(id);
    this.slots.clear();
  }

  stats(): SessionCacheStats {
    return { ...this.stats_, users: this.slots.size };
  }

  private evict() {
    while (this.slots.size > this.maxUsers) {
      const oldest = this.slots.keys().next().value as number;
      this.slots.delete(oldest);
    }
  }
}
