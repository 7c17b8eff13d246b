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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'selflink' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
