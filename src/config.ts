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
  delivery: {
    push: { backend: 'log' | 'expo'; sendUrl: string; receiptsUrl: string; accessToken: string | null; receiptDelayMs: number };
    email: { smtpUrl: string | null; from: string };
  };
  /** The transactional outbox relay (src/platform/events.ts). */
  outbox: { pollMs: number; leaseMs: number; retentionHours: number; crashAfterCommit: string | null };
  /** In-process cache of resolved sessions (src/modules/users/session-cache.ts); ttlMs 0 turns it off. */
  sessionCache: { ttlMs: number; maxUsers: number };
  /** Faults and scale-out (docs/operations.md, docs/scaling.md): read replica, job lock lapse, SSE buffer cap. */
  ops: { replicaUrl: string | null; jobLockMs: number; sseMaxBufferedBytes: number };
}

export interface MentorConfig {
  provider: 'mock' | 'openai' | 'ollama';
  /** OpenAI-compatible: the base the SDK appends `/chat/completions` to; Ollama: the server root. */
  baseUrl: string;
  model: string;
  /** OPENAI_API_KEY; a request's X-LLM-Key overrides it. */
  apiKey: string | null;
  /** MENTOR_LLM_TIMEOUT (seconds, may be fractional): idle bound of every provider call. */
  timeoutMs: number;
  maxTokens: number;
  maxPromptChars: number;
  maxMessages: number;
  /** Scope `mentor` (per user and per IP). */
  rate: RateSpec;
  rpsUser: number;
  rpsGlobal: number;
  maxStreamsPerUser: number;
  heartbeatMs: number;
  asyncDefault: boolean;
  /** Encrypts X-LLM-Key in job payloads; derived from JWT_SIGNING_KEY when unset. */
  keySecret: string | null;
}

/** SLC credits and payments (issue 11). */
export interface MoneyConfig {
  throttles: { transfer: RateSpec; spend: RateSpec; paidReaction: RateSpec; iapVerify: RateSpec };
  /** US dollars per unit of each currency, as exact decimal strings (USD is always 1). */
  fxRates: Record<string, string>;
  giftCreatorShareBps: number;
  paymentsEnabled: boolean;
  providers: { stripe: boolean; ipay: boolean; btcpay: boolean; iap: boolean };
  stripe: { apiKey: string | null; webhookSecret: string | null; apiBase: string | null; minCents: number; allowedCurrencies: string[]; successUrl: string; cancelUrl: string };
  ipay: { webhookSecret: string | null; allowedCurrencies: string[]; paidStatuses: string[]; failedStatuses: string[] };
  btcpay: { baseUrl: string | null; storeId: string | null; apiKey: string | null; webhookSecret: string | null; allowedCurrencies: string[]; paidStatuses: string[]; failedStatuses: string[]; timeoutMs: number };
  iap: { appleRootCertPath: string | null; appleBundleId: string | null; googleVerifyUrl: string | null; googlePackageName: string; googleAccessToken: string | null; skus: Record<string, { amountCents: number; currency: string }> };
}

function fxRates(env: Env): Record<string, string> {
  const out: Record<string, string> = { USD: '1' };
  for (const part of list(env, 'COIN_FX_RATES', [])) {
    const m = /^([A-Za-z]{3})\s*=\s*(\d{1,9}(?:\.\d{1,12})?)$/.exec(part);
    if (!m || !/[1-9]/.test(m[2])) throw new ConfigError(`COIN_FX_RATES must look like "EUR=1.08,GEL=0.37" (positive decimals), got "${part}"`);
    if (m[1].toUpperCase() !== 'USD') out[m[1].toUpperCase()] = m[2];
  }
  return out;
}

function skuMap(env: Env): Record<string, { amountCents: number; currency: string }> {
  const raw = optStr(env, 'IAP_SKU_MAP');
  if (raw === null) return { 'com.selflink.slc.499': { amountCents: 499, currency: 'USD' }, 'com.selflink.slc.999': { amountCents: 999, currency: 'USD' } };
  const out: Record<string, { amountCents: number; currency: string }> = {};
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([\w.-]{1,128})\s*=\s*(\d{1,9})(?:\s*:?\s*([A-Za-z]{3}))?$/.exec(part);
    if (!m || Number(m[2]) <= 0) throw new ConfigError(`IAP_SKU_MAP must look like "com.app.sku=499:USD,…", got "${part}"`);
    out[m[1]] = { amountCents: Number(m[2]), currency: (m[3] ?? 'USD').toUpperCase() };
  }
  return out;
}

const upperList = (env: Env, key: string, def: string[]) => list(env, key, def).map((c) => c.toUpperCase());
const lowerList = (env: Env, key: string, def: string[]) => list(env, key, def).map((c) => c.toLowerCase());

function moneyConfig(env: Env): MoneyConfig {
  const apiBase = url(env, 'STRIPE_API_BASE', ['http:', 'https:']);
  return {
    throttles: {
      transfer: parseRate('COIN_THROTTLE_TRANSFER', str(env, 'COIN_THROTTLE_TRANSFER', '30/min')),
      spend: parseRate('COIN_THROTTLE_SPEND', str(env, 'COIN_THROTTLE_SPEND', '60/min')),
      paidReaction: parseRate('PAID_REACTION_THROTTLE', str(env, 'PAID_REACTION_THROTTLE', '30/min')),
      iapVerify: parseRate('IAP_THROTTLE_VERIFY', str(env, 'IAP_THROTTLE_VERIFY', '20/min')),
    },
    fxRates: fxRates(env),
    giftCreatorShareBps: int(env, 'GIFT_CREATOR_SHARE_BPS', 0, 0, 10_000),
    paymentsEnabled: bool(env, 'FEATURE_PAYMENTS', true),
    providers: {
      stripe: bool(env, 'PAYMENTS_PROVIDER_ENABLED_STRIPE', true),
      ipay: bool(env, 'PAYMENTS_PROVIDER_ENABLED_IPAY', true),
      btcpay: bool(env, 'PAYMENTS_PROVIDER_ENABLED_BTCPAY', true),
      iap: bool(env, 'PAYMENTS_PROVIDER_ENABLED_IAP', false),
    },
    stripe: {
      apiKey: optStr(env, 'STRIPE_API_KEY'),
      webhookSecret: optStr(env, 'STRIPE_WEBHOOK_SECRET'),
      apiBase: apiBase ? apiBase.replace(/\/+$/, '') : null,
      minCents: int(env, 'STRIPE_CHECKOUT_MIN_CENTS', 50, 1),
      allowedCurrencies: upperList(env, 'STRIPE_ALLOWED_CURRENCIES', ['USD', 'EUR', 'GEL']),
      successUrl: str(env, 'STRIPE_CHECKOUT_SUCCESS_URL', 'http://localhost:3000/payments/success'),
      cancelUrl: str(env, 'STRIPE_CHECKOUT_CANCEL_URL', 'http://localhost:3000/payments/cancel'),
    },
    ipay: {
      webhookSecret: optStr(env, 'IPAY_WEBHOOK_SECRET'),
      allowedCurrencies: upperList(env, 'IPAY_ALLOWED_CURRENCIES', ['USD', 'EUR', 'GEL']),
      paidStatuses: lowerList(env, 'IPAY_PAID_STATUSES', ['paid', 'success', 'completed']),
      failedStatuses: lowerList(env, 'IPAY_FAILED_STATUSES', ['failed', 'canceled', 'expired']),
    },
    btcpay: {
      baseUrl: (url(env, 'BTCPAY_BASE_URL', ['http:', 'https:']) ?? '').replace(/\/+$/, '') || null,
      storeId: optStr(env, 'BTCPAY_STORE_ID'),
      apiKey: optStr(env, 'BTCPAY_API_KEY'),
      webhookSecret: optStr(env, 'BTCPAY_WEBHOOK_SECRET'),
      allowedCurrencies: upperList(env, 'BTCPAY_ALLOWED_CURRENCIES', ['USD', 'EUR']),
      paidStatuses: lowerList(env, 'BTCPAY_PAID_STATUSES', ['settled']),
      failedStatuses: lowerList(env, 'BTCPAY_FAILED_STATUSES', ['expired', 'invalid']),
      timeoutMs: int(env, 'BTCPAY_TIMEOUT_SECONDS', 10, 1, 120) * 1000,
    },
    iap: {
      appleRootCertPath: optStr(env, 'IAP_APPLE_ROOT_CERT_PATH'),
      appleBundleId: optStr(env, 'IAP_APPLE_BUNDLE_ID'),
      googleVerifyUrl: (url(env, 'IAP_GOOGLE_VERIFY_URL', ['http:', 'https:']) ?? '').replace(/\/+$/, '') || null,
      googlePackageName: str(env, 'IAP_GOOGLE_PACKAGE_NAME', 'com.selflink.app'),
      googleAccessToken: optStr(env, 'IAP_GOOGLE_ACCESS_TOKEN'),
      skus: skuMap(env),
    },
  };
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

/** Rules versions partition caches: short, printable, default "v1". */
function version(env: Env, key: string): string {
  const v = str(env, key, 'v1').trim();
  if (!/^[A-Za-z0-9._-]{1,32}$/.test(v)) throw new ConfigError(`${key} must be 1-32 letters, digits, ".", "_" or "-", got "${v}"`);
  return v;
}

function seconds(env: Env, key: string, def: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw.trim());
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !(n > 0) || n > 3600) throw new ConfigError(`${key} must be a number of seconds between 0 and 3600, got "${raw}"`);
  return n;
}

function mentorConfig(env: Env, jwtKey: string | null): MentorConfig {
  const provider = str(env, 'MENTOR_LLM_PROVIDER', 'mock').trim().toLowerCase();
  if (provider !== 'mock' && provider !== 'openai' && provider !== 'ollama') throw new ConfigError(`MENTOR_LLM_PROVIDER must be mock, openai or ollama, got "${provider}"`);
  const baseUrl = url(env, 'MENTOR_LLM_BASE_URL', ['http:', 'https:']);
  const keySecret = optStr(env, 'MENTOR_KEY_SECRET');
  if (keySecret !== null && keySecret.length < 32) throw new ConfigError('MENTOR_KEY_SECRET must be at least 32 characters');
  return {
    provider,
    baseUrl: (baseUrl ?? (provider === 'ollama' ? 'http://127.0.0.1:11434' : 'https://api.openai.com/v1')).replace(/\/+$/, ''),
    model: str(env, 'MENTOR_LLM_MODEL', provider === 'ollama' ? 'llama3.2:1b' : 'gpt-4o-mini'),
    apiKey: optStr(env, 'OPENAI_API_KEY'),
    timeoutMs: Math.round(seconds(env, 'MENTOR_LLM_TIMEOUT', 60) * 1000),
    maxTokens: int(env, 'MENTOR_LLM_MAX_TOKENS', 512, 1, 32_768),
    maxPromptChars: int(env, 'MENTOR_LLM_MAX_PROMPT_CHARS', 12_000, 500, 1_000_000),
    maxMessages: int(env, 'MENTOR_LLM_MAX_MESSAGES', 12, 1, 200),
    rate: parseRate('THROTTLE_MENTOR_RATE', str(env, 'THROTTLE_MENTOR_RATE', '20/min')),
    rpsUser: int(env, 'MENTOR_RPS_USER', 2, 1),
    rpsGlobal: int(env, 'MENTOR_RPS_GLOBAL', 20, 1),
    maxStreamsPerUser: int(env, 'MENTOR_MAX_STREAMS_PER_USER', 3, 1, 100_000),
    heartbeatMs: int(env, 'MENTOR_SSE_HEARTBEAT_MS', 15_000, 10, 3_600_000),
    asyncDefault: bool(env, 'INTELLIGENCE_ASYNC_DEFAULT', false),
    keySecret: keySecret ?? jwtKey,
  };
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
      leaseMs: int(env, 'OUTBOX_LEASE_MS', 60_000, 1000, 3_600_000),
      retentionHours: int(env, 'OUTBOX_RETENTION_HOURS', 24, 0, 24 * 365),
      // Test hook, off unless set: the relay dies (SIGKILL) when it claims an event of this name.
      crashAfterCommit: optStr(env, 'SELFLINK_TEST_CRASH_AFTER_COMMIT'),
    },
    sessionCache: {
      ttlMs: int(env, 'SESSION_CACHE_TTL_MS', 1000, 0, 60_000),
      maxUsers: int(env, 'SESSION_CACHE_MAX_USERS', 10_000, 1, 1_000_000),
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
