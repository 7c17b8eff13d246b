// Multipart bodies become a plain fields object (validated like JSON, with coercion) plus buffered files.
import type { FastifyRequest } from 'fastify';
import type { App } from './app-type.js';
import { ApiError } from './errors.js';
import { MULTIPART } from './validation.js';

export interface UploadedFile {
  field: string;
  filename: string;
  mimetype: string;
  data: Buffer;
}

declare module 'fastify' {
  interface FastifyRequest {
    uploads: UploadedFile[];
  }
  interface FastifyContextConfig {
    /** Accept multipart/form-data; the number is the per-file byte limit. */
    multipart?: { fileSize?: number; files?: number };
  }
}

export async function registerMultipart(app: App, defaultFileSize: number) {
  await app.register(import('@fastify/multipart'), { limits: { fileSize: defaultFileSize, files: 10, fields: 50, fieldSize: 64 * 1024 } });
  app.decorateRequest('uploads', null as unknown as UploadedFile[]);
  app.addHook('onRequest', async (req) => {
    req.uploads = [];
  });
  app.addHook('preValidation', async (req: FastifyRequest) => {
    if (!req.isMultipart()) return;
    const cfg = req.routeOptions.config.multipart;
    if (!cfg) throw new ApiError(415, { detail: 'Unsupported media type "multipart/form-data" in request.', code: 'unsupported_media_type' });
    const body: Record<string | symbol, unknown> = { [MULTIPART]: true };
    const limits = { fileSize: cfg.fileSize ?? defaultFileSize, files: cfg.files ?? 10 };
    for await (const part of req.parts({ limits })) {
      if (part.type === 'file') {
        const data = await part.toBuffer();
        if (part.file.truncated) throw new ApiError(413, { [part.fieldname]: [`File is larger than ${limits.fileSize} bytes.`] });
        req.uploads.push({ field: part.fieldname, filename: part.filename, mimetype: part.mimetype, data });
      } else {
        const prev = body[part.fieldname];
        const v = String(part.value);
        body[part.fieldname] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
    }
    req.body = body;
  });
}
