// Wires the adapters chosen by the configuration: embedded (PGlite, memory) or server (PostgreSQL, Redis).
import fs from 'node:fs';
import path from 'node:path';
import { createHmac, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ConfigError, type Config } from '../config.js';
import { createLogger, type Logger } from './log.js';
import { openPglite, openPostgres, type Database } from './db/index.js';
import { MemoryKeyValue, RedisKeyValue, type KeyValue } from './cache.js';
import { MemoryPubSub, RedisPubSub, type PubSub } from './pubsub.js';
import type { JobQueue } from './queue.js';
import { MemoryQueue } from './queue-memory.js';
import { BullQueue } from './queue-bull.js';
import { RateLimiter } from './rate-limit.js';
import { createStorage, UrlSigner, type Storage } from './storage/index.js';
import { createMetrics, registerCollectedGauges, type Metrics } from './metrics.js';
import { TokenSigner } from './auth/tokens.js';
import { DomainEvents } from './events.js';
import { createPages, type Pages } from './pages.js';

export interface Platform {
  config: Config;
  log: Logger;
  database: Database;
  /** DATABASE_REPLICA_URL's pool for read-only hot paths; null = reads go to the primary. */
  replica: Database | null;
  kv: KeyValue;
  pubsub: PubSub;
  queue: JobQueue;
  limiter: RateLimiter;
  storage: Storage;
  metrics: Metrics;
  tokens: TokenSigner;
  events: DomainEvents;
  /** Rendered pages kept in process, dropped by tag everywhere (pages.ts). */
  pages: Pages;
  redis: Redis | null;
  close(): Promise<void>;
}

export interface PlatformOptions {
  log?: Logger;
  /** Use this database instead of opening one (tests hand in a prepared copy). */
  database?: Database;
}

function signingKey(config: Config): string {
  if (config.jwt.signingKey) return config.jwt.signingKey;
  if (config.database.url) throw new ConfigError('JWT_SIGNING_KEY is required in server mode (DATABASE_URL is set): every process must share it');
  // Embedded default: a random key kept beside the data, so restarts keep sessions.
  const file = path.join(config.dataDir, 'jwt.key');
  fs.mkdirSync(config.dataDir, { recursive: true });
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}

/**
 * The pub/sub subscriber connection has no ready check (INFO) and no client-info handshake. A SUBSCRIBE
 * issued while it connects can overtake them, and the INFO is then refused in subscriber mode, which
 * fails the connection (ioredis issue #2037; it stopped a realtime process at start in CI).
 */
export const SUBSCRIBER_OPTIONS = { enableReadyCheck: false, disableClientInfo: true, enableAutoPipelining: false } as const;

export async function createPlatform(config: Config, opts: PlatformOptions = {}): Promise<Platform> {
  const log = opts.log ?? createLogger(config.logLevel);
  const jwtKey = signingKey(config);
  const tokens = new TokenSigner(jwtKey, config.jwt.accessTtlSec, config.jwt.refreshTtlSec);
  // Private media URLs: their own key when set, else one derived from (never equal to) the JWT key.
  const mediaUrlKey = config.mediaUrls.signingKey ?? createHmac('sha256', jwtKey).update('selflink/media-urls').digest('base64url');
  const database =
    opts.database ??
    (config.database.url
      ? await openPostgres(config.database.url, config.database.poolMax, log, 'selflink', config.database.namedStatements, config.database.poolMin)
      : await openPglite(path.join(config.dataDir, 'pgdata')));

  // A read replica serves read-only hot paths only (docs/scaling.md); never used embedded.
  const replica = config.ops.replicaUrl && database.kind === 'postgres' ? await openPostgres(config.ops.replicaUrl, config.database.poolMax, log, 'selflink-replica', config.database.namedStatements, config.database.poolMin) : null;

  let redis: Redis | null = null;
  let sub: Redis | null = null;
  let queueConn: Redis | null = null;
  let kv: KeyValue;
  let pubsub: PubSub;
  let queue: JobQueue;
  if (config.redis.url) {
    const { Redis: IORedis } = await import('ioredis');
    // Auto-pipelining: the commands issued in one turn of the event loop (every request that arrived
    // together) go out in one write, since a socket write costs more here than the commands themselves.
    redis = new IORedis(config.redis.url, { lazyConnect: false, maxRetriesPerRequest: 2, enableAutoPipelining: true });
    sub = redis.duplicate(SUBSCRIBER_OPTIONS);
    // Producers fail fast while Redis is away (the outbox keeps the event and retries); the workers'
    // blocking connections (duplicated from this one) wait for Redis instead (maxRetriesPerRequest: null).
    queueConn = new IORedis(config.redis.url, { maxRetriesPerRequest: 2 });
    for (const c of [redis, sub, queueConn]) c.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
    kv = new RedisKeyValue(redis, config.redis.prefix);
    pubsub = new RedisPubSub(redis, sub, config.redis.prefix + 'ps:');
    queue = new BullQueue(await import('bullmq'), queueConn, config.redis.prefix, log, config.ops.jobLockMs);
  } else {
    kv = new MemoryKeyValue();
    pubsub = new MemoryPubSub();
    queue = new MemoryQueue(log);
  }

  const events = new DomainEvents(log, () => database.db, config.outbox);
  const metrics = createMetrics();
  queue.onOutcome = (job, outcome) => metrics.jobs.inc({ job, outcome });
  registerCollectedGauges(metrics, { queueCounts: () => queue.counts(), pool: () => database.poolStats?.() ?? null });
  // Cache hit rates: every read of the key-value store counts under its key's first segment.
  const lookup = (key: string, v: string | null) => metrics.countLookups(/^[A-Za-z_.-]{1,40}(?=:)/.exec(key)?.[0] ?? 'other')(v !== null);
  const kvGet = kv.get.bind(kv);
  kv.get = async (key: string) => {
    const v = await kvGet(key);
    lookup(key, v);
    return v;
  };
  const kvGetMany = kv.getMany.bind(kv);
  kv.getMany = async (keys: string[]) => {
    const vs = await kvGetMany(keys);
    keys.forEach((k, i) => lookup(k, vs[i] ?? null));
    return vs;
  };
  const platform: Platform = {
    config,
    log,
    database,
    replica,
    kv,
    pubsub,
    queue,
    limiter: new RateLimiter(kv, (err) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'rate limits failing open: store unreachable')),
    storage: createStorage(config.storage, new UrlSigner(mediaUrlKey, config.mediaUrls.ttlSec)),
    metrics,
    tokens,
    events,
    pages: createPages({ ...config.pageCache, pubsub, log, metrics }),
    redis,
    async close() {
      await events.stop();
      await queue.close();
      await pubsub.close();
      for (const c of [sub, queueConn, redis]) if (c) await c.quit().catch(() => c.disconnect());
      await replica?.close();
      await database.close();
    },
  };
  return platform;
}
