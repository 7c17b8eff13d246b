// Small request helpers every module's routes share (kept here so no module imports another's routes).
import type { FastifyRequest } from 'fastify';
import type { RateSpec } from '../../config.js';
import type { RouteRate } from './guard.js';
import { ApiError } from './errors.js';

/** A DRF throttle scope: one bucket per user and one per client IP, as the original. */
export const scope = (name: string, spec: RateSpec): RouteRate[] => [
  { name, by: 'user', ...spec },
  { name, by: 'ip', ...spec },
];

/** The optional `Idempotency-Key` header: 1–255 visible characters. */
export function idempotencyKey(req: FastifyRequest, required: boolean): string | undefined {
  const raw = req.headers['idempotency-key'];
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (v === undefined || v.trim() === '') {
    if (required) throw new ApiError(400, { detail: 'Idempotency-Key required.', code: 'invalid_request' });
    return undefined;
  }
  const key = v.trim();
  if (key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) throw new ApiError(400, { detail: 'Idempotency-Key is invalid.', code: 'invalid_request' });
  return key;
}
