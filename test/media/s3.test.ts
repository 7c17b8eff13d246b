// With STORAGE_BACKEND=s3 media URLs are presigned S3 URLs (signing is local: no S3 server needed).
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { commands } from '../../src/commands/index.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    STORAGE_BACKEND: 's3',
    S3_ENDPOINT: 'http://127.0.0.1:9',
    S3_BUCKET: 'selflink-test',
    S3_ACCESS_KEY_ID: 'test-access-key',
    S3_SECRET_ACCESS_KEY: 'test-secret-value',
    S3_PRESIGN_SECONDS: '600',
  });
});
afterAll(async () => t?.close());

it('presents stored assets with presigned, expiring URLs', async () => {
  const url = new URL(await t.ctx.services.media.urlFor('posts/images/1/abc.png', 'http://ignored.example'));
  expect(url.origin).toBe('http://127.0.0.1:9');
  expect(url.pathname).toBe('/selflink-test/posts/images/1/abc.png');
  expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
  expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
});

it('storage-status names the endpoint and bucket but never the secret', async () => {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  try {
    await commands['storage-status'].run(t.ctx, []);
  } finally {
    spy.mockRestore();
  }
  const out = lines.join('\n');
  expect(out).toContain('backend: s3');
  expect(out).toContain('endpoint: http://127.0.0.1:9');
  expect(out).toContain('bucket: selflink-test');
  expect(out).toContain('X-Amz-Signature');
  expect(out).not.toContain('test-secret-value');
});

it('does not serve /media/ locally when S3 holds the files', async () => {
  expect((await t.request({ url: '/media/posts/images/1/abc.png' })).statusCode).toBe(404);
});
