// comments/: page-numbered list of a post's comments (oldest first, as the app's sheet pages them),
// create (JSON or multipart with images), author-only edit/delete, likes.
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { fieldError } from '../../platform/http/errors.js';
import { clampPageSize, originOf } from '../../platform/http/pagination.js';
import { IdParam, Page, PageQuery } from '../../platform/http/schemas.js';
import { COMMENT_TEXT_MAX, MAX_IMAGES } from './service.js';
import { CommentSchema } from './present.js';
import type { CommentRow } from './schema.js';
import { author, filesByField, IdLike, idOf, LikeResponse, NullableIdLike, viewerOf } from './http.js';
import { SocialErrors } from './errors.js';

const Text = Type.String({ maxLength: COMMENT_TEXT_MAX });
const CreateBody = Type.Object(
  { post: IdLike, body: Type.Optional(Text), text: Type.Optional(Text), parent: Type.Optional(NullableIdLike) },
  { additionalProperties: false },
);
const PutBody = Type.Object(
  { post: Type.Optional(IdLike), body: Type.Optional(Text), text: Type.Optional(Text), parent: Type.Optional(NullableIdLike) },
  { additionalProperties: false },
);

const ListQuery = Type.Object({
  post: Type.Integer({ minimum: 1, maximum: 999_999_999_999_999 }),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  page_size: PageQuery.page_size,
});

/** The app sends the text twice (`body` and `text`); `body` wins when both are there. */
const textOf = (b: { body?: string; text?: string }) => (b.body !== undefined && b.body.trim() !== '' ? b.body : (b.text ?? b.body));

export async function commentRoutes(app: App, ctx: Ctx) {
  const social = ctx.services.social;
  const origin = (req: FastifyRequest) => originOf(req, ctx.config.publicBaseUrl);
  const one = async (req: FastifyRequest, row: CommentRow) => (await social.presentComments(viewerOf(req), [row], origin(req)))[0];
  const pageLink = (req: FastifyRequest, page: number) => {
    const base = origin(req);
    const u = new URL(req.url, base);
    u.searchParams.set('page', String(page));
    return base + u.pathname + u.search;
  };

  app.get(
    '/comments',
    { config: { auth: 'optional' }, schema: { tags: ['comments'], querystring: ListQuery, response: { 200: Page(CommentSchema) } } },
    async (req) => {
      const page = req.query.page ?? 1;
      const size = clampPageSize(req.query.page_size);
      const r = await social.listComments(req.user?.id ?? null, req.query.post, page, size, req.user?.isStaff === true);
      return {
        next: r.hasNext ? pageLink(req, page + 1) : null,
        previous: page > 1 ? pageLink(req, page - 1) : null,
        results: await social.presentComments(viewerOf(req), r.rows, origin(req)),
      };
    },
  );

  app.post(
    '/comments',
    {
      config: { multipart: { fileSize: ctx.config.http.uploadMaxBytes, files: 10 }, rateLimit: [{ name: 'comment_create', by: 'user', limit: 60, windowMs: 60_000 }] },
      schema: { tags: ['comments'], consumes: ['application/json', 'multipart/form-data'], body: CreateBody, response: { 201: CommentSchema } },
    },
    async (req, reply) => {
      const files = filesByField(req, { images: 'images', images_upload: 'images' });
      if ((files.images?.length ?? 0) > MAX_IMAGES) throw fieldError('images', `You can upload up to ${MAX_IMAGES} images.`);
      const b = req.body;
      const parent = b.parent === undefined || b.parent === null || b.parent === '' ? null : idOf(b.parent);
      const c = await social.createComment(author(req), { postId: idOf(b.post), text: textOf(b) ?? '', parentId: parent, images: files.images ?? [] });
      return reply.status(201).send(await one(req, c));
    },
  );

  app.get('/comments/:id', { config: { auth: 'optional' }, schema: { tags: ['comments'], params: IdParam, response: { 200: CommentSchema } } }, async (req) =>
    one(req, await social.getVisibleCommentOr404(req.user?.id ?? null, req.params.id, req.user?.isStaff === true)),
  );

  const update = async (req: FastifyRequest, id: number, b: { post?: number | string; body?: string; text?: string; parent?: number | string | null }, full: boolean) => {
    const userId = author(req).id;
    const text = textOf(b);
    if (full && text === undefined) throw fieldError('body', 'This field is required.');
    const current = await social.getVisibleCommentOr404(userId, id);
    if (current.authorId !== userId) throw SocialErrors.commentNotFound();
    // A comment stays on its post and under its parent; only its text changes.
    if (b.post !== undefined && idOf(b.post) !== current.postId) throw fieldError('post', 'A comment cannot move to another post.');
    if (b.parent !== undefined && (b.parent === null || b.parent === '' ? null : idOf(b.parent)) !== current.parentId) throw fieldError('parent', 'A comment cannot change its parent.');
    const saved = text === undefined ? current : await social.updateComment(userId, id, text);
    return one(req, saved);
  };
  app.put('/comments/:id', { schema: { tags: ['comments'], params: IdParam, body: PutBody, response: { 200: CommentSchema } } }, async (req) => update(req, req.params.id, req.body, true));
  app.patch('/comments/:id', { schema: { tags: ['comments'], params: IdParam, body: PutBody, response: { 200: CommentSchema } } }, async (req) => update(req, req.params.id, req.body, false));

  app.delete('/comments/:id', { schema: { tags: ['comments'], params: IdParam } }, async (req, reply) => {
    await social.deleteComment(author(req).id, req.params.id);
    return reply.status(204).send();
  });

  const likeSchema = { tags: ['comments'], params: IdParam, response: { 200: LikeResponse } };
  app.post('/comments/:id/like', { schema: likeSchema }, async (req) => social.likeComment(author(req).id, req.params.id));
  app.delete('/comments/:id/unlike', { schema: likeSchema }, async (req) => social.unlikeComment(author(req).id, req.params.id));
  app.post('/comments/:id/unlike', { schema: likeSchema }, async (req) => social.unlikeComment(author(req).id, req.params.id));
}
