// Every environment variable the server reads, parsed and checked once.
// A bad value stops start-up with a message that names the variable. The readers and the larger
// areas (money, mentor) live in src/config/; this file assembles them into one Config.
import path from 'node:path';
import { bool, ConfigError, int, list, optStr, parseRate, str, url, version, type Env, type RateSpec } from './config/readers.js';
import { mentorConfig, type MentorConfig } from './config/mentor.js';
import { moneyConfig, type MoneyConfig } from './config/money.js';

export { ConfigError, parseRate, type RateSpec } from './config/readers.js';
export type { MentorConfig } from './config/mentor.js';
export type { MoneyConfig } from './config/money.js';

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  dataDir: string;
  publicBaseUrl: string | null;
  trustProxy: boolean;
  logLevel: string;
  database: { url: string | null; poolMax: number; poolMin: number; migrateOnStart: boolean; namedStatements: boolean };
  redis: { url: string | null; prefix: string };
  jwt: { signingKey: string | null; accessTtlSec: number; refreshTtlSec: number; realtimeKey: string | null };
  http: { bodyLimitBytes: number; uploadMaxBytes: number; videoMaxBytes: number; shutdownTimeoutMs: number };
  metricsToken: string | null;
  opensearch: { enabled: boolean; url: string; username: string; password: string };
  rateLimits: {
    enabled: boolean;
    ip: RateSpec;
    user: RateSpec;
    anon: RateSpec;
    auth: RateSpec;
    /** The window of the "per second" limits (AUTH_RPS_IP, MENTOR_RPS_*): 1 s unless an operator widens it. */
    rpsWindowMs: number;
  };
  storage: {
    backend: 'local' | 's3';
    mediaDir: string;
    serveMedia: boolean;
    s3: { endpoint: string; region: string; bucket: string; accessKeyId: string; secretAccessKey: string; presignSeconds: number; forcePathStyle: boolean };
  };
  social: {
    google: { clientIds: string[]; clientSecret: string; jwksUrl: string; issuers: string[]; tokenUrl: string; redirectUri: string };
    github: { clientId: string; clientSecret: string; tokenUrl: string; apiUrl: string; redirectUri: string };
    facebook: { appId: string; appSecret: string; graphUrl: string; redirectUri: string };
  };
  admin: { email: string; password: string | null; name: string };
  /** The staff admin pages (/admin/): login attempts per IP and how long a staff session lasts. */
  adminConsole: { loginRate: RateSpec; sessionTtlSec: number };
  worker: { concurrency: number };
  moderation: { bannedWords: string[] };
  realtime: { publishToken: string | null; publishRate: RateSpec; maxSocketsPerUser: number; maxBufferedBytes: number; pingIntervalMs: number };
  intelligence: {
    astroRate: RateSpec;
    matchingRate: RateSpec;
    asyncDefault: boolean;
    astroRulesVersion: string;
    astroCacheTtlSec: number;
    matchRulesVersion: string;
    featureSoulmatch: boolean;
  };
  mentor: MentorConfig;
  money: MoneyConfig;
  rewards: { githubWebhookSecret: string | null };
  community: { loginRate: RateSpec; corsOrigins: string[] };
  /** `worker` and `scheduler` serve GET /health on this port when set (probes); other roles use PORT. */
  healthPort: number | null;
  /** PostgreSQL without the pooler, for backup/restore (pg_dump holds a session); null = DATABASE_URL. */
  databaseDirectUrl: string | null;
  /** Multipart uploads: every part of one request together, and where parts are spooled. */
  uploads: { maxTotalBytes: number; tmpDir: string };
  /** Signed URLs of private media (local storage); null key = derived from the JWT signing key. */
  mediaUrls: { signingKey: string | null; ttlSec: number };
  /** Media retention: an upload no post or comment has used is purged after this many hours. */
  media: { orphanHours: number };
  delivery: {
    push: { backend: 'log' | 'expo'; sendUrl: string; receiptsUrl: string; accessToken: string | null; receiptDelayMs: number };
    email: { smtpUrl: string | null; from: string };
  };
  /** The transactional outbox relay (src/platform/events.ts). */
  outbox: { pollMs: number; batchMs: number; leaseMs: number; retentionHours: number; crashAfterCommit: string | null };
  /** In-process cache of resolved sessions (src/modules/users/session-cache.ts); ttlMs 0 turns it off. */
  sessionCache: { ttlMs: number; maxUsers: number };
  /** In-process cache of rendered pages: feeds, thread lists (src/platform/pages.ts); ttlMs 0 turns it off. */
  pageCache: { ttlMs: number; maxBytes: number };
  /** Faults and scale-out (docs/operations.md, docs/scaling.md): read replica, job lock lapse, SSE buffer cap. */
  ops: { replicaUrl: string | null; jobLockMs: number; sseMaxBufferedBytes: number };
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = str(env, 'NODE_ENV', 'development');
  if (!['development', 'production', 'test'].includes(nodeEnv)) throw new ConfigError(`NODE_ENV must be development, production or test, got "${nodeEnv}"`);
  const dataDir = path.resolve(str(env, 'DATA_DIR', './var'));
  const backend = str(env, 'STORAGE_BACKEND', 'local');
  const rpsWindowMs = int(env, 'RPS_WINDOW_MS', 1000, 100, 3_600_000);
  if (backend !== 'local' && backend !== 's3') throw new ConfigError(`STORAGE_BACKEND must be local or s3, got "${backend}"`);
  const s3 = {
    endpoint: str(env, 'S3_ENDPOINT', ''),
    region: str(env, 'S3_REGION', 'us-east-1'),
    bucket: str(env, 'S3_BUCKET', ''),
    accessKeyId: str(env, 'S3_ACCESS_KEY_ID', ''),
    secretAccessKey: str(env, 'S3_SECRET_ACCESS_KEY', ''),
    presignSeconds: int(env, 'S3_PRESIGN_SECONDS', 900, 60, 604800),
    forcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', true),
  };
  if (backend === 's3') {
    for (const [k, v] of [['S3_BUCKET', s3.bucket], ['S3_ACCESS_KEY_ID', s3.accessKeyId], ['S3_SECRET_ACCESS_KEY', s3.secretAccessKey]] as const) {
      if (!v) throw new ConfigError(`${k} is required when STORAGE_BACKEND=s3`);
    }
  }
  const publicBaseUrl = url(env, 'PUBLIC_BASE_URL', ['http:', 'https:']);
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const poolMax = int(env, 'DATABASE_POOL_MAX', 10, 1, 500);
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const signingKey = optStr(env, 'JWT_SIGNING_KEY') ?? optStr(env, 'SECRET_KEY');
  if (signingKey !== null && signingKey.length < 32) throw new ConfigError('JWT_SIGNING_KEY must be at least 32 characters');
  const uploadMax = int(env, 'UPLOAD_MAX_BYTES', 10 * 1_048_576, 1024);
  const videoMax = int(env, 'VIDEO_MAX_BYTES', 100 * 1_048_576, 1024);
  const mediaUrlKey = optStr(env, 'MEDIA_URL_SIGNING_KEY');
  if (mediaUrlKey !== null && mediaUrlKey.length < 32) throw new ConfigError('MEDIA_URL_SIGNING_KEY must be at least 32 characters');
  const expoPushUrl = url(env, 'EXPO_PUSH_URL', ['http:', 'https:']);
  const pushBackend = str(env, 'PUSH_BACKEND', expoPushUrl ? 'expo' : 'log');
  if (pushBackend !== 'log' && pushBackend !== 'expo') throw new ConfigError(`PUSH_BACKEND must be log or expo, got "${pushBackend}"`);
  const sendUrl = expoPushUrl ?? 'https://exp.host/--/api/v2/push/send';
  const smtpUrl = url(env, 'SMTP_URL', ['smtp:', 'smtps:']);
  const defaultRedirect = (p: string) => `http://localhost:8000/api/v1/auth/social/${p}/callback/`;

  return {
    env: nodeEnv as Config['env'],
    host: str(env, 'HOST', '0.0.0.0'),
    port: int(env, 'PORT', 8000, 0, 65535),
    dataDir,
    publicBaseUrl: publicBaseUrl ? publicBaseUrl.replace(/\/+$/, '') : null,
    trustProxy: bool(env, 'TRUST_PROXY', false),
    logLevel: str(env, 'LOG_LEVEL', nodeEnv === 'test' ? 'silent' : 'info'),
    database: { url: databaseUrl, poolMax, poolMin: int(env, 'DATABASE_POOL_MIN', poolMax, 0, poolMax), migrateOnStart: bool(env, 'MIGRATE_ON_START', true), namedStatements: bool(env, 'DATABASE_PREPARED_STATEMENTS', true) },
    redis: { url: redisUrl, prefix: str(env, 'REDIS_PREFIX', 'sl:') },
    opensearch: {
      enabled: bool(env, 'OPENSEARCH_ENABLED', false),
      url: str(env, 'OPENSEARCH_URL', 'http://localhost:9200'),
      username: str(env, 'OPENSEARCH_USERNAME', ''),
      password: str(env, 'OPENSEARCH_PASSWORD', ''),
    },
    jwt: {
      signingKey,
      accessTtlSec: int(env, 'JWT_ACCESS_MINUTES', 60 * 24 * 30, 1) * 60,
      refreshTtlSec: int(env, 'JWT_REFRESH_DAYS', 90, 1) * 86400,
      realtimeKey: optStr(env, 'REALTIME_JWT_SECRET'),
    },
    http: {
      bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1_048_576, 1024),
      uploadMaxBytes: uploadMax,
      videoMaxBytes: videoMax,
      shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0),
    },
    metricsToken: optStr(env, 'METRICS_TOKEN'),
    rateLimits: {
      enabled: bool(env, 'RATE_LIMITS_ENABLED', true),
      ip: parseRate('THROTTLE_IP_RATE', str(env, 'THROTTLE_IP_RATE', '240/min')),
      user: parseRate('THROTTLE_USER_RATE', str(env, 'THROTTLE_USER_RATE', '120/min')),
      anon: parseRate('THROTTLE_ANON_RATE', str(env, 'THROTTLE_ANON_RATE', '60/min')),
      auth: { limit: int(env, 'AUTH_RPS_IP', 5, 1), windowMs: rpsWindowMs },
      rpsWindowMs,
    },
    storage: {
      backend,
      mediaDir: path.resolve(str(env, 'MEDIA_DIR', path.join(dataDir, 'media'))),
      serveMedia: bool(env, 'SERVE_MEDIA', backend === 'local'),
      s3,
    },
    social: {
      google: {
        clientIds: list(env, 'GOOGLE_CLIENT_IDS', list(env, 'GOOGLE_CLIENT_ID', [])),
        clientSecret: str(env, 'GOOGLE_CLIENT_SECRET', ''),
        jwksUrl: str(env, 'GOOGLE_JWKS_URL', 'https://www.googleapis.com/oauth2/v3/certs'),
        issuers: list(env, 'GOOGLE_ISSUERS', ['https://accounts.google.com', 'accounts.google.com']),
        tokenUrl: str(env, 'GOOGLE_TOKEN_URL', 'https://oauth2.googleapis.com/token'),
        redirectUri: str(env, 'GOOGLE_REDIRECT_URI', defaultRedirect('google')),
      },
      github: {
        clientId: str(env, 'GITHUB_CLIENT_ID', ''),
        clientSecret: str(env, 'GITHUB_CLIENT_SECRET', ''),
        tokenUrl: str(env, 'GITHUB_TOKEN_URL', 'https://github.com/login/oauth/access_token'),
        apiUrl: str(env, 'GITHUB_API_URL', 'https://api.github.com'),
        redirectUri: str(env, 'GITHUB_REDIRECT_URI', defaultRedirect('github')),
      },
      facebook: {
        appId: str(env, 'FACEBOOK_APP_ID', ''),
        appSecret: str(env, 'FACEBOOK_APP_SECRET', ''),
        graphUrl: str(env, 'FACEBOOK_GRAPH_URL', 'https://graph.facebook.com/v19.0'),
        redirectUri: str(env, 'FACEBOOK_REDIRECT_URI', defaultRedirect('facebook')),
      },
    },
    admin: { email: str(env, 'ADMIN_EMAIL', 'admin@selflink.app'), password: optStr(env, 'ADMIN_PASSWORD'), name: str(env, 'ADMIN_NAME', 'Admin') },
    worker: { concurrency: int(env, 'WORKER_CONCURRENCY', 4, 1, 256) },
    moderation: { bannedWords: list(env, 'MODERATION_BANNED_WORDS', ['spam', 'scam', 'offensive']).map((w) => w.toLowerCase()) },
    realtime: {
      // POST /internal/publish is disabled (404) while the token is unset.
      publishToken: optStr(env, 'REALTIME_PUBLISH_TOKEN'),
      publishRate: parseRate('REALTIME_PUBLISH_RATE_LIMIT', str(env, 'REALTIME_PUBLISH_RATE_LIMIT', '600/min')),
      maxSocketsPerUser: int(env, 'REALTIME_MAX_SOCKETS_PER_USER', 10, 1, 1000),
      maxBufferedBytes: int(env, 'REALTIME_MAX_BUFFERED_BYTES', 1_048_576, 1024),
      pingIntervalMs: int(env, 'REALTIME_PING_INTERVAL_MS', 30_000, 1000),
    },
    adminConsole: {
      loginRate: parseRate('ADMIN_LOGIN_RATE', str(env, 'ADMIN_LOGIN_RATE', '10/min')),
      sessionTtlSec: int(env, 'ADMIN_SESSION_TTL_SECONDS', 8 * 3600, 60, 7 * 86_400),
    },
    intelligence: {
      astroRate: parseRate('THROTTLE_ASTRO_RATE', str(env, 'THROTTLE_ASTRO_RATE', '6/min')),
      matchingRate: parseRate('THROTTLE_MATCHING_RATE', str(env, 'THROTTLE_MATCHING_RATE', '30/min')),
      asyncDefault: bool(env, 'INTELLIGENCE_ASYNC_DEFAULT', false),
      astroRulesVersion: version(env, 'ASTRO_RULES_VERSION'),
      astroCacheTtlSec: int(env, 'ASTRO_CACHE_TTL_SECONDS', 604_800, 1),
      matchRulesVersion: version(env, 'MATCH_RULES_VERSION'),
      featureSoulmatch: bool(env, 'FEATURE_SOULMATCH', true),
    },
    mentor: mentorConfig(env, signingKey),
    money: moneyConfig(env),
    uploads: {
      maxTotalBytes: int(env, 'UPLOAD_MAX_TOTAL_BYTES', videoMax + uploadMax, 1024),
      tmpDir: path.resolve(str(env, 'UPLOAD_TMP_DIR', path.join(dataDir, 'tmp', 'uploads'))),
    },
    mediaUrls: { signingKey: mediaUrlKey, ttlSec: int(env, 'MEDIA_URL_TTL_SECONDS', 900, 60, 604800) },
    // At least an hour: an upload is normally attached within seconds of being made.
    media: { orphanHours: int(env, 'MEDIA_ORPHAN_HOURS', 24, 1, 24 * 365) },
    delivery: {
      push: {
        backend: pushBackend,
        sendUrl,
        receiptsUrl: expoReceiptsUrl(sendUrl),
        accessToken: optStr(env, 'EXPO_ACCESS_TOKEN'),
        receiptDelayMs: int(env, 'EXPO_RECEIPT_DELAY_SECONDS', 900, 0, 86_400) * 1000,
      },
      email: { smtpUrl, from: str(env, 'EMAIL_FROM', 'SelfLink <no-reply@selflink.app>') },
    },
    databaseDirectUrl: url(env, 'DATABASE_DIRECT_URL', ['postgres:', 'postgresql:']),
    healthPort: env.HEALTH_PORT === undefined || env.HEALTH_PORT === '' ? null : int(env, 'HEALTH_PORT', 0, 0, 65535),
    // No secret → every GitHub delivery is refused (403), in every mode.
    rewards: { githubWebhookSecret: optStr(env, 'GITHUB_WEBHOOK_SECRET') },
    community: {
      loginRate: parseRate('COMMUNITY_LOGIN_RATE', str(env, 'COMMUNITY_LOGIN_RATE', '10/min')),
      corsOrigins: list(env, 'CORS_ALLOWED_ORIGINS', ['http://localhost:5173', 'http://127.0.0.1:5173', 'http://localhost:8082', 'http://127.0.0.1:8082', 'https://georgetoloraia.github.io', 'https://community.self-link.com']),
    },
    outbox: {
      pollMs: int(env, 'OUTBOX_POLL_MS', 1000, 10, 3_600_000),
      batchMs: int(env, 'OUTBOX_BATCH_MS', 25, 0, 1000),
      leaseMs: int(env, 'OUTBOX_LEASE_MS', 60_000, 1000, 3_600_000),
      retentionHours: int(env, 'OUTBOX_RETENTION_HOURS', 24, 0, 24 * 365),
      // Test hook, off unless set: the relay dies (SIGKILL) when it claims an event of this name.
      crashAfterCommit: optStr(env, 'SELFLINK_TEST_CRASH_AFTER_COMMIT'),
    },
    sessionCache: {
      ttlMs: int(env, 'SESSION_CACHE_TTL_MS', 1000, 0, 60_000),
      maxUsers: int(env, 'SESSION_CACHE_MAX_USERS', 10_000, 1, 1_000_000),
    },
    pageCache: {
      ttlMs: int(env, 'PAGE_CACHE_TTL_MS', 5000, 0, 60_000),
      maxBytes: int(env, 'PAGE_CACHE_MAX_MB', 64, 1, 16_384) * 1024 * 1024,
    },
    ops: {
      replicaUrl: url(env, 'DATABASE_REPLICA_URL', ['postgres:', 'postgresql:']),
      // A killed worker's job runs again once its lock lapses (BullMQ's stalled-job check).
      jobLockMs: int(env, 'JOB_LOCK_MS', 30_000, 500, 600_000),
      sseMaxBufferedBytes: int(env, 'SSE_MAX_BUFFERED_BYTES', 1_048_576, 1024),
    },
  };
}

/** Receipts live beside the send endpoint: `…/push/send` → `…/push/getReceipts`, same origin. */
export function expoReceiptsUrl(sendUrl: string): string {
  const u = new URL(sendUrl);
  u.pathname = /\/send\/?$/.test(u.pathname) ? u.pathname.replace(/\/send\/?$/, '/getReceipts') : '/--/api/v2/push/getReceipts';
  u.search = '';
  return u.toString();
}
