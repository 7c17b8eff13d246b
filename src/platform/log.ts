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
  const out = {
    write: (line: string) => dest.write(scrubSecrets(line)),
  } as pino.DestinationStream & { flushSync?: () => void };
  const d = dest as pino.DestinationStream & { flushSync?: () => void };
  if (typeof d.flushSync === 'function') out.flushSync = () => d.flushSync!();
  return out;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const dest = scrubbing(destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'selflink' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    dest,
  );
}
