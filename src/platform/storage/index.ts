// Media storage: a local folder (served under /media/ by the media module) embedded, S3-compatible in
// server mode. Objects are private by default: only keys under a public prefix (avatars) get plain,
// long-cached URLs; every other object is handed out as a short-lived signed URL (HMAC locally, a
// presigned GET on S3), issued only by presenters that checked who may see it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Config } from '../../config.js';

export interface StoredObject {
  key: string;
  size: number;
  contentType: string;
}

/** A file on local disk (an upload's temporary file): streamed into storage, never read whole. */
export interface FileSource {
  path: string;
  size: number;
}

export interface Storage {
  kind: 'local' | 's3';
  put(key: string, body: Buffer | FileSource, contentType: string): Promise<StoredObject>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /**
   * A URL the client can load. Public keys: `/media/<key>` (made absolute by the caller) or a presigned
   * S3 URL. Private keys: a signed `/media/<key>?exp=…&sig=…` or a presigned S3 URL, both short-lived.
   */
  url(key: string): Promise<string>;
  /** Where to send a client that passed an access check (S3 only: a fresh presigned GET). */
  redirectUrl?(key: string): Promise<string>;
  /** Local only: the file's absolute path. */
  localPath?(key: string): string;
  /** Seconds left on a signed `/media/` URL's signature, or null when it is missing, wrong or expired. */
  verify(key: string, exp: unknown, sig: unknown): number | null;
  /** Reads an object (tests, checks); null when missing. */
  read(key: string): Promise<Buffer | null>;
  describe(): Record<string, string>;
}

const SAFE_KEY = /^[a-zA-Z0-9][a-zA-Z0-9/_.-]*$/;

export function assertSafeKey(key: string) {
  if (!SAFE_KEY.test(key) || key.includes('..') || key.includes('//') || key.length > 255) throw new Error(`unsafe storage key: ${key}`);
}

export const isSafeKey = (key: string) => SAFE_KEY.test(key) && !key.includes('..') && !key.includes('//') && key.length <= 255;

/** Keys anyone may read with a plain, cacheable URL: profile pictures. Everything else is private. */
export const PUBLIC_PREFIXES = ['avatars/'];
export const isPublicKey = (key: string) => PUBLIC_PREFIXES.some((p) => key.startsWith(p));

/**
 * Signed URLs for private objects: HMAC-SHA256 over the key and the expiry (unix seconds) with a
 * server key. Expiries are rounded to a window so one object keeps the same URL for a few minutes
 * (clients cache images by URL); a URL is valid for at least `ttl - window` and at most `ttl`.
 */
export class UrlSigner {
  readonly window: number;
  constructor(
    private readonly key: string,
    readonly ttlSec: number,
  ) {
    this.window = Math.max(1, Math.floor(ttlSec / 4));
  }
  /** Start of the current window, unix seconds: also the S3 signing date, for stable presigned URLs. */
  windowStart(now = Date.now()) {
    const s = Math.floor(now / 1000);
    return s - (s % this.window);
  }
  private mac(key: string, exp: number) {
    return createHmac('sha256', this.key).update(`${key}\n${exp}`).digest('base64url');
  }
  sign(key: string, now = Date.now()) {
    const exp = this.windowStart(now) + this.ttlSec;
    return { exp, sig: this.mac(key, exp) };
  }
  /** Seconds left, or null when the signature is wrong or expired. */
  verify(key: string, exp: unknown, sig: unknown, now = Date.now()): number | null {
    if (typeof exp !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(exp) || sig.length > 128) return null;
    const left = Number(exp) - Math.floor(now / 1000);
    if (left <= 0) return null;
    const want = Buffer.from(this.mac(key, Number(exp)));
    const got = Buffer.from(sig);
    return got.length === want.length && timingSafeEqual(got, want) ? left : null;
  }
}

export class LocalStorage implements Storage {
  kind = 'local' as const;
  constructor(
    private readonly root: string,
    private readonly signer: UrlSigner,
  ) {}
  localPath(key: string) {
    assertSafeKey(key);
    return path.join(this.root, key);
  }
  async put(key: string, body: Buffer | FileSource, contentType: string) {
    const f = this.localPath(key);
    await fsp.mkdir(path.dirname(f), { recursive: true });
    if (Buffer.isBuffer(body)) await fsp.writeFile(f, body);
    else await fsp.copyFile(body.path, f);
    return { key, size: Buffer.isBuffer(body) ? body.length : body.size, contentType };
  }
  async delete(key: string) {
    await fsp.rm(this.localPath(key), { force: true });
  }
  async exists(key: string) {
    return fsp.access(this.localPath(key)).then(
      () => true,
      () => false,
    );
  }
  async read(key: string) {
    return fsp.readFile(this.localPath(key)).catch(() => null);
  }
  verify(key: string, exp: unknown, sig: unknown) {
    return this.signer.verify(key, exp, sig);
  }
  async url(key: string) {
    assertSafeKey(key);
    const p = `/media/${key}`;
    if (isPublicKey(key)) return p;
    const { exp, sig } = this.signer.sign(key);
    return `${p}?exp=${exp}&sig=${sig}`;
  }
  describe() {
    return { backend: 'local', media_root: this.root, media_url: '/media/', private_url_ttl_seconds: String(this.signer.ttlSec) };
  }
}

export class S3Storage implements Storage {
  kind = 's3' as const;
  private client: import('@aws-sdk/client-s3').S3Client | null = null;
  private readonly window: UrlSigner;
  constructor(private readonly cfg: Config['storage']['s3']) {
    // Only its windows are used: presigned URLs are signed by S3's own scheme.
    this.window = new UrlSigner('', cfg.presignSeconds);
  }
  private async s3() {
    if (!this.client) {
      const { S3Client } = await import('@aws-sdk/client-s3');
      this.client = new S3Client({
        region: this.cfg.region,
        endpoint: this.cfg.endpoint || undefined,
        forcePathStyle: this.cfg.forcePathStyle,
        credentials: { accessKeyId: this.cfg.accessKeyId, secretAccessKey: this.cfg.secretAccessKey },
        // Checksums only where S3 requires them: the SDK's default (CRC32 trailers in aws-chunked
        // streaming bodies) is stored verbatim, framing included, by several S3-compatible servers.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
    }
    return this.client;
  }
  async put(key: string, body: Buffer | FileSource, contentType: string) {
    assertSafeKey(key);
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const size = Buffer.isBuffer(body) ? body.length : body.size;
    const stream: Buffer | Readable = Buffer.isBuffer(body) ? body : fs.createReadStream(body.path);
    // Objects are private (no public-read ACL): they are read only through presigned URLs.
    await (await this.s3()).send(new PutObjectCommand({ Bucket: this.cfg.bucket, Key: key, Body: stream, ContentLength: size, ContentType: contentType }));
    return { key, size, contentType };
  }
  async delete(key: string) {
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await (await this.s3()).send(new DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: key }));
  }
  async exists(key: string) {
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    return (await this.s3()).send(new HeadObjectCommand({ Bucket: this.cfg.bucket, Key: key })).then(
      () => true,
      () => false,
    );
  }
  async read(key: string) {
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      const res = await (await this.s3()).send(new GetObjectCommand({ Bucket: this.cfg.bucket, Key: key }));
      return res.Body ? Buffer.from(await res.Body.transformToByteArray()) : null;
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') return null;
      throw err;
    }
  }
  async url(key: string) {
    assertSafeKey(key);
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    // Signed at the start of the current window: the same object keeps one URL for a while.
    return getSignedUrl(await this.s3(), new GetObjectCommand({ Bucket: this.cfg.bucket, Key: key }), {
      expiresIn: this.cfg.presignSeconds,
      signingDate: new Date(this.window.windowStart() * 1000),
    });
  }
  /** Presigned S3 URLs carry their own signature: `/media/` signatures are never accepted here. */
  verify() {
    return null;
  }
  async redirectUrl(key: string) {
    return this.url(key);
  }
  describe() {
    return { backend: 's3', endpoint: this.cfg.endpoint || '(aws default)', bucket: this.cfg.bucket, region: this.cfg.region, private_url_ttl_seconds: String(this.cfg.presignSeconds) };
  }
}

export function createStorage(cfg: Config['storage'], signer: UrlSigner): Storage {
  return cfg.backend === 's3' ? new S3Storage(cfg.s3) : new LocalStorage(cfg.mediaDir, signer);
}
