// media/: the caller's MediaAsset records. POST takes a file (multipart `file`) or, as the original,
// metadata only (JSON `s3_key` + `mime`). Other people's assets are 404.
import { and, desc, eq, isNull } from 'drizzle-orm';
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { fieldError, fieldErrors, notFound, unauthorized } from '../../platform/http/errors.js';
import { clampPageSize, decodeCursor, olderThan, originOf, paginate, cursorPage } from '../../platform/http/pagination.js';
import { IdParam, Page, PageQuery } from '../../platform/http/schemas.js';
import { mediaAssets, type MediaRow } from './schema.js';
import { MediaSchema } from './present.js';



const Mime = Type.String({ maxLength: 64, pattern: '^(image|video)/[A-Za-z0-9][A-Za-z0-9.+-]*$' });
const Key = Type.String({ minLength: 1, maxLength: 255 });
const Dim = Type.Union([Type.Integer({ minimum: 0, maximum: 100_000 }), Type.Null()]);
const Duration = Type.Union([Type.Number({ minimum: 0, maximum: 86_400 }), Type.Null()]);
// Multipart forms carry `meta` as a JSON string; it is parsed (and must be an object) below.
const Meta = Type.Union([Type.Object({}, { additionalProperties: true, maxProperties: 50 }), Type.String({ maxLength: 10_000 })]);

const fields = { width: Type.Optional(Dim), height: Type.Optional(Dim), duration: Type.Optional(Duration), meta: Type.Optional(Meta) };
const CreateBody = Type.Object({ s3_key: Type.Optional(Key), mime: Type.Optional(Mime), ...fields }, { additionalProperties: false });
const PutBody = Type.Object({ s3_key: Key, mime: Mime, ...fields }, { additionalProperties: false });
const PatchBody = Type.Object({ s3_key: Type.Optional(Key), mime: Type.Optional(Mime), ...fields }, { additionalProperties: false });

type Body = { s3_key?: string; mime?: string; width?: number | null; height?: number | null; duration?: number | null; meta?: object | string };

const userId = (req: FastifyRequest) => {
  if (!req.user) throw unauthorized();
  return req.user.id;
};

/** Multipart sends `meta` as a JSON string. */
function metaOf(raw: Body['meta']): Record<string, unknown> | undefined {
  if (raw === undefined || typeof raw === 'object') return raw as Record<string, unknown> | undefined;
  try {
    const v = JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  } catch {
    /* reported below */
  }
  throw fieldError('meta', 'Must be a JSON object.');
}

export async function mediaRoutes(app: App, ctx: Ctx) {
  const media = ctx.services.media;
  const origin = (req: FastifyRequest) => originOf(req, ctx.config.publicBaseUrl);
  const one = async (req: FastifyRequest, row: MediaRow) => (await media.present([row], origin(req)))[0];
  const own = async (req: FastifyRequest, id: number) => {
    const row = await media.getOwned(userId(req), id);
    if (!row) throw notFound('No MediaAsset matches the given query.');
    return row;
  };

  app.get('/media', { schema: { tags: ['media'], querystring: Type.Object(PageQuery), response: { 200: Page(MediaSchema) } } }, async (req) => {
    const limit = clampPageSize(req.query.page_size);
    const rows = await ctx.db
      .select()
      .from(mediaAssets)
      // Assets retention is deleting are gone already for their owner (as in getOwned).
      .where(and(eq(mediaAssets.ownerId, userId(req)), isNull(mediaAssets.purgingSince), olderThan(mediaAssets.createdAt, mediaAssets.id, decodeCursor(req.query.cursor))))
      .orderBy(desc(mediaAssets.createdAt), desc(mediaAssets.id))
      .limit(limit + 1);
    const page = paginate(rows, limit);
    return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, await media.present(page.rows, origin(req)));
  });

  const maxFile = Math.max(ctx.config.http.uploadMaxBytes, ctx.config.http.videoMaxBytes);
  app.post(
    '/media',
    {
      config: { multipart: { fileSize: maxFile, files: 1 } },
      schema: { tags: ['media'], consumes: ['application/json', 'multipart/form-data'], body: CreateBody, response: { 201: MediaSchema } },
    },
    async (req, reply) => {
      const owner = userId(req);
      const b = req.body as Body;
      const meta = metaOf(b.meta);
      const file = req.uploads[0];
      if (file) {
        if (file.field !== 'file') throw fieldError(file.field, 'Unknown field.');
        const row = await media.createFromUpload(owner, file, { field: 'file', prefix: 'media' });
        const patch = { ...(meta && { meta }), ...(b.duration !== undefined && { duration: b.duration }) };
        const saved = Object.keys(patch).length ? (await ctx.db.update(mediaAssets).set(patch).where(eq(mediaAssets.id, row.id)).returning())[0] : row;
        return reply.status(201).send(await one(req, saved));
      }
      const errors: Record<string, string[]> = {};
      if (!b.s3_key) errors.s3_key = ['This field is required.'];
      if (!b.mime) errors.mime = ['This field is required.'];
      if (Object.keys(errors).length) throw fieldErrors(errors);
      const [row] = await ctx.db
        .insert(mediaAssets)
        .values({ ownerId: owner, s3Key: b.s3_key!, mime: b.mime!, width: b.width ?? null, height: b.height ?? null, duration: b.duration ?? null, meta: meta ?? {} })
        .returning();
      return reply.status(201).send(await one(req, row));
    },
  );

  app.get('/media/:id', { schema: { tags: ['media'], params: IdParam, response: { 200: MediaSchema } } }, async (req) => one(req, await own(req, req.params.id)));

  const update = async (req: FastifyRequest, id: number, b: Body) => {
    const row = await own(req, id);
    // The key of a file we stored is ours: changing it would point the row (and its deletion) at another file.
    if (row.stored && b.s3_key !== undefined && b.s3_key !== row.s3Key) throw fieldError('s3_key', 'The file of an uploaded asset cannot be changed.');
    if (row.stored && b.mime !== undefined && b.mime !== row.mime) throw fieldError('mime', 'The type of an uploaded asset is detected from its content.');
    const patch: Partial<typeof mediaAssets.$inferInsert> = { updatedAt: new Date() };
    if (b.s3_key !== undefined) patch.s3Key = b.s3_key;
    if (b.mime !== undefined) patch.mime = b.mime;
    if (b.width !== undefined) patch.width = b.width;
    if (b.height !== undefined) patch.height = b.height;
    if (b.duration !== undefined) patch.duration = b.duration;
    if (b.meta !== undefined) patch.meta = metaOf(b.meta);
    const [saved] = await ctx.db.update(mediaAssets).set(patch).where(eq(mediaAssets.id, id)).returning();
    return one(req, saved);
  };
  app.put('/media/:id', { schema: { tags: ['media'], params: IdParam, body: PutBody, response: { 200: MediaSchema } } }, async (req) => update(req, req.params.id, req.body));
  app.patch('/media/:id', { schema: { tags: ['media'], params: IdParam, body: PatchBody, response: { 200: MediaSchema } } }, async (req) => update(req, req.params.id, req.body));

  app.delete('/media/:id', { schema: { tags: ['media'], params: IdParam } }, async (req, reply) => {
    const row = await own(req, req.params.id);
    const keys = await media.deleteMany([row.id]);
    await media.discard(keys);
    return reply.status(204).send();
  });
}
