// Request helpers shared by the payments routes.
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { unauthorized } from '../../platform/http/errors.js';

export const Open = Type.Object({}, { additionalProperties: true });

/** The signed-in user's id, or 401. */
export function me(req: FastifyRequest): number {
  if (!req.user) throw unauthorized();
  return req.user.id;
}

/** The origin relative media URLs are made absolute with (PUBLIC_BASE_URL wins). */
export const originOf = (publicBaseUrl: string | null, req: FastifyRequest) => publicBaseUrl ?? `${req.protocol}://${req.host}`;

export const received = { received: true };
