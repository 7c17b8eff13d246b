// GET /media/<key>: the stored files themselves.
//   - public keys (avatars/…): anyone, cached for a year (their keys are never reused);
//   - every other key: a valid, unexpired signature from a presenter (`?exp=…&sig=…`), or the
//     `Authorization: Bearer` of someone the owning module lets read it (a DM attachment's thread
//     members, an upload's owner). Anything else is 404, whether or not the file exists.
// Local storage streams the file (ranges, ETag); S3 answers a redirect to a fresh presigned GET.
import path from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { notFound } from '../../platform/http/errors.js';
import { isPublicKey, isSafeKey } from '../../platform/storage/index.js';

const YEAR = 365 * 86_400;

/** Keys our upload code writes as `<prefix>/<ownerId>/<random>.<ext>`: the owner may always read them. */
const OWNED = /^(?:media|posts\/images|posts\/videos|comments\/images)\/(\d{1,15})\//;

const FileQuery = Type.Object({ exp: Type.Optional(Type.String({ maxLength: 20 })), sig: Type.Optional(Type.String({ maxLength: 128 })) });

export async function mediaFileRoutes(app: App, ctx: Ctx) {
  const { storage } = ctx;
  const local = storage.kind === 'local';
  if (local && !ctx.config.storage.serveMedia) return;
  if (local) {
    // Only its reply.sendFile (ranges, ETag, conditional GET) is used; it registers no route.
    await app.register(import('@fastify/static'), { root: path.resolve(ctx.config.storage.mediaDir), serve: false, dotfiles: 'deny', index: false });
  }

  async function mayRead(req: FastifyRequest, key: string): Promise<boolean> {
    const user = req.user;
    if (!user) return false;
    const owner = OWNED.exec(key);
    if (owner && Number(owner[1]) === user.id) return true;
    if (key.startsWith('messages/attachments/')) return ctx.services.messaging.canReadAttachment(user.id, key);
    return false;
  }

  async function send(reply: FastifyReply, key: string, maxAge: number, shared: boolean) {
    if (!local) {
      reply.header('cache-control', 'no-store');
      return reply.redirect(await storage.redirectUrl!(key), 302);
    }
    reply.header('cache-control', shared ? `public, max-age=${maxAge}, immutable` : maxAge > 0 ? `private, max-age=${maxAge}` : 'private, no-store');
    return reply.sendFile(key, { cacheControl: false, acceptRanges: true });
  }

  app.get(
    '/media/*',
    { config: { auth: 'optional' }, schema: { hide: true, querystring: FileQuery } },
    async (req: FastifyRequest<{ Params: { '*': string }; Querystring: { exp?: string; sig?: string } }>, reply) => {
      // Stored files are served as what their bytes were checked to be, never sniffed into HTML.
      reply.header('x-content-type-options', 'nosniff');
      reply.header('content-security-policy', "default-src 'none'; sandbox");
      const key = req.params['*'];
      if (!isSafeKey(key)) throw notFound();
      if (isPublicKey(key)) return send(reply, key, YEAR, true);
      const left = storage.verify(key, req.query.exp, req.query.sig);
      if (left !== null) return send(reply, key, left, false);
      if (await mayRead(req, key)) return send(reply, key, 0, false);
      throw notFound();
    },
  );
}
