// Rendered responses kept in process memory, each under the tags of what it shows (opaque strings,
// e.g. a user's or a post's), so a write drops exactly the responses that showed what it changed.
//
// Entries live `ttlMs` at most (80–100 % of it) and are evicted least-recently-used beyond `maxBytes` of bodies.
// A response built while one of its tags was dropped is never stored: the build may have read the
// state from before the write. begin() marks when a build starts; store() refuses an entry if any
// of its tags (or everything) was dropped since. Drops are remembered for two rotations of
// MAX_BUILD_MS, and a build older than MAX_BUILD_MS is never stored, so the record stays bounded.

/** A build that took longer than this is not stored (what it read may predate drops no longer remembered). */
export const MAX_BUILD_MS = 10_000;

/** A body as kept: the bytes sent (pages), or text. */
type Body = string | Uint8Array;

interface Entry<B extends Body> {
  body: B;
  tags: string[];
  expires: number;
  bytes: number;
}

export interface BuildMark {
  seq: number;
  at: number;
}

export interface PageCacheStats {
  entries: number;
  bytes: number;
}

export class PageCache<B extends Body = string> {
  private entries = new Map<string, Entry<B>>();
  private byTag = new Map<string, Set<string>>();
  private bytes = 0;
  private seq = 0;
  private allDroppedAt = 0;
  // Tag → sequence number of its latest drop, in two generations rotated every MAX_BUILD_MS.
  private dropped = new Map<string, number>();
  private droppedBefore = new Map<string, number>();
  private rotatedAt: number;

  constructor(
    private readonly ttlMs: number,
    private readonly maxBytes: number,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.rotatedAt = now();
  }

  get enabled() {
    return this.ttlMs > 0;
  }

  /** The stored body, or undefined (absent or expired). */
  get(key: string): B | undefined {
    const e = this.entries.get(key);
    if (e && e.expires > this.now()) {
      // Least recently used first: a hit moves the entry to the end.
      this.entries.delete(key);
      this.entries.set(key, e);
      return e.body;
    }
    if (e) this.remove(key, e);
    return undefined;
  }

  /** Call before reading what a response will show; hand the mark to store(). */
  begin(): BuildMark {
    return { seq: this.seq, at: this.now() };
  }

  /** Keeps `body` under `key` unless one of `tags` was dropped since `mark`; returns whether it was kept. */
  store(key: string, body: B, tags: string[], mark: BuildMark): boolean {
    if (!this.enabled) return false;
    const now = this.now();
    this.rotate(now);
    if (now - mark.at > MAX_BUILD_MS || this.allDroppedAt > mark.seq) return false;
    for (const tag of tags) if ((this.dropped.get(tag) ?? this.droppedBefore.get(tag) ?? 0) > mark.seq) return false;
    const bytes = typeof body === 'string' ? body.length * 2 : body.byteLength; // (text is UTF-16 in memory)
    if (bytes > this.maxBytes) return false;
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    const unique = [...new Set(tags)];
    // A TTL drawn from its last fifth: pages stored together (a burst of readers) do not all expire, and
    // get rebuilt, at the same moment.
    this.entries.set(key, { body, tags: unique, expires: now + this.ttlMs * (0.8 + 0.2 * this.random()), bytes });
    this.bytes += bytes;
    for (const tag of unique) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
    while (this.bytes > this.maxBytes) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry<B>];
      this.remove(oldestKey, oldest);
    }
    return true;
  }

  /** Drops every entry carrying one of `tags`, and voids builds in flight that would carry one. */
  drop(tags: Iterable<string>) {
    const seq = ++this.seq;
    this.rotate(this.now());
    for (const tag of tags) {
      this.dropped.set(tag, seq);
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      for (const key of keys) {
        const e = this.entries.get(key);
        if (e) this.remove(key, e);
      }
    }
  }

  /** Drops every entry, and voids every build in flight. */
  dropAll() {
    this.allDroppedAt = ++this.seq;
    this.entries.clear();
    this.byTag.clear();
    this.bytes = 0;
  }

  stats(): PageCacheStats {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private remove(key: string, e: Entry<B>) {
    this.entries.delete(key);
    this.bytes -= e.bytes;
    for (const tag of e.tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (!keys.size) this.byTag.delete(tag);
    }
  }

  private rotate(now: number) {
    if (now - this.rotatedAt < MAX_BUILD_MS) return;
    // What was dropped before the previous rotation is older than any build store() still accepts.
    this.droppedBefore = this.dropped;
    this.dropped = new Map();
    this.rotatedAt = now;
  }
}
