// S3 storage for real, against a local S3-compatible server (s3rver) started here: put (streamed from
// the upload's temporary file), get, delete, presigned URLs, and DM attachments readable only by
// thread members (presigned GET as returned, or our /media/ route redirecting a member's Bearer),
// and media retention deleting an orphaned upload's object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { mp4, multipart, png } from '../social/helpers.js';
import { MEDIA_RETENTION_JOB } from '../../src/modules/media/retention.js';

let s3: S3rver;
let dir: string;
let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let endpoint: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflink-s3rver-'));
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: 'selflink-test', configs: [] }] });
  const addr = await s3.run();
  endpoint = `http://127.0.0.1:${addr.port}`;
  t = await createTestApp({
    STORAGE_BACKEND: 's3',
    S3_ENDPOINT: endpoint,
    S3_BUCKET: 'selflink-test',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_PRESIGN_SECONDS: '600',
  });
  [alice, bob, carol] = await Promise.all([t.user(), t.user(), t.user()]);
});
afterAll(async () => {
  await t?.close();
  await s3?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const upload = async (u: TestUser, data: Buffer, type = 'image/png') => {
  const m = multipart({}, [{ field: 'file', filename: 'f', type, data }]);
  const r = await u.req({ method: 'POST', url: '/api/v1/media/', payload: m.payload, headers: m.headers });
  expect(r.statusCode).toBe(201);
  return r.json();
};

describe('S3 storage against s3rver', () => {
  it('put, get through the presigned URL, delete', async () => {
    const data = png(20, 10, 3000);
    const a = await upload(alice, data);
    const url = new URL(a.url);
    expect(url.origin).toBe(endpoint);
    expect(url.pathname).toBe(`/selflink-test/${a.s3_key}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
    const got = await fetch(a.url);
    expect(got.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await got.arrayBuffer()), data)).toBe(0);
    expect(await t.ctx.storage.exists(a.s3_key)).toBe(true);

    expect((await alice.req({ method: 'DELETE', url: `/api/v1/media/${a.id}/` })).statusCode).toBe(204);
    expect(await t.ctx.storage.exists(a.s3_key)).toBe(false);
    expect(await t.ctx.storage.read(a.s3_key)).toBeNull();
    expect((await fetch(a.url)).status).toBe(404);
  });

  it('streams a large upload from its temporary file with the right length and content type', async () => {
    const video = mp4(5 * 1024 * 1024);
    const a = await upload(alice, video, 'video/mp4');
    const stored = await t.ctx.storage.read(a.s3_key);
    expect(stored?.length).toBe(video.length);
    expect(stored && Buffer.compare(stored, video)).toBe(0);
    const res = await fetch(a.url);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    await res.arrayBuffer();
  });

  it('an expired presigned URL is refused by S3', async () => {
    // (s3rver checks V4 expiry but not V4 signatures; tampering is refused by real S3.)
    const a = await upload(alice, png());
    const url = new URL(a.url);
    url.searchParams.set('X-Amz-Date', '20200101T000000Z');
    const res = await fetch(url);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Request has expired');
  });
});

describe('DM attachments on S3', () => {
  it('members get a short-lived presigned GET as returned, or a redirect to one with their Bearer; others 404', async () => {
    const thread = (await alice.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: bob.id } })).json().id;
    const image = png(8, 8, 500);
    const mp = multipart({ body: 'pic' }, [{ field: 'attachments', filename: 'a.png', type: 'image/png', data: image }]);
    const m = (await alice.req({ method: 'POST', url: `/api/v1/threads/${thread}/messages/`, payload: mp.payload, headers: mp.headers })).json();
    const url = new URL(m.attachments[0].url);
    expect(url.origin).toBe(endpoint);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
    const direct = await fetch(url);
    expect(direct.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await direct.arrayBuffer()), image)).toBe(0);

    const key = url.pathname.replace('/selflink-test/', '');
    const viaUs = await bob.req({ url: `/media/${key}` });
    expect(viaUs.statusCode).toBe(302);
    expect(viaUs.headers['cache-control']).toBe('no-store');
    const followed = await fetch(viaUs.headers.location as string);
    expect(followed.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await followed.arrayBuffer()), image)).toBe(0);
    expect((await carol.req({ url: `/media/${key}` })).statusCode).toBe(404);
    expect((await t.request({ url: `/media/${key}` })).statusCode).toBe(404);
  });
});

describe('media retention on S3', () => {
  it('deletes the object and row of an upload nothing used past MEDIA_ORPHAN_HOURS; an attached one stays', async () => {
    const orphan = await upload(carol, png(4, 4, 200));
    const used = await upload(carol, png(5, 5, 200));
    expect((await carol.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'kept', media_ids: [used.id] } })).statusCode).toBe(201);
    await t.ctx.db.execute(sql`update media_assets set created_at = now() - interval '3 days' where id in (${orphan.id}, ${used.id})`);
    expect(await t.ctx.storage.exists(orphan.s3_key)).toBe(true);

    await t.ctx.queue.enqueue(MEDIA_RETENTION_JOB, {});
    await t.drain();
    expect(await t.ctx.storage.exists(orphan.s3_key)).toBe(false);
    expect((await fetch(orphan.url)).status).toBe(404);
    expect((await carol.req({ url: `/api/v1/media/${orphan.id}/` })).statusCode).toBe(404);
    expect(await t.ctx.storage.exists(used.s3_key)).toBe(true);
    expect((await carol.req({ url: `/api/v1/media/${used.id}/` })).statusCode).toBe(200);
  });
});
