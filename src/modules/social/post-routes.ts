// posts/: create (JSON or multipart with images or one video), read, author-only edit/delete, likes.
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { fieldError } from '../../platform/http/errors.js';
import { clampPageSize, decodeCursor, encodeCursor, originOf, pageUrl } from '../../platform/http/pagination.js';
import { IdParam, Page, PageQuery } from '../../platform/http/schemas.js';
import { POST_TEXT_MAX, MAX_IMAGES } from './service.js';
import { PostSchema } from './present.js';
import { VISIBILITIES, type PostRow } from './schema.js';
import { author, filesByField, LikeResponse, viewerOf } from './http.js';

const Visibility = Type.Union(VISIBILITIES.map((v) => Type.Literal(v)));
const Text = Type.String({ maxLength: POST_TEXT_MAX });
const Language = Type.String({ maxLength: 8, pattern: '^[A-Za-z0-9_-]*$' });
const MediaIds = Type.Array(Type.Integer({ minimum: 1, maximum: 999_999_999_999_999 }), { maxItems: 10 });

const CreateBody = Type.Object(
  { text: Type.Optional(Text), visibility: Type.Optional(Visibility), language: Type.Optional(Language), media_ids: Type.Optional(MediaIds) },
  { additionalProperties: false },
);
const PutBody = Type.Object({ text: Text, visibility: Type.Optional(Visibility), language: Type.Optional(Language) }, { additionalProperties: false });
const PatchBody = Type.Object({ text: Type.Optional(Text), visibility: Type.Optional(Visibility), language: Type.Optional(Language) }, { additionalProperties: false });

export async function postRoutes(app: App, ctx: Ctx) {
  const social = ctx.services.social;
  const origin = (req: FastifyRequest) => originOf(req, ctx.config.publicBaseUrl);
  const one = async (req: FastifyRequest, row: PostRow) => (await social.presentPosts(viewerOf(req), [row], origin(req)))[0];
  const maxFile = Math.max(ctx.config.http.uploadMaxBytes, ctx.config.http.videoMaxBytes);

  app.get(
    '/posts',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['posts'],
        // `author` may repeat (profile grids use one; the feed-like views several).
        querystring: Type.Object({ ...PageQuery, author: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 999_999_999_999_999 }), { maxItems: 50 })) }),
        response: { 200: Page(PostSchema) },
      },
    },
    async (req) => {
      const limit = clampPageSize(req.query.page_size);
      const page = await social.listRecentVisible({
        viewerId: req.user?.id ?? null,
        authorIds: req.query.author?.length ? req.query.author : undefined,
        before: decodeCursor(req.query.cursor),
        limit,
      });
      return {
        next: page.next ? pageUrl(req, ctx.config.publicBaseUrl, encodeCursor(page.next)) : null,
        previous: null,
        results: await social.presentPosts(viewerOf(req), page.rows, origin(req)),
      };
    },
  );

  app.post(
    '/posts',
    {
      config: { multipart: { fileSize: maxFile, files: 10 }, rateLimit: [{ name: 'post_create', by: 'user', limit: 30, windowMs: 60_000 }] },
      schema: { tags: ['posts'], consumes: ['application/json', 'multipart/form-data'], body: CreateBody, response: { 201: PostSchema } },
    },
    async (req, reply) => {
      const files = filesByField(req, { images: 'images', images_upload: 'images', video: 'video', video_upload: 'video' });
      if ((files.images?.length ?? 0) > MAX_IMAGES) throw fieldError('images', `You can upload up to ${MAX_IMAGES} images.`);
      if ((files.video?.length ?? 0) > 1) throw fieldError('video', 'Upload a single video.');
      const b = req.body;
      const post = await social.createPost(author(req), {
        text: b.text ?? '',
        visibility: b.visibility,
        language: b.language,
        mediaIds: b.media_ids,
        images: files.images ?? [],
        video: files.video?.[0] ?? null,
      });
      return reply.status(201).send(await one(req, post));
    },
  );

  app.get('/posts/:id', { config: { auth: 'optional' }, schema: { tags: ['posts'], params: IdParam, response: { 200: PostSchema } } }, async (req) =>
    one(req, await social.visiblePostOr404(req.user?.id ?? null, req.params.id, req.user?.isStaff === true)),
  );

  app.put('/posts/:id', { schema: { tags: ['posts'], params: IdParam, body: PutBody, response: { 200: PostSchema } } }, async (req) =>
    one(req, await social.updatePost(author(req).id, req.params.id, req.body)),
  );
  app.patch('/posts/:id', { schema: { tags: ['posts'], params: IdParam, body: PatchBody, response: { 200: PostSchema } } }, async (req) =>
    one(req, await social.updatePost(author(req).id, req.params.id, req.body)),
  );

  app.delete('/posts/:id', { schema: { tags: ['posts'], params: IdParam } }, async (req, reply) => {
    await social.deletePost(author(req).id, req.params.id);
    return reply.status(204).send();
  });

  const likeSchema = { tags: ['posts'], params: IdParam, response: { 200: LikeResponse } };
  app.post('/posts/:id/like', { schema: likeSchema }, async (req) => social.likePost(author(req).id, req.params.id));
  app.delete('/posts/:id/unlike', { schema: likeSchema }, async (req) => social.unlikePost(author(req).id, req.params.id));
  app.post('/posts/:id/unlike', { schema: likeSchema }, async (req) => social.unlikePost(author(req).id, req.params.id));
}
