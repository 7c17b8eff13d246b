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

function scrubbing(dest: pino.DestinationStream): pino.DestinationStream {
  const out = { write: (line: string) => dest.write(scrubSecrets(line)) } as pino.DestinationStream & { flushSync?: () => void };
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

/** Characters of access lines written at once: a batch (under PIPE_BUF) goes to a pipe whole. */
const ACCESS_BATCH = 4000;
/** Access lines wait at most this long for their batch to fill. */
const ACCESS_FLUSH_MS = 200;

/** What `gathered` gives: a destination, and a way to hand on what it holds now. */
export interface Gathering extends pino.DestinationStream {
  flush(): void;
}

const gatherings = new Set<() => void>();
let flushAtExit = false;

/**
 * Lines gathered into writes of up to `maxChars` (a longer line goes alone), handed on when the next
 * line would not fit, `flushMs` after the first line of a batch, and when the process exits. The
 * access lines go out so: a system call per line cost the api serving users/me ~11 % of its CPU.
 */
export function gathered(dest: pino.DestinationStream, maxChars = ACCESS_BATCH, flushMs = ACCESS_FLUSH_MS): Gathering {
  let pending = '';
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!pending) return;
    const out = pending;
    pending = '';
    dest.write(out);
  };
  // (pino's own exit hook may have flushed the stream already: this one writes through it at once)
  gatherings.add(() => {
    try {
      flush();
      (dest as { flushSync?: () => void }).flushSync?.();
    } catch {
      // closed already: nothing more can be written
    }
  });
  if (!flushAtExit) {
    flushAtExit = true;
    process.once('exit', () => {
      for (const f of gatherings) f();
    });
  }
  return {
    write(line: string) {
      if (pending.length + line.length > maxChars) flush();
      pending += line;
      timer ??= setTimeout(flush, flushMs).unref();
    },
    flush,
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  // Synchronous writes to stdout (pino's default), with the access lines gathered into batches of
  // ~15 (gathered): a line is out when its write returns, and one system call carries a batch. An
  // asynchronous stream hands every write to libuv's thread pool and copies it into a Buffer; with
  // the batches that cost the api 42.5 µs per users/me request against 36.9 µs so (docs/perf.md,
  // "Tokens, rate limits and the access log"). As with any synchronous log, a reader that stops
  // reading the pipe stalls the process, where an asynchronous one would grow its memory instead.
  const dest = scrubbing(destination ?? pino.destination({ dest: 1, sync: true }));
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
  const on = log.isLevelEnabled('info');
  accessLines.set(log, writeAccessLines(destination || !on ? dest : gathered(dest), on, base));
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
