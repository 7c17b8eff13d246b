// search/users/ and search/posts/: bare arrays (the app crashes on an envelope).
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { ApiError } from '../../platform/http/errors.js';
import { originOf } from '../../platform/http/pagination.js';
import { UserSchema } from '../users/present.js';
import { PostSchema } from '../social/present.js';
import type { SearchService } from './service.js';

const Query = Type.Object({ q: Type.Optional(Type.String({ maxLength: 200 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })) });
type Q = { q?: string; limit?: number };

/** The trimmed query; a missing or blank one is bad input (400), not "not found". */
function queryOf(query: Q, stripAt: boolean): string {
  let q = (query.q ?? '').trim();
  if (stripAt) q = q.replace(/^@+/, '').trim();
  if (!q) throw new ApiError(400, { detail: 'Query required', code: 'query_required' });
  return q;
}

export async function searchRoutes(app: App, ctx: Ctx, search: SearchService) {
  const viewer = (req: FastifyRequest) => ({ id: req.user!.id, isStaff: req.user!.isStaff });
  const origin = (req: FastifyRequest) => originOf(req, ctx.config.publicBaseUrl);

  app.get('/search/users', { schema: { tags: ['search'], querystring: Query, response: { 200: Type.Array(UserSchema) } } }, async (req) =>
    search.searchUsers(viewer(req), queryOf(req.query, true), req.query.limit ?? 20, origin(req)),
  );
  app.get('/search/posts', { schema: { tags: ['search'], querystring: Query, response: { 200: Type.Array(PostSchema) } } }, async (req) =>
    search.searchPosts(viewer(req), queryOf(req.query, false), req.query.limit ?? 20, origin(req)),
  );
}
