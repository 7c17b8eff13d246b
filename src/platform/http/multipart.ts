// Multipart bodies become a plain fields object (validated like JSON, with coercion) plus files that
// are streamed to temporary files as they arrive: no part is ever held whole in memory. Each request
// has a total byte cap (UPLOAD_MAX_TOTAL_BYTES) on top of the per-file limit; either answers 413.
// A malformed body (no boundary, truncated, bad part headers) is a 400 in the DRF shape.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './app-type.js';
import { ApiError } from './errors.js';
import { lingerOnClose } from './linger.js';
import { MULTIPART } from './validation.js';

/** Bytes kept in memory from the start of each file, for content sniffing and image dimensions. */
export const HEAD_BYTES = 512 * 1024;

export interface UploadedFile {
  field: string;
  filename: string;
  /** The type the client declared: never trusted, see `sniffMedia(head)`. */
  mimetype: string;
  /** Temporary file holding the part; removed when the response is sent or the client goes away. */
  path: string;
  size: number;
  /** sha256 of the whole file, hex. */
  sha256: string;
  /** The first HEAD_BYTES bytes (or the whole file when smaller). */
  head: Buffer;
}

declare module 'fastify' {
  interface FastifyRequest {
    uploads: UploadedFile[];
  }
  interface FastifyContextConfig {
    /** Accept multipart/form-data; `fileSize` is the per-file byte limit, `files` the number of files. */
    multipart?: { fileSize?: number; files?: number };
  }
}

export interface MultipartOptions {
  /** Per-file default limit. */
  fileSize: number;
  /** Every part of one request together. */
  totalBytes: number;
  /** Folder for the temporary files. */
  tmpDir: string;
}

const tooLarge = (detail: string) => new ApiError(413, { detail, code: 'payload_too_large' }, { connection: 'close' });
const malformed = (why: string) => new ApiError(400, { detail: `Multipart form parse error - ${why}`, code: 'parse_error' });

/** Counts, hashes and keeps the head of a file stream on its way to disk; enforces both limits. */
class Meter extends Transform {
  bytes = 0;
  readonly hash = createHash('sha256');
  private headChunks: Buffer[] = [];
  private headLen = 0;
  constructor(
    private readonly field: string,
    private readonly fileLimit: number,
    private readonly total: { used: number; limit: number },
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void) {
    this.bytes += chunk.length;
    this.total.used += chunk.length;
    if (this.bytes > this.fileLimit) return cb(new ApiError(413, { [this.field]: [`File is larger than ${this.fileLimit} bytes.`] }, { connection: 'close' }));
    if (this.total.used > this.total.limit) return cb(tooLarge(`The request's files together exceed ${this.total.limit} bytes.`));
    this.hash.update(chunk);
    if (this.headLen < HEAD_BYTES) {
      const take = chunk.subarray(0, HEAD_BYTES - this.headLen);
      this.headChunks.push(Buffer.from(take));
      this.headLen += take.length;
    }
    cb(null, chunk);
  }
  head() {
    return Buffer.concat(this.headChunks);
  }
}

async function removeFiles(files: UploadedFile[] | null | undefined, pending: Set<string>) {
  const paths = [...(files ?? []).map((f) => f.path), ...pending];
  pending.clear();
  await Promise.all(paths.map((p) => fs.promises.rm(p, { force: true }).catch(() => undefined)));
}

/** What `req.uploads` is on a request without files (frozen: handlers only read it). */
const NO_FILES = Object.freeze([]) as unknown as UploadedFile[];

const isFsError = (err: unknown) => typeof (err as { syscall?: unknown })?.syscall === 'string';

export async function registerMultipart(app: App, opts: MultipartOptions) {
  // Parsing (and its errors) happen in preValidation below, so the plugin never buffers anything.
  await app.register(import('@fastify/multipart'), { limits: { fileSize: opts.fileSize + 1, files: 10, fields: 50, fieldSize: 64 * 1024, parts: 100 } });
  fs.mkdirSync(opts.tmpDir, { recursive: true });
  // Only multipart requests carry files: the others share one empty list and pay for no hook work.
  const files = Symbol('files');
  const writing = Symbol('writing');
  type WithFiles = Record<symbol, UploadedFile[] | Set<string> | null>;
  app.decorateRequest(files, null);
  app.decorateRequest(writing, null);
  app.decorateRequest('uploads', {
    getter(this: FastifyRequest) {
      return ((this as unknown as WithFiles)[files] as UploadedFile[] | null) ?? NO_FILES;
    },
  });
  // Handlers are done with the files once a reply is being sent (errors included).
  app.addHook('onSend', (req: FastifyRequest, _reply, payload, done) => {
    const own = req as unknown as WithFiles;
    if (!(own[files] as UploadedFile[] | null)?.length) return done(null, payload);
    void removeFiles(own[files] as UploadedFile[], own[writing] as Set<string>).then(() => done(null, payload));
  });
  // Callback-style: the other requests pass without a promise of their own.
  app.addHook('preValidation', (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    if (!req.isMultipart()) return done();
    parse(req, reply).then(() => done(), done);
  });
  async function parse(req: FastifyRequest, reply: FastifyReply) {
    const own = req as unknown as WithFiles;
    const uploads: UploadedFile[] = [];
    const pending = new Set<string>();
    own[files] = uploads;
    own[writing] = pending;
    // The client may go away before a response is written: onSend does not run then.
    reply.raw.once('close', () => void removeFiles(uploads, pending));
    const cfg = req.routeOptions.config.multipart;
    if (!cfg) throw new ApiError(415, { detail: 'Unsupported media type "multipart/form-data" in request.', code: 'unsupported_media_type' });
    const declared = Number(req.headers['content-length']);
    // Refuse at once what cannot fit, before reading a byte of it.
    if (Number.isFinite(declared) && declared > opts.totalBytes + 64 * 1024) {
      lingerOnClose(req.raw);
      throw tooLarge(`The request body exceeds ${opts.totalBytes} bytes.`);
    }
    const contentType = String(req.headers['content-type'] ?? '');
    if (!/;\s*boundary=("[^"]+"|[^\s;]+)/i.test(contentType)) throw malformed('Invalid boundary in multipart: None');

    const fileLimit = cfg.fileSize ?? opts.fileSize;
    const maxFiles = cfg.files ?? 10;
    const total = { used: 0, limit: opts.totalBytes };
    const body: Record<string | symbol, unknown> = { [MULTIPART]: true };
    try {
      for await (const part of req.parts({ limits: { fileSize: fileLimit + 1, files: maxFiles } })) {
        if (part.type === 'file') {
          const tmp = path.join(opts.tmpDir, `selflink-upload-${randomBytes(12).toString('hex')}`);
          pending.add(tmp);
          const meter = new Meter(part.fieldname, fileLimit, total);
          const out = fs.createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
          try {
            await pipeline(part.file, meter, out);
          } catch (err) {
            // The file may still be opening: wait for it to close, then remove it before answering.
            if (!out.closed) await once(out, 'close').catch(() => undefined);
            await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
            pending.delete(tmp);
            throw err;
          }
          pending.delete(tmp);
          uploads.push({ field: part.fieldname, filename: part.filename, mimetype: part.mimetype, path: tmp, size: meter.bytes, sha256: meter.hash.digest('hex'), head: meter.head() });
        } else {
          if (part.fieldnameTruncated || part.valueTruncated) throw new ApiError(413, { [part.fieldname]: ['This field is too long.'] });
          total.used += Buffer.byteLength(String(part.value));
          if (total.used > total.limit) throw tooLarge(`The request exceeds ${opts.totalBytes} bytes.`);
          const prev = body[part.fieldname];
          const v = String(part.value);
          body[part.fieldname] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
        }
      }
    } catch (err) {
      // Whatever we answer now, the rest of the body is unread: let the client see the answer.
      lingerOnClose(req.raw);
      if (err instanceof ApiError) throw err;
      const e = err as { statusCode?: number; code?: string; message?: string };
      if (e.statusCode === 413 || e.code === 'FST_FILES_LIMIT' || e.code === 'FST_PARTS_LIMIT' || e.code === 'FST_FIELDS_LIMIT') {
        throw tooLarge(e.code === 'FST_FILES_LIMIT' ? `Upload at most ${maxFiles} files.` : 'Too many parts in the form.');
      }
      if (isFsError(err)) throw err; // our disk, not the client's input
      throw malformed(e.message ? e.message.slice(0, 200) : 'the body is not valid multipart/form-data');
    }
    req.body = body;
  }
}
