// Media storage: a local folder (served under /media/) embedded, S3-compatible in server mode.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config.js';

export interface StoredObject {
  key: string;
  size: number;
  contentType: string;
}

export interface Storage {
  kind: 'local' | 's3';
  put(key: string, body: Buffer, contentType: string): Promise<StoredObject>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** A URL the client can load: `/media/<key>` (made absolute by the caller) or a presigned S3 URL. */
  url(key: string): Promise<string>;
  describe(): Record<string, string>;
}

const SAFE_KEY = /^[a-zA-Z0-9][a-zA-Z0-9/_.-]*$/;

export function assertSafeKey(key: string) {
  if (!SAFE_KEY.test(key) || key.includes('..') || key.length > 255) throw new Error(`unsafe storage key: ${key}`);
}

export class LocalStorage implements Storage {
  kind = 'local' as const;
  constructor(private readonly root: string) {}
  private file(key: string) {
    assertSafeKey(key);
    return path.join(this.root, key);
  }
  async put(key: string, body: Buffer, contentType: string) {
    const f = this.file(key);
    await fs.mkdir(path.dirname(f), { recursive: true });
    await fs.writeFile(f, body);
    return { key, size: body.length, contentType };
  }
  async delete(key: string) {
    await fs.rm(this.file(key), { force: true });
  }
  async exists(key: string) {
    return fs.access(this.file(key)).then(() => true, () => false);
  }
  async url(key: string) {
    assertSafeKey(key);
    return `/media/${key}`;
  }
  describe() {
    return { backend: 'local', media_root: this.root, media_url: '/media/' };
  }
}

export class S3Storage implements Storage {
  kind = 's3' as const;
  private client: import('@aws-sdk/client-s3').S3Client | null = null;
  constructor(private readonly cfg: Config['storage']['s3']) {}
  private async s3() {
    if (!this.client) {
      const { S3Client } = await import('@aws-sdk/client-s3');
      this.client = new S3Client({
        region: this.cfg.region,
        endpoint: this.cfg.endpoint || undefined,
        forcePathStyle: this.cfg.forcePathStyle,
        credentials: { accessKeyId: this.cfg.accessKeyId, secretAccessKey: this.cfg.secretAccessKey },
      });
    }
    return this.client;
  }
  async put(key: string, body: Buffer, contentType: string) {
    assertSafeKey(key);
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await (await this.s3()).send(new PutObjectCommand({ Bucket: this.cfg.bucket, Key: key, Body: body, ContentType: contentType }));
    return { key, size: body.length, contentType };
  }
  async delete(key: string) {
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await (await this.s3()).send(new DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: key }));
  }
  async exists(key: string) {
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    return (await this.s3()).send(new HeadObjectCommand({ Bucket: this.cfg.bucket, Key: key })).then(() => true, () => false);
  }
  async url(key: string) {
    assertSafeKey(key);
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    return getSignedUrl(await this.s3(), new GetObjectCommand({ Bucket: this.cfg.bucket, Key: key }), { expiresIn: this.cfg.presignSeconds });
  }
  describe() {
    return { backend: 's3', endpoint: this.cfg.endpoint || '(aws default)', bucket: this.cfg.bucket, region: this.cfg.region };
  }
}

export function createStorage(cfg: Config['storage']): Storage {
  return cfg.backend === 's3' ? new S3Storage(cfg.s3) : new LocalStorage(cfg.mediaDir);
}
