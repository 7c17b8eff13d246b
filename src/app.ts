// Builds the Fastify application from the platform plumbing and the modules' routes.
import { randomUUID } from 'node:crypto';
import { AsyncResource } from 'node:async_hooks';
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { App } from './platform/http/app-type.js';
import type { Ctx } from './context.js';
import { modules } from './modules/index.js';
import { documentedErrors, errorHandler, notFound, UNAVAILABLE_RETRY_AFTER_S } from './platform/http/errors.js';
import { validatorCompiler } from './platform/http/validation.js';
import { LazySchemas } from './platform/http/lazy-schemas.js';
import { registerMultipart } from './platform/http/multipart.js';
import { registerGuard } from './platform/http/guard.js';
import { sameSecret } from './platform/auth/secrets.js';
import { accessLine, lazyChildLogger, type AccessLine } from './platform/log.js';
import { userTag } from './platform/pages.js';
import { hasRequestListeners, reportRequestQueries, withQueryScope, type QueryScope } from './platform/db/query-count.js';

export interface AppOptions {
  /** REST API, OpenAPI, SSE. */
  api: boolean;
  /** Extra hooks for other roles (the realtime gateway registers its socket routes here). */
  extend?: (app: App) => Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

function refuseProto(key: string, value: unknown) {
  if (key === '__proto__') throw new SyntaxError('"__proto__" is not allowed as a key.');
  return value;
}

/** One access-log line per request, written when it completes (Fastify's default writes two: in and out). */
class AccessLog extends LogController {
  constructor(private readonly access: AccessLine) {
    super();
  }
  override incomingRequest() {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
      return;
    }
    // Fastify's req/res serializers' fields, written without redaction (log.ts, accessLine).
    const { method, url, host, ip, socket } = request;
    this.access({ reqId: request.id, method, url, host, remoteAddress: ip, remotePort: socket?.remotePort, statusCode: reply.statusCode, responseTime: reply.elapsedTime });
  }
}

const appSchemas = new WeakMap<object, LazySchemas>();

/** The app's route schemas, compiled on first use (tests compile them all to prove they compile). */
export const routeSchemas = (app: App): LazySchemas => appSchemas.get(app)!;

export async function buildApp(ctx: Ctx, opts: AppOptions): Promise<App> {
  const { config } = ctx;
  const schemas = new LazySchemas();
  const app = Fastify({
    loggerInstance: ctx.log,
    trustProxy: config.trustProxy,
    bodyLimit: config.http.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 200 },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    logController: new AccessLog(accessLine(ctx.log)),
    childLoggerFactory: lazyChildLogger as never,
    // Our own compilers, handed in here so Fastify does not load its default validator (ajv-compiler) too.
    schemaController: { compilersFactory: { buildValidator: (() => validatorCompiler(schemas)) as never, buildSerializer: schemas.serializerFactory() } },
    forceCloseConnections: 'idle',
    // Malformed percent-encoding and the like: the contract's error shape, not Fastify's.
    frameworkErrors: (err, _req, reply) => {
      const bad = (err as { code?: string }).code === 'FST_ERR_BAD_URL';
      void (reply as unknown as { status(n: number): { send(b: unknown): unknown } }).status(400).send(bad ? { detail: 'Malformed URL: invalid percent-encoding.', code: 'bad_url' } : { detail: 'Bad request.', code: 'bad_request' });
    },
    // Errors the HTTP parser raises before any route runs (over-large headers, garbage requests).
    clientErrorHandler: (err, socket) => {
      if (!socket.writable) return socket.destroy();
      const code = (err as { code?: string }).code;
      const [status, text, body] =
        code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', { detail: 'Request header fields too large.', code: 'headers_too_large' }]
          : code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [408, 'Request Timeout', { detail: 'Request timeout.', code: 'request_timeout' }]
            : [400, 'Bad Request', { detail: 'Malformed HTTP request.', code: 'bad_request' }];
      const payload = JSON.stringify(body);
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`);
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  appSchemas.set(app, schemas);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send(notFound().body);
  });
  // Hooks on every request are callback-style: an async hook costs a promise per request.
  // Domain events a request emitted are relayed before its response goes out (docs/events.md).
  // The scope is entered in preValidation, where the handler's part of the request begins (body
  // parsing runs outside it; nothing before the handler emits).
  app.addHook('preValidation', (req, _reply, done) => {
    const counted = countedRequests.get(req);
    if (counted) counted.resource.runInAsyncScope(() => ctx.events.withScope(done));
    else ctx.events.withScope(done);
  });
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    // A signed-in user's write may change any cached page that shows them (their own pages as
    // viewer, their posts and profile on others'): those go before the response (docs/perf.md).
    if (req.user && !READS.has(req.method)) ctx.pages.drop([userTag(req.user.id)]);
    const finish = () => {
      // (counted after the flush: its claim is the request's too)
      const counted = countedRequests.get(req);
      if (counted) reportRequestQueries(req.method, req.routeOptions.url ?? 'unmatched', counted.queries.n);
      done(null, payload);
    };
    const flushing = ctx.events.flushScope();
    if (flushing) void flushing.then(finish, finish);
    else finish();
  });
  // While someone counts queries per request (the N+1 tests' countQueries), each request counts
  // its own from its first hook on (auth's session read included), in its own async context; body
  // parsing runs outside it, so preValidation re-enters it (as @fastify/request-context does).
  // Nobody counts in production, which then pays for no context of its own here.
  const countedRequests = new WeakMap<object, { queries: QueryScope; resource: AsyncResource }>();
  app.addHook('onRequest', (req, _reply, done) => {
    if (!hasRequestListeners()) return done();
    withQueryScope((queries) => {
      const resource = new AsyncResource('selflink-queries');
      countedRequests.set(req, { queries, resource });
      resource.runInAsyncScope(done, req.raw);
    });
  });
  app.addHook('onResponse', (req, reply, done) => {
    ctx.metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  // An empty JSON body on POST/DELETE is common from mobile clients; treat it as {}.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    try {
      // "__proto__" keys are refused (as Fastify's own parser does); the reviver only runs when one may be there.
      done(null, text.includes('"__proto__"') ? JSON.parse(text, refuseProto) : JSON.parse(text));
    } catch (err) {
      done(Object.assign(err as Error, { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }), undefined);
    }
  });

  await registerMultipart(app, { fileSize: config.http.uploadMaxBytes, totalBytes: config.uploads.maxTotalBytes, tmpDir: config.uploads.tmpDir });
  registerGuard(app, {
    config,
    tokens: ctx.tokens,
    limiter: ctx.limiter,
    resolve: (claims) => ctx.services.users.resolveSession(claims),
  });

  // Health: database and Redis status; 503 when the database is down.
  const health = async () => {
    const [database, redis] = await Promise.all([ctx.database.ping(), ctx.redis ? ctx.kv.ping() : Promise.resolve(null)]);
    const ok = database && redis !== false;
    return { ok, body: { status: ok ? 'ok' : 'degraded', database: database ? 'ok' : 'down', redis: redis === null ? 'memory' : redis ? 'ok' : 'down', mode: ctx.database.kind } };
  };
  app.get('/health', { config: { auth: 'none' }, schema: { hide: true } }, async (_req, reply) => {
    const h = await health();
    if (!h.ok) void reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_S));
    return reply.status(h.ok ? 200 : 503).send(h.body);
  });

  if (opts.api) {
    await app.register(import('@fastify/swagger'), {
      openapi: {
        info: { title: 'SelfLink API', version: '1.0.0', description: 'SelfLink social OS back end (wire-compatible with the SelfLink mobile app).' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
        security: [{ bearer: [] }],
      },
      // Each operation lists the errors it may answer (documentation only; the wire is untouched).
      transform: ({ schema, url, route }) => {
        if (!schema || (schema as { hide?: boolean }).hide) return { schema, url };
        const errors = documentedErrors(schema as Parameters<typeof documentedErrors>[0], { auth: route.config?.auth ?? (url.startsWith('/api/v1') ? 'user' : 'none'), throttle: route.config?.throttle, errors: route.config?.errors });
        const response = { ...errors, ...((schema.response as Record<string, unknown> | undefined) ?? {}) };
        return { schema: { ...schema, response }, url };
      },
    });
    await app.register(import('@fastify/swagger-ui'), { routePrefix: '/api/docs', uiConfig: { deepLinking: false } });
    app.get('/api/schema', { config: { auth: 'none' }, schema: { tags: ['ops'], description: 'This OpenAPI document.' } }, async () => app.swagger());
    app.get('/api/v1/health', { config: { auth: 'none' }, schema: { tags: ['ops'] } }, async (_req, reply) => {
      const h = await health();
      if (!h.ok) void reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_S));
      return reply.status(h.ok ? 200 : 503).send(h.body);
    });
    app.get('/metrics', { config: { auth: 'none' }, schema: { tags: ['ops'], description: 'Prometheus metrics (Bearer METRICS_TOKEN when set).' } }, async (req, reply) => {
      const given = typeof req.headers.authorization === 'string' ? req.headers.authorization : '';
      if (config.metricsToken && !sameSecret(given, `Bearer ${config.metricsToken}`)) {
        return reply.status(401).send({ detail: 'Metrics token required.', code: 'not_authenticated' });
      }
      return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
    });
    // Stored files (/media/…) are served by the media module: private unless signed or authorised.
    for (const m of modules) {
      if (m.routes) await app.register(async (scope) => m.routes!(scope, ctx), { prefix: '/api/v1' });
      if (m.rootRoutes) await app.register(async (scope) => m.rootRoutes!(scope, ctx));
    }
  }
  if (opts.extend) await opts.extend(app);
  return app;
}
