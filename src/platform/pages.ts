// This process's cache of rendered pages (http/page-cache.ts), kept consistent with every other
// process through pub/sub: a drop applies here at once and is published on PAGES_CHANNEL (the drops
// of one turn of the event loop in one message), and every other instance applies it when the message
// arrives. Until its subscription is confirmed an instance neither reads nor stores pages. A message
// lost while Redis reconnects is bounded by the TTL (PAGE_CACHE_TTL_MS).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { PubSub } from './pubsub.js';
import { PageCache, type BuildMark } from './http/page-cache.js';

export const PAGES_CHANNEL = 'pages:drop';
/** The tag of everything a page shows of a user: their own pages as viewer, and them as author or member. */
export const userTag = (userId: number) => `u:${userId}`;
const ALL = '*';

export interface Pages {
  /** The stored body, or undefined (absent, expired, or this instance not subscribed yet). */
  get(key: string): Buffer | undefined;
  /** Before reading what a page shows. */
  begin(): BuildMark;
  store(key: string, body: Buffer, tags: string[], mark: BuildMark): void;
  /** Drops the pages carrying any of `tags`, here at once and on every other instance. */
  drop(tags: string[]): void;
  /** Drops every page everywhere: for rare writes that can make a page show what none of its tags names. */
  dropAll(): void;
  /** This instance only, without publishing (tests between files). */
  clear(): void;
  subscribed(): Promise<void>;
  /** Test hook: resolves once a drop of `tag` (or of everything) published elsewhere has been applied here. */
  delivered(tag: string): Promise<void>;
}

export function createPages(opts: { ttlMs: number; maxBytes: number; pubsub: PubSub; log: Logger; metrics: Metrics }): Pages {
  // The bytes sent, not text: a hit is written without encoding it again or measuring its length.
  const cache = new PageCache<Buffer>(opts.ttlMs, opts.maxBytes);
  const self = randomUUID();
  const applied = new EventEmitter().setMaxListeners(0);
  let ready = false;
  let subscribing: Promise<void> | null = null;
  let pending: Set<string> | null = null;

  const subscribe = () =>
    (subscribing ??= opts.pubsub
      .subscribe(PAGES_CHANNEL, (message) => {
        let m: { from?: unknown; tags?: unknown };
        try {
          m = JSON.parse(message) as typeof m;
        } catch {
          return;
        }
        if (m.from === self || !Array.isArray(m.tags)) return;
        const tags = m.tags.filter((t): t is string => typeof t === 'string');
        if (tags.includes(ALL)) cache.dropAll();
        else cache.drop(tags);
        for (const tag of tags) applied.emit(tag);
      })
      .then(
        () => {
          ready = true;
        },
        (err: unknown) => opts.log.warn({ err }, 'page cache: subscribing failed; pages are built on every request'),
      ));

  const publish = (tags: string[]) => {
    if (!pending) {
      pending = new Set();
      setImmediate(() => {
        const out = pending!;
        pending = null;
        const message = JSON.stringify({ from: self, tags: out.has(ALL) ? [ALL] : [...out] });
        opts.pubsub.publish(PAGES_CHANNEL, message).catch((err: unknown) => opts.log.warn({ err }, 'page cache: publishing a drop failed; the TTL ends the pages elsewhere'));
      });
    }
    for (const t of tags) pending.add(t);
  };

  const lookups = opts.metrics.countLookups('pages');

  return {
    get(key) {
      if (!cache.enabled) return undefined;
      if (!ready) {
        void subscribe();
        return undefined;
      }
      const body = cache.get(key);
      lookups(body !== undefined);
      return body;
    },
    begin: () => cache.begin(),
    store(key, body, tags, mark) {
      if (ready) cache.store(key, body, tags, mark);
    },
    // (published even with the cache off here: other instances may run with it on)
    drop(tags) {
      if (!tags.length) return;
      cache.drop(tags);
      publish(tags);
    },
    dropAll() {
      cache.dropAll();
      publish([ALL]);
    },
    clear: () => cache.dropAll(),
    subscribed: subscribe,
    delivered: (tag) => new Promise((resolve) => {
      const done = () => {
        applied.off(tag, done);
        applied.off(ALL, done);
        resolve();
      };
      applied.on(tag, done);
      applied.on(ALL, done);
    }),
  };
}
