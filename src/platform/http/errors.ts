// DRF-style errors: {"detail", "code"} or {"field": ["message"]}. Bad input is never a 500.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { pgErrorCode } from '../db/index.js';

export type FieldErrors = Record<string, string[] | Record<string, unknown>>;

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown> | unknown[],
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof (body as { detail?: unknown }).detail === 'string' ? (body as { detail: string }).detail : `HTTP ${status}`);
  }
}

export const badRequest = (detail: string, code = 'invalid') => new ApiError(400, { detail, code });
export const fieldError = (field: string, message: string) => new ApiError(400, { [field]: [message] });
export const fieldErrors = (errors: FieldErrors) => new ApiError(400, errors);
export const unauthorized = (detail = 'Authentication credentials were not provided.', code = 'not_authenticated') =>
  new ApiError(401, { detail, code }, { 'www-authenticate': 'Bearer realm="api"' });
export const forbidden = (detail = 'You do not have permission to perform this action.', code = 'permission_denied') =>
  new ApiError(403, { detail, code });
export const notFound = (detail = 'Not found.') => new ApiError(404, { detail, code: 'not_found' });
export const conflict = (detail: string, code = 'conflict') => new ApiError(409, { detail, code });

function fieldOf(path: string, missing?: string): string {
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (missing) parts.push(missing);
  return parts.join('.') || 'non_field_errors';
}

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, any>;
  message?: string;
}

function messageFor(e: AjvError): [string, string] {
  switch (e.keyword) {
    case 'required':
      return [fieldOf(e.instancePath, e.params.missingProperty), 'This field is required.'];
    case 'additionalProperties':
      return [fieldOf(e.instancePath, e.params.additionalProperty), 'Unknown field.'];
    case 'maxLength':
      return [fieldOf(e.instancePath), `Ensure this field has no more than ${e.params.limit} characters.`];
    case 'minLength':
      return [fieldOf(e.instancePath), e.params.limit <= 1 ? 'This field may not be blank.' : `Ensure this field has at least ${e.params.limit} characters.`];
    case 'type':
      return [fieldOf(e.instancePath), `Must be a valid ${e.params.type}.`];
    case 'format':
      return [fieldOf(e.instancePath), e.params.format === 'email' ? 'Enter a valid email address.' : `Enter a valid ${e.params.format}.`];
    case 'enum':
    case 'const':
      return [fieldOf(e.instancePath), 'Is not a valid choice.'];
    case 'maximum':
      return [fieldOf(e.instancePath), `Ensure this value is less than or equal to ${e.params.limit}.`];
    case 'minimum':
      return [fieldOf(e.instancePath), `Ensure this value is greater than or equal to ${e.params.limit}.`];
    case 'maxItems':
      return [fieldOf(e.instancePath), `Ensure this field has no more than ${e.params.limit} elements.`];
    case 'pattern':
      return [fieldOf(e.instancePath), 'Enter a valid value.'];
    default:
      return [fieldOf(e.instancePath), e.message ?? 'Invalid value.'];
  }
}

export function validationBody(errors: AjvError[]): Record<string, string[]> {
  // A Map, not an object: field names come from the client ("__proto__", "constructor").
  const out = new Map<string, string[]>();
  for (const e of errors) {
    // anyOf/oneOf wrappers repeat their branches' errors; the branch errors are clearer.
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if') continue;
    const [field, msg] = messageFor(e);
    const list = out.get(field) ?? [];
    out.set(field, list);
    if (!list.includes(msg)) list.push(msg);
  }
  return out.size ? Object.fromEntries(out) : { non_field_errors: ['Invalid input.'] };
}

/** Errors of the multipart parser (busboy) on a body without a boundary or cut short. */
function isMalformedMultipart(err: { message?: string; code?: string }): boolean {
  const m = typeof err.message === 'string' ? err.message : '';
  return (
    /^Multipart: |Unexpected end of (form|file|multipart)|Malformed (part header|urlencoded form)|Boundary not found|Missing boundary|Unsupported content type: multipart|Part terminated early|Malformed part/i.test(m)
  );
}

const UNAVAILABLE_PG = /^(08...|57P0[123]|53300)$/;
const UNAVAILABLE_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
const UNAVAILABLE_TEXT = /Connection terminated|timeout exceeded when trying to connect|not queryable|Connection is closed|MaxRetriesPerRequest|Reached the max retries/i;

/**
 * Whether an error means a backing service (PostgreSQL, Redis) is unreachable or restarting rather than
 * a bug: the request is answered 503 with Retry-After, and the client tries again (docs/operations.md).
 */
export function isBackendUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown } | null, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && (UNAVAILABLE_PG.test(e.code) || UNAVAILABLE_NET.has(e.code))) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_TEXT.test(e.message)) return true;
    if (e.name === 'MaxRetriesPerRequestError') return true;
  }
  return false;
}

/** Seconds a client should wait before retrying while a backing service is down. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof ApiError) {
    return reply.status(err.status).headers(err.headers).send(err.body);
  }
  if (err.validation) {
    return reply.status(400).send(validationBody(err.validation as AjvError[]));
  }
  const code = err.code;
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
    return reply.status(400).send({ detail: 'JSON parse error - the request body is not valid JSON.', code: 'parse_error' });
  }
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return reply.status(400).send({ detail: 'The request body is empty but Content-Type is application/json.', code: 'parse_error' });
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return reply.status(413).send({ detail: 'Request entity too large.', code: 'payload_too_large' });
  }
  if (isMalformedMultipart(err)) {
    return reply.status(400).send({ detail: 'Multipart form parse error - the request body is not valid multipart/form-data.', code: 'parse_error' });
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
    return reply.status(415).send({ detail: `Unsupported media type "${req.headers['content-type'] ?? ''}" in request.`, code: 'unsupported_media_type' });
  }
  const pg = pgErrorCode(err);
  if (pg === '23505') return reply.status(409).send({ detail: 'This object already exists.', code: 'conflict' });
  if (pg === '23503') return reply.status(400).send({ detail: 'A referenced object does not exist.', code: 'invalid_reference' });
  // The input classes are rejected before they reach the database (validation.ts, parseInstant);
  // these are the backstop: bad text encoding or NUL (22021, 22P05), out-of-range datetimes
  // (22008, 22009), too-deep jsonb (54001), and the like are the client's input, never a 500.
  if (pg && ['22P02', '22003', '22001', '22007', '22008', '22009', '22023', '22021', '22P05', '2202E', '22025', '54001'].includes(pg)) {
    return reply.status(400).send({ detail: 'Invalid value.', code: 'invalid' });
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return reply.status(err.statusCode).send({ detail: typeof err.message === 'string' && err.message ? err.message : 'Bad request.', code: String(code ?? 'bad_request').toLowerCase() });
  }
  if (isBackendUnavailable(err)) {
    req.log.warn({ err: err.message }, 'backing service unavailable');
    return reply.status(503).header('retry-after', String(UNAVAILABLE_RETRY_AFTER_S)).send({ detail: 'Service temporarily unavailable, try again shortly.', code: 'service_unavailable' });
  }
  req.log.error({ err }, 'unhandled error');
  return reply.status(500).send({ detail: 'A server error occurred.', code: 'server_error' });
}

// ---- error catalogues -------------------------------------------------------------------------
// Each module declares its errors once (code, status, message) and throws from the catalogue; routes list
// the ones they may answer in `config.errors`, and the OpenAPI document shows them per operation.

export interface ErrorSpec {
  status: number;
  code: string;
  message: string;
}

export type ErrorCatalogue<T extends Record<string, ErrorSpec>> = { readonly [K in keyof T]: (detail?: string) => ApiError } & { readonly specs: T };

/**
 * A module's error catalogue: `E.postNotFound()` throws `{detail: message, code}` with the spec's status;
 * an optional `detail` replaces the message for that one answer (same code and status).
 */
export function defineErrors<const T extends Record<string, ErrorSpec>>(specs: T): ErrorCatalogue<T> {
  const out: Record<string, unknown> = { specs };
  for (const [name, spec] of Object.entries(specs)) out[name] = (detail?: string) => new ApiError(spec.status, { detail: detail ?? spec.message, code: spec.code });
  return out as ErrorCatalogue<T>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The catalogue errors this route may answer (documented per operation in the OpenAPI document). */
    errors?: ErrorSpec[];
  }
}

const ErrorBody = { type: 'object', properties: { detail: { type: 'string' }, code: { type: 'string' } }, additionalProperties: true };

/**
 * The errors an operation may answer, for the OpenAPI document only (the wire is not touched): the ones
 * its configuration implies (400 bad input, 401/403 by `config.auth`, 429 when throttled) and the
 * catalogue errors it declares in `config.errors`, grouped by status with their codes.
 */
export function documentedErrors(
  schema: { body?: unknown; querystring?: unknown; params?: unknown } | undefined,
  config: { auth?: string; throttle?: boolean; errors?: ErrorSpec[] } | undefined,
): Record<string, Record<string, unknown>> {
  const byStatus = new Map<number, Set<string>>();
  const add = (status: number, code: string) => (byStatus.get(status) ?? byStatus.set(status, new Set()).get(status)!).add(code);
  if (schema?.body || schema?.querystring || schema?.params) add(400, 'invalid');
  const auth = config?.auth ?? 'user';
  if (auth !== 'none' && auth !== 'optional') add(401, 'not_authenticated');
  if (auth !== 'none') add(401, 'token_not_valid');
  if (auth === 'staff' || auth === 'moderator') add(403, 'permission_denied');
  if (config?.throttle !== false) add(429, 'throttled');
  for (const e of config?.errors ?? []) add(e.status, e.code);
  const out: Record<string, Record<string, unknown>> = {};
  for (const [status, codes] of [...byStatus].sort((a, b) => a[0] - b[0])) out[String(status)] = { ...ErrorBody, description: `Error codes: ${[...codes].join(', ')}` };
  return out;
}

/**
 * Declares, for every route registered after it in this scope, the catalogue errors it may answer
 * (`config.errors`, merged with what the route itself lists): one table per module instead of a
 * hand-kept list on each route.
 */
export function declareRouteErrors(
  app: { addHook(name: 'onRoute', fn: (r: { method: string | string[]; url: string; config?: { errors?: ErrorSpec[] } }) => void): unknown },
  rules: Array<[method: string, url: RegExp, errors: ErrorSpec[]]>,
) {
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    const found = rules.filter(([m, re]) => (m === '*' || methods.includes(m)) && re.test(r.url)).flatMap(([, , e]) => e);
    if (found.length) r.config = { ...r.config, errors: [...new Set([...(r.config?.errors ?? []), ...found])] };
  });
}
