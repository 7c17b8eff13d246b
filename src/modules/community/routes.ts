// /api/v1/community/: string ids, ISO-8601 UTC datetimes, Cache-Control: no-store on every
// response, CORS for the community web app, no debug headers.
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import type { RouteRate } from '../../platform/http/guard.js';
import { ApiError, declareRouteErrors, fieldError } from '../../platform/http/errors.js';
import { clampPageSize, cursorPage, decodeCursor, originOf, paginate } from '../../platform/http/pagination.js';
import { PageQuery } from '../../platform/http/schemas.js';
import type { UserRow } from '../users/schema.js';
import type { ProblemView } from './service.js';
import type { AgreementRow, ArtifactRow } from './schema.js';
import { CommunityErrors } from './errors.js';

const Id = Type.String({ pattern: '^[1-9][0-9]{0,14}$' });
const IdP = Type.Object({ id: Id });
const Q = Type.Object(PageQuery);
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const money = (cents: number) => ({ amount: (cents / 100).toFixed(2), currency: 'USD' });

export async function communityRoutes(app: App, ctx: Ctx) {
  const E = CommunityErrors.specs;
  // Writes on a problem pass its agreement gate (403 until accepted); comments on an artifact gate on its problem.
  declareRouteErrors(app, [
    ['*', /\/community\/problems\/:id(\/|$)/, [E.problemNotFound]],
    ['POST', /\/community\/problems\/:id\/(work|like|comments|artifacts|comments\/:comment_id\/like)$/, [E.agreementRequired]],
    ['DELETE', /\/community\/problems\/:id\/(work|like|comments\/:comment_id\/like)$/, [E.agreementRequired]],
    ['*', /\/community\/problems\/:id\/comments\/:comment_id\/like$/, [E.commentNotFound]],
    ['*', /\/community\/artifacts\/:id(\/|$)/, [E.artifactNotFound]],
    ['POST', /\/community\/artifacts\/:id\/comments$/, [E.problemNotFound, E.agreementRequired]],
    ['POST', /\/community\/auth\/login$/, [E.invalidCredentials]],
  ]);
  const svc = ctx.services.community;
  const users = ctx.services.users;
  const tags = ['community'];
  const origins = new Set(ctx.config.community.corsOrigins);
  const loginRate: RouteRate[] = [
    { name: 'auth', by: 'ip', ...ctx.config.rateLimits.auth },
    { name: 'community_login', by: 'ip', ...ctx.config.community.loginRate },
  ];

  await app.register(async (plugin) => {
    const scope = plugin as unknown as App;
    scope.addHook('onSend', async (req, reply) => {
      reply.header('cache-control', 'no-store, no-cache, must-revalidate, max-age=0');
      reply.header('pragma', 'no-cache');
      reply.header('expires', '0');
      const vary = String(reply.getHeader('vary') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const v of ['Origin', 'Authorization']) if (!vary.some((x) => x.toLowerCase() === v.toLowerCase())) vary.push(v);
      reply.header('vary', vary.join(', '));
      const origin = req.headers.origin;
      if (typeof origin === 'string' && origins.has(origin)) {
        reply.header('access-control-allow-origin', origin);
        reply.header('access-control-allow-credentials', 'true');
      }
    });

    scope.options('/community/*', { config: { auth: 'none' }, schema: { hide: true } }, async (req, reply) => {
      const origin = req.headers.origin;
      if (typeof origin === 'string' && origins.has(origin)) {
        reply.header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
        reply.header('access-control-allow-headers', 'accept, accept-encoding, authorization, content-type, origin, user-agent, x-csrftoken, x-requested-with');
        reply.header('access-control-max-age', '86400');
      }
      return reply.status(200).send();
    });

    const tinyMap = async (req: FastifyRequest, ids: (number | null)[]) => {
      const map = await svc.usersByIds(ids.filter((x): x is number => x !== null));
      const origin = originOf(req, ctx.config.publicBaseUrl);
      const out = new Map<number, { id: string; username: string; avatar_url: string | null }>();
      for (const [id, u] of map) out.set(id, await tiny(u, origin));
      return (id: number | null) => (id === null ? null : (out.get(id) ?? { id: String(id), username: '', avatar_url: null }));
    };
    const tiny = async (u: UserRow, origin: string) => ({ id: String(u.id), username: u.handle, avatar_url: u.photo ? await users.photoUrl(u.photo, origin) : null });

    const problem = (p: ProblemView) => ({
      id: String(p.id),
      title: p.title,
      description: p.description,
      status: p.status,
      created_at: p.createdAt.toISOString(),
      comments_count: p.commentsCount,
      likes_count: p.likesCount,
      artifacts_count: p.artifactsCount,
      working_count: p.workingCount,
      has_liked: p.hasLiked,
      is_working: p.isWorking,
      views_count: p.viewsCount,
      last_activity_at: iso(p.lastActivityAt),
    });
    const agreement = (a: AgreementRow) => ({ id: String(a.id), license_spdx: a.licenseSpdx, version: a.version, text: a.text, is_active: a.isActive });
    const artifact = (a: ArtifactRow, user: unknown) => ({ id: String(a.id), title: a.title, description: a.description, url: a.url, created_at: a.createdAt.toISOString(), user });
    const viewer = (req: FastifyRequest) => req.user?.id ?? null;
    const pid = (req: FastifyRequest) => Number((req.params as { id: string }).id);
    const page = (req: FastifyRequest) => ({ cursor: decodeCursor((req.query as { cursor?: string }).cursor), limit: clampPageSize((req.query as { page_size?: number }).page_size) });
    const out = <T>(req: FastifyRequest, rows: (T & { createdAt: Date; id: number })[], limit: number) => paginate(rows, limit);

    scope.get('/community/problems', { config: { auth: 'optional' }, schema: { tags, querystring: Q } }, async (req) => {
      const p = page(req);
      const pg = out(req, await svc.listProblems(viewer(req), p), p.limit);
      return cursorPage(req, ctx.config.publicBaseUrl, pg.nextCursor, pg.rows.map(problem));
    });

    scope.post(
      '/community/problems',
      { schema: { tags, body: Type.Object({ title: Type.String({ minLength: 1, maxLength: 200 }), description: Type.Optional(Type.String({ maxLength: 20_000 })) }, { additionalProperties: false }) } },
      async (req, reply) => {
        const title = req.body.title.trim();
        if (!title) throw fieldError('title', 'This field may not be blank.');
        const p = await svc.createProblem(req.user!.id, { title, description: req.body.description ?? '' });
        return reply.status(201).send(problem((await svc.problemView(p.id, req.user!.id))!));
      },
    );

    scope.get('/community/problems/:id', { config: { auth: 'optional' }, schema: { tags, params: IdP } }, async (req) => {
      const { view, workingUserIds } = await svc.viewProblem(pid(req), viewer(req));
      const t = await tinyMap(req, workingUserIds);
      return { ...problem(view), working_on_this: workingUserIds.map(t) };
    });

    scope.get('/community/problems/:id/agreement', { config: { auth: 'none' }, schema: { tags, params: IdP } }, async (req) => ({ agreement: agreement(await svc.agreement(pid(req))) }));

    scope.post('/community/problems/:id/agreement/accept', { schema: { tags, params: IdP } }, async (req) => {
      const a = await svc.accept(pid(req), req.user!.id);
      return { accepted: true, agreement_id: String(a.id), problem_id: String(pid(req)) };
    });

    const WorkBody = Type.Object({ status: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })), note: Type.Optional(Type.String({ maxLength: 5000 })) }, { additionalProperties: false });
    scope.post('/community/problems/:id/work', { schema: { tags, params: IdP, body: WorkBody } }, async (req, reply) => {
      const r = await svc.markWork(pid(req), req.user!.id, { status: req.body?.status ?? 'marked', note: req.body?.note ?? '' });
      return reply.status(r.created ? 201 : 200).send({ working_count: r.workingCount, is_working: true, problem_id: String(pid(req)) });
    });
    scope.delete('/community/problems/:id/work', { schema: { tags, params: IdP } }, async (req) => {
      const r = await svc.unmarkWork(pid(req), req.user!.id);
      return { working_count: r.workingCount, is_working: false, problem_id: String(pid(req)) };
    });

    for (const on of [true, false]) {
      const method = on ? scope.post.bind(scope) : scope.delete.bind(scope);
      method('/community/problems/:id/like', { schema: { tags, params: IdP } }, async (req) => {
        const r = await svc.setLike(pid(req), req.user!.id, on);
        return { likes_count: r.likesCount, has_liked: r.hasLiked, problem_id: String(pid(req)) };
      });
      method('/community/problems/:id/comments/:comment_id/like', { schema: { tags, params: Type.Object({ id: Id, comment_id: Id }) } }, async (req) => {
        const cid = Number((req.params as { comment_id: string }).comment_id);
        const r = await svc.setCommentLike(pid(req), cid, req.user!.id, on);
        return { problem_id: String(pid(req)), comment_id: String(cid), has_liked: r.hasLiked, likes_count: r.likesCount };
      });
    }

    scope.get('/community/problems/:id/artifacts', { config: { auth: 'none' }, schema: { tags, params: IdP, querystring: Q } }, async (req) => {
      const p = page(req);
      const pg = out(req, await svc.listArtifacts(pid(req), p), p.limit);
      const t = await tinyMap(req, pg.rows.map((a) => a.userId));
      return cursorPage(req, ctx.config.publicBaseUrl, pg.nextCursor, pg.rows.map((a) => artifact(a, t(a.userId))));
    });
    scope.post(
      '/community/problems/:id/artifacts',
      {
        schema: {
          tags,
          params: IdP,
          body: Type.Object({ title: Type.String({ minLength: 1, maxLength: 200 }), description: Type.Optional(Type.String({ maxLength: 20_000 })), url: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
        },
      },
      async (req, reply) => {
        const url = (req.body.url ?? '').trim();
        if (url) {
          let ok = false;
          try {
            ok = ['http:', 'https:'].includes(new URL(url).protocol);
          } catch {
            ok = false;
          }
          if (!ok) throw fieldError('url', 'Enter a valid URL.');
        }
        const a = await svc.addArtifact(pid(req), req.user!.id, { title: req.body.title, description: req.body.description ?? '', url });
        const t = await tinyMap(req, [a.userId]);
        return reply.status(201).send(artifact(a, t(a.userId)));
      },
    );

    scope.get('/community/problems/:id/comments', { config: { auth: 'optional' }, schema: { tags, params: IdP, querystring: Q } }, async (req) => {
      const p = page(req);
      const pg = out(req, await svc.listComments(pid(req), viewer(req), p), p.limit);
      const t = await tinyMap(req, pg.rows.map((c) => c.userId));
      return cursorPage(req, ctx.config.publicBaseUrl, pg.nextCursor, pg.rows.map((c) => ({ id: String(c.id), body: c.body, created_at: c.createdAt.toISOString(), user: t(c.userId), likes_count: c.likesCount, has_liked: c.hasLiked })));
    });
    const CommentBody = Type.Object({ body: Type.String({ minLength: 1, maxLength: 10_000 }) }, { additionalProperties: false });
    scope.post('/community/problems/:id/comments', { schema: { tags, params: IdP, body: CommentBody } }, async (req, reply) => {
      const c = await svc.addComment(pid(req), req.user!.id, req.body.body);
      const t = await tinyMap(req, [c.userId]);
      return reply.status(201).send({ id: String(c.id), body: c.body, created_at: c.createdAt.toISOString(), user: t(c.userId), likes_count: 0, has_liked: false });
    });

    scope.get('/community/problems/:id/events', { config: { auth: 'none' }, schema: { tags, params: IdP, querystring: Q } }, async (req) => {
      const p = page(req);
      const pg = out(req, await svc.listEvents(pid(req), p), p.limit);
      const t = await tinyMap(req, pg.rows.map((e) => e.actorId));
      return cursorPage(req, ctx.config.publicBaseUrl, pg.nextCursor, pg.rows.map((e) => ({ id: String(e.id), type: e.type, created_at: e.createdAt.toISOString(), actor: t(e.actorId), metadata: e.metadata })));
    });

    scope.get('/community/artifacts', { config: { auth: 'none' }, schema: { tags, querystring: Q } }, async (req) => {
      const p = page(req);
      const pg = out(req, await svc.listArtifacts(null, p), p.limit);
      const t = await tinyMap(req, pg.rows.map((a) => a.userId));
      return cursorPage(req, ctx.config.publicBaseUrl, pg.nextCursor, pg.rows.map((a) => artifact(a, t(a.userId))));
    });
    scope.get('/community/artifacts/:id', { config: { auth: 'none' }, schema: { tags, params: IdP } }, async (req) => {
      const a = await svc.getArtifact(pid(req));
      const t = await tinyMap(req, [a.userId]);
      return artifact(a, t(a.userId));
    });
    scope.get('/community/artifacts/:id/comments', { config: { auth: 'none' }, schema: { tags, params: IdP, querystring: Q } }, async (req) => {
      const p = page(req);
      const pg = out(req, await svc.listArtifactComments(pid(req), p), p.limit);
      const t = await tinyMap(req, pg.rows.map((c) => c.userId));
      return cursorPage(req, ctx.config.publicBaseUrl, pg.nextCursor, pg.rows.map((c) => ({ id: String(c.id), body: c.body, created_at: c.createdAt.toISOString(), user: t(c.userId) })));
    });
    scope.post('/community/artifacts/:id/comments', { schema: { tags, params: IdP, body: CommentBody } }, async (req, reply) => {
      const c = await svc.addArtifactComment(pid(req), req.user!.id, req.body.body);
      const t = await tinyMap(req, [c.userId]);
      return reply.status(201).send({ id: String(c.id), body: c.body, created_at: c.createdAt.toISOString(), user: t(c.userId) });
    });

    scope.post(
      '/community/auth/login',
      { config: { auth: 'none', rateLimit: loginRate }, schema: { tags, body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }) } },
      async (req) => {
        let r;
        try {
          r = await users.login(req.body.username, req.body.password, String(req.headers['user-agent'] ?? ''));
        } catch (err) {
          if (err instanceof ApiError && err.status === 400) throw CommunityErrors.invalidCredentials();
          throw err;
        }
        return { token_type: 'Bearer', access: r.tokens.token, refresh: r.tokens.refreshToken, user: await tiny(r.user, originOf(req, ctx.config.publicBaseUrl)) };
      },
    );
    scope.get('/community/auth/me', { schema: { tags } }, async (req) => {
      const u = await users.getById(req.user!.id);
      return { user: await tiny(u!, originOf(req, ctx.config.publicBaseUrl)) };
    });
    scope.post('/community/auth/logout', { schema: { tags } }, async (req) => {
      await users.revokeSession(req.claims!.sid);
      return { ok: true };
    });

    scope.get('/community/summary', { config: { auth: 'none' }, schema: { tags } }, async () => {
      const [f, participants] = await Promise.all([ctx.services.rewards.publicFigures(), svc.participants()]);
      return {
        as_of: new Date().toISOString(),
        total_income: money(f.revenueCents),
        contributors_reward: money(f.poolCents),
        contributors: { count: f.contributors, community_participants: participants },
        distribution_preview: f.preview.map((p) => ({ github_username: p.github_username, points: p.points, ...money(p.amount_cents), period: f.latestPeriod })),
      };
    });
  });
}
