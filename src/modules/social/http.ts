// Small request helpers shared by the social routes.
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { unauthorized } from '../../platform/http/errors.js';
import type { UploadedFile } from '../../platform/http/multipart.js';
import { fieldError } from '../../platform/http/errors.js';
import type { UserRow } from '../users/schema.js';
export { viewerOf } from '../users/present.js';

/** The signed-in user's row (the guard loads it), or 401. */
export function author(req: FastifyRequest): UserRow {
  if (!req.user) throw unauthorized();
  return req.user as unknown as UserRow;
}

/** An id the app may send as a number or as a digit string (it stringifies ids in JSON bodies). */
export const IdLike = Type.Union([Type.Integer({ minimum: 1, maximum: 999_999_999_999_999 }), Type.String({ pattern: '^[1-9][0-9]{0,14}$' })]);
export const NullableIdLike = Type.Union([IdLike, Type.Null(), Type.Literal('')]);

export const idOf = (v: number | string) => Number(v);

/** Sorts uploaded files into the form fields a route accepts (aliases map to one name); others are 400. */
export function filesByField(req: FastifyRequest, aliases: Record<string, string>): Record<string, UploadedFile[]> {
  const out: Record<string, UploadedFile[]> = {};
  for (const f of req.uploads) {
    const name = aliases[f.field];
    if (!name) throw fieldError(f.field, 'Unknown field.');
    (out[name] ??= []).push(f);
  }
  return out;
}

export const LikeResponse = Type.Object({ liked: Type.Boolean(), like_count: Type.Integer() });
