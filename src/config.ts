// Every environment variable the server reads, parsed and checked once.
// A bad value stops start-up with a message that names the variable.
import path from 'node:path';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export interface RateSpec {
  limit: number;
  windowMs: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  dataDir: string;
  publicBaseUrl: string | null;
  trustProxy: boolean;
  logLevel: string;
  database: { url: string | null; poolMax: number; migrateOnStart: boolean };
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
  worker: { concurrency: number };
  moderation: { bannedWords: string[] };
  realtime: { publishToken: string | null; publishRate: RateSpec; maxSocketsPerUser: number; maxBufferedBytes: number; pingIntervalMs: number };
  /** The transactional outbox relay (src/platform/events.ts). */
  outbox: { pollMs: number; leaseMs: number; retentionHours: number; crashAfterCommit: string | null };
}

function str(env: Env, key: string, def: string): string {
  const v = env[key];
  return v === undefined || v === '' ? def : v;
}

function optStr(env: Env, key: string): string | null {
  const v = env[key];
  return v === undefined || v === '' ? null : v;
}

function int(env: Env, key: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${key} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${key} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, key: string, def: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${key} must be true or false, got "${raw}"`);
}

function list(env: Env, key: string, def: string[]): string[] {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

const UNITS: Record<string, number> = { s: 1000, sec: 1000, second: 1000, m: 60_000, min: 60_000, minute: 60_000, h: 3_600_000, hour: 3_600_000, d: 86_400_000, day: 86_400_000 };

/** Parses DRF-style rates such as "240/min" or "5/s". */
export function parseRate(key: string, raw: string): RateSpec {
  const m = /^(\d+)\s*\/\s*([a-z]+)$/i.exec(raw.trim());
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || !unit) throw new ConfigError(`${key} must look like "120/min" (units s, min, h, day), got "${raw}"`);
  return { limit: Number(m[1]), windowMs: unit };
}

function url(env: Env, key: string, protocols: string[]): string | null {
  const raw = optStr(env, key);
  if (raw === null) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${key} is not a valid URL`);
  }
  if (!protocols.includes(u.protocol)) throw new ConfigError(`${key} must use ${protocols.join(' or ')}, got ${u.protocol}`);
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = str(env, 'NODE_ENV', 'development');
  if (!['development', 'production', 'test'].includes(nodeEnv)) throw new ConfigError(`NODE_ENV must be development, production or test, got "${nodeEnv}"`);
  const dataDir = path.resolve(str(env, 'DATA_DIR', './var'));
  const backend = str(env, 'STORAGE_BACKEND', 'local');
  if (backend !== 'local' && backend !== 's3') throw new ConfigError(`STORAGE_BACKEND must be local or s3, got "${backend}"`);
  const s3 = {
    endpoint: str(env, 'S3_ENDPOINT', ''),
    region: str(env, 'S3_REGION', 'us-east-1'),
    bucket: str(env, 'S3_BUCKET', ''),
    accessKeyId: str(env, 'S3_ACCESS_KEY_ID', ''),
    secretAccessKey: str(env, 'S3_SECRET_ACCESS_KEY', ''),
    presignSeconds: int(env, 'S3_PRESIGN_SECONDS', 3600, 1, 604800),
    forcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', true),
  };
  if (backend === 's3') {
    for (const [k, v] of [['S3_BUCKET', s3.bucket], ['S3_ACCESS_KEY_ID', s3.accessKeyId], ['S3_SECRET_ACCESS_KEY', s3.secretAccessKey]] as const) {
      if (!v) throw new ConfigError(`${k} is required when STORAGE_BACKEND=s3`);
    }
  }
  const publicBaseUrl = url(env, 'PUBLIC_BASE_URL', ['http:', 'https:']);
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const signingKey = optStr(env, 'JWT_SIGNING_KEY') ?? optStr(env, 'SECRET_KEY');
  if (signingKey !== null && signingKey.length < 32) throw new ConfigError('JWT_SIGNING_KEY must be at least 32 characters');
  const defaultRedirect = (p: string) => `http://localhost:8000/api/v1/auth/social/${p}/callback/`;

  return {
    env: nodeEnv as Config['env'],
    host: str(env, 'HOST', '0.0.0.0'),
    port: int(env, 'PORT', 8000, 0, 65535),
    dataDir,
    publicBaseUrl: publicBaseUrl ? publicBaseUrl.replace(/\/+$/, '') : null,
    trustProxy: bool(env, 'TRUST_PROXY', false),
    logLevel: str(env, 'LOG_LEVEL', nodeEnv === 'test' ? 'silent' : 'info'),
    database: { url: databaseUrl, poolMax: int(env, 'DATABASE_POOL_MAX', 10, 1, 500), migrateOnStart: bool(env, 'MIGRATE_ON_START', true) },
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
      uploadMaxBytes: int(env, 'UPLOAD_MAX_BYTES', 10 * 1_048_576, 1024),
      videoMaxBytes: int(env, 'VIDEO_MAX_BYTES', 100 * 1_048_576, 1024),
      shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0),
    },
    metricsToken: optStr(env, 'METRICS_TOKEN'),
    rateLimits: {
      enabled: bool(env, 'RATE_LIMITS_ENABLED', true),
      ip: parseRate('THROTTLE_IP_RATE', str(env, 'THROTTLE_IP_RATE', '240/min')),
      user: parseRate('THROTTLE_USER_RATE', str(env, 'THROTTLE_USER_RATE', '120/min')),
      anon: parseRate('THROTTLE_ANON_RATE', str(env, 'THROTTLE_ANON_RATE', '60/min')),
      auth: { limit: int(env, 'AUTH_RPS_IP', 5, 1), windowMs: 1000 },
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
    outbox: {
      pollMs: int(env, 'OUTBOX_POLL_MS', 1000, 10, 3_600_000),
      leaseMs: int(env, 'OUTBOX_LEASE_MS', 60_000, 1000, 3_600_000),
      retentionHours: int(env, 'OUTBOX_RETENTION_HOURS', 24, 0, 24 * 365),
      // Test hook, off unless set: the relay dies (SIGKILL) when it claims an event of this name.
      crashAfterCommit: optStr(env, 'SELFLINK_TEST_CRASH_AFTER_COMMIT'),
    },
  };
}
