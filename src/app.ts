// Builds the Fastify application from the platform plumbing and the modules' routes.
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { AsyncResource } from 'node:async_hooks';
import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { App } from './platform/http/app-type.js';
import type { Ctx } from './context.js';
import { modules } from './modules/index.js';
import { errorHandler, notFound } from './platform/http/errors.js';
import { validatorCompiler } from './platform/http/validation.js';
import { registerMultipart } from './platform/http/multipart.js';
import { registerGuard } from './platform/http/guard.js';

export interface AppOptions {
  /** REST API, OpenAPI, SSE. */
  api: boolean;
  /** Extra hooks for other roles (the realtime gateway registers its socket routes here). */
  extend?: (app: App) => Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export async function buildApp(ctx: Ctx, opts: AppOptions): Promise<App> {
  const { config } = ctx;
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
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send(notFound().body);
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  // Domain events a request emitted are relayed before its response goes out (docs/events.md).
  // (Body parsing runs outside the scope's async context: preValidation re-enters it, as
  // @fastify/request-context does.)
  const scopes = new WeakMap<object, AsyncResource>();
  app.addHook('onRequest', (req, _reply, done) =>
    ctx.events.withScope(() => {
      const scope = new AsyncResource('selflink-events');
      scopes.set(req, scope);
      scope.runInAsyncScope(done, req.raw);
    }),
  );
  app.addHook('preValidation', (req, _reply, done) => {
    const scope = scopes.get(req);
    if (scope) scope.runInAsyncScope(done, req.raw);
    else done();
  });
  app.addHook('onSend', async () => {
    await ctx.events.flushScope();
  });
  app.addHook('onResponse', async (req, reply) => {
    ctx.metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  // An empty JSON body on POST/DELETE is common from mobile clients; treat it as {}.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(Object.assign(err as Error, { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }), undefined);
    }
  });

  await registerMultipart(app, config.http.uploadMaxBytes);
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
    return reply.status(h.ok ? 200 : 503).send(h.body);
  });

  if (opts.api) {
    await app.register(import('@fastify/swagger'), {
      openapi: {
        info: { title: 'SelfLink API', version: '1.0.0', description: 'SelfLink social OS back end (wire-compatible with the SelfLink mobile app).' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
        security: [{ bearer: [] }],
      },
    });
    await app.register(import('@fastify/swagger-ui'), { routePrefix: '/api/docs', uiConfig: { deepLinking: false } });
    app.get('/api/schema', { config: { auth: 'none' }, schema: { tags: ['ops'], description: 'This OpenAPI document.' } }, async () => app.swagger());
    app.get('/api/v1/health', { config: { auth: 'none' }, schema: { tags: ['ops'] } }, async (_req, reply) => {
      const h = await health();
      return reply.status(h.ok ? 200 : 503).send(h.body);
    });
    app.get('/metrics', { config: { auth: 'none' }, schema: { tags: ['ops'], description: 'Prometheus metrics (Bearer METRICS_TOKEN when set).' } }, async (req, reply) => {
      if (config.metricsToken && req.headers.authorization !== `Bearer ${config.metricsToken}`) {
        return reply.status(401).send({ detail: 'Metrics token required.', code: 'not_authenticated' });
      }
      return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
    });
    if (ctx.storage.kind === 'local' && config.storage.serveMedia) {
      fs.mkdirSync(config.storage.mediaDir, { recursive: true });
      await app.register(import('@fastify/static'), {
        root: config.storage.mediaDir,
        prefix: '/media/',
        decorateReply: false,
        index: false,
        dotfiles: 'deny',
        maxAge: '365d',
        immutable: true,
      });
    }
    for (const m of modules) {
      if (m.routes) await app.register(async (scope) => m.routes!(scope, ctx), { prefix: '/api/v1' });
      if (m.rootRoutes) await app.register(async (scope) => m.rootRoutes!(scope, ctx));
    }
  }
  if (opts.extend) await opts.extend(app);
  return app;
}
