// One logger for the process. Secrets and bodies never reach the output.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-llm-key"]',
  'req.headers["idempotency-key"]',
  'req.headers["x-internal-token"]',
  'headers.authorization',
  'password',
  'token',
  'refresh',
  'refreshToken',
  '*.password',
  '*.token',
  '*.refresh',
  '*.refreshToken',
  'body',
  'req.body',
];

/**
 * Credentials in URLs (`/ws?token=…`, `?refresh=…`, `?password=…`) are scrubbed from every line
 * the logger writes, whatever the level, the route or the serializer that produced it.
 */
const SECRET_QUERY = /([?&](?:access_?token|token|refresh_?token|refresh|password|code|secret|key|signature|sig)=)[^&"\s\\#]*/gi;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g;

export function scrubSecrets(line: string): string {
  if (!line.includes('=') && !line.includes('Bearer')) return line;
  return line.replace(SECRET_QUERY, '$1[redacted]').replace(BEARER, '$1[redacted]');
}

function scrubbing(dest: pino.DestinationStream, asBuffers: boolean): pino.DestinationStream {
  const out = {
    write: asBuffers ? (line: string) => dest.write(Buffer.from(scrubSecrets(line)) as never) : (line: string) => dest.write(scrubSecrets(line)),
  } as pino.DestinationStream & { flushSync?: () => void };
  const d = dest as pino.DestinationStream & { flushSync?: () => void };
  if (typeof d.flushSync === 'function') out.flushSync = () => d.flushSync!();
  return out;
}

/**
 * pino's isoTime, formatted once per millisecond: under load many lines share one (a Date and its
 * ISO string per line were ~2 % of the api's CPU serving users/me).
 */
let isoMs = 0;
let isoField = '';
function isoTime(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoField = `,"time":"${new Date(now).toISOString()}"`;
  }
  return isoField;
}

const PG_CODE = /^[0-9A-Z]{5}$/;

/**
 * A database error as it may be logged: the SQL state, constraint, table and column, and the
 * server's message, never the query's parameters or the row's values (`detail`), which carry
 * e-mails, password hashes and message bodies. Other errors pass through unchanged.
 */
export function safeError(err: unknown): unknown {
  if (!err || typeof err !== 'object') return err;
  const e = err as { name?: string; message?: string; query?: unknown; params?: unknown; cause?: unknown; code?: unknown; stack?: string };
  const db = (e.query !== undefined && e.params !== undefined ? e.cause : err) as Record<string, unknown> | undefined;
  const code = db && typeof db === 'object' ? db.code : undefined;
  const isDb = e.query !== undefined || (typeof code === 'string' && PG_CODE.test(code) && ('severity' in (db ?? {}) || 'routine' in (db ?? {})));
  if (!isDb) return err;
  const pick = (k: string) => (db && typeof db[k] === 'string' ? (db[k] as string) : undefined);
  return {
    type: 'DatabaseError',
    message: pick('message') ?? 'database error',
    code: typeof code === 'string' ? code : undefined,
    constraint: pick('constraint'),
    table: pick('table'),
    column: pick('column'),
    routine: pick('routine'),
    query: typeof e.query === 'string' ? e.query.slice(0, 300) : undefined,
    // Frames only: the first lines repeat the message, which for a failed query lists its params.
    stack: typeof e.stack === 'string' ? e.stack.split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 8).join('\n') : undefined,
  };
}

/** What an access line says of a completed request (Fastify's req/res serializers' fields). */
export interface AccessFields {
  reqId: string;
  method: string;
  url: string;
  host: string | undefined;
  remoteAddress: string;
  remotePort: number | undefined;
  statusCode: number;
  responseTime: number;
}

export type AccessLine = (f: AccessFields) => void;

const ACCESS_MSG = 'request completed';
const accessLines = new WeakMap<Logger, AccessLine>();

const accessObject = (f: AccessFields) => ({
  reqId: f.reqId,
  req: { method: f.method, url: f.url, host: f.host, remoteAddress: f.remoteAddress, remotePort: f.remotePort },
  res: { statusCode: f.statusCode },
  responseTime: f.responseTime,
});

/**
 * Writes one access line per request: pino's line for `info(accessObject(f), 'request completed')`,
 * built in one JSON.stringify and written to the logger's output. The line holds only method, URL,
 * address and status: no redaction path can match it (pino's redaction of it was ~10 % of a cheap
 * request's CPU, its serialization ~8 %), and secrets in its URL are scrubbed at the output like
 * every line's. For a logger made elsewhere, the line goes through that logger.
 */
export function accessLine(log: Logger): AccessLine {
  return accessLines.get(log) ?? ((f) => log.info(accessObject(f), ACCESS_MSG));
}

function writeAccessLines(dest: pino.DestinationStream, on: boolean, base: Record<string, string>): AccessLine {
  const head = `{"level":${pino.levels.values.info}`;
  const bindings = JSON.stringify(base).slice(1, -1);
  const tail = `,"msg":${JSON.stringify(ACCESS_MSG)}}\n`;
  return (f) => {
    if (!on) return;
    const body = JSON.stringify(accessObject(f)).slice(1, -1);
    dest.write(`${head}${isoTime()},${bindings},${body}${tail}`);
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  // Asynchronous: a line goes out in the background, lines written meanwhile go out together, and
  // pino flushes what is left when the process exits. A synchronous write per request line cost the
  // API ~11 % of its busy CPU under load (docs/perf.md, "Tokens, rate limits and the access log").
  // Lines go to stdout as buffers: as text, sonic-boom measures the whole pending chunk again with
  // every line (Buffer.byteLength of a string up to 16 KiB), ~5 % of the api's CPU serving users/me.
  const dest = destination ? scrubbing(destination, false) : scrubbing(pino.destination({ dest: 1, sync: false, contentMode: 'buffer' }), true);
  const base = { service: 'selflink' };
  const options: pino.LoggerOptions = {
    level,
    base,
    formatters: {
      log(obj) {
        if (obj.err) obj.err = safeError(obj.err);
        if (obj.error) obj.error = safeError(obj.error);
        return obj;
      },
    },
    timestamp: isoTime,
  };
  const log = pino({ ...options, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, dest);
  accessLines.set(log, writeAccessLines(dest, log.isLevelEnabled('info'), base));
  return log;
}

type LogArgs = Parameters<Logger['info']>;

/**
 * A request's logger, made on its first line: Fastify makes a child logger (its bindings
 * serialized) for every request, and most requests write no line of their own (the access line has
 * its own logger). Same methods, same output once made.
 */
class LazyChild {
  #made: Logger | null = null;
  constructor(
    private readonly parent: Logger,
    private readonly own: pino.Bindings,
    private readonly opts: pino.ChildLoggerOptions,
  ) {}
  private get made(): Logger {
    return (this.#made ??= this.parent.child(this.own, this.opts));
  }
  get level() {
    return this.#made?.level ?? this.opts.level ?? this.parent.level;
  }
  set level(level: string) {
    this.made.level = level;
  }
  isLevelEnabled(level: string) {
    return this.made.isLevelEnabled(level);
  }
  trace(...a: LogArgs) {
    this.made.trace(...a);
  }
  debug(...a: LogArgs) {
    this.made.debug(...a);
  }
  info(...a: LogArgs) {
    this.made.info(...a);
  }
  warn(...a: LogArgs) {
    this.made.warn(...a);
  }
  error(...a: LogArgs) {
    this.made.error(...a);
  }
  fatal(...a: LogArgs) {
    this.made.fatal(...a);
  }
  silent() {}
  child(bindings: pino.Bindings, opts?: pino.ChildLoggerOptions) {
    return this.made.child(bindings, opts);
  }
  bindings() {
    return this.made.bindings();
  }
}

/** Fastify's `childLoggerFactory`: requests' loggers made lazily (LazyChild). */
export function lazyChildLogger(logger: Logger, bindings: pino.Bindings, opts: pino.ChildLoggerOptions): Logger {
  return new LazyChild(logger, bindings, opts) as unknown as Logger;
}
