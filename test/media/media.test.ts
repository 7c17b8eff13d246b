import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { jpeg, mp4, multipart, notMedia, png } from '../social/helpers.js';
import { commands } from '../../src/commands/index.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  t = await createTestApp({ UPLOAD_MAX_BYTES: '4096', VIDEO_MAX_BYTES: '8192' });
  [alice, bob] = await Promise.all([t.user(), t.user()]);
});
afterAll(async () => t?.close());

const uploadFile = (u: TestUser, data: Buffer, opts: { field?: string; filename?: string; type?: string; fields?: Record<string, string> } = {}) => {
  const m = multipart(opts.fields ?? {}, [{ field: opts.field ?? 'file', filename: opts.filename ?? 'photo.jpg', type: opts.type ?? 'image/jpeg', data }]);
  return u.req({ method: 'POST', url: '/api/v1/media/', payload: m.payload, headers: m.headers });
};
const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};
const createMeta = (u: TestUser, body: Record<string, unknown>) => u.req({ method: 'POST', url: '/api/v1/media/', body });

describe('POST media/', () => {
  it('stores an uploaded image by its content and records it ready, with an absolute URL', async () => {
    const data = png(12, 34);
    const res = await uploadFile(alice, data, { filename: 'holiday.gif', type: 'image/gif' });
    expect(res.statusCode).toBe(201);
    const a = res.json();
    expect(a).toMatchObject({ mime: 'image/png', width: 12, height: 34, duration: null, status: 'ready', meta: {} });
    expect(a.checksum).toBe(createHash('sha256').update(data).digest('hex'));
    expect(a.s3_key).toMatch(new RegExp(`^media/${alice.id}/[0-9a-f]+\\.png$`));
    expect(a.url).toMatch(new RegExp(`^http://localhost(:\\d+)?/media/${a.s3_key}\\?exp=\\d+&sig=[\\w-]+$`));
    const file = await t.request({ url: pathOf(a.url) });
    expect(file.statusCode).toBe(200);
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    expect(file.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(file.rawPayload, data)).toBe(0);
    // Private: the bare path, a tampered signature and another user's token all answer 404.
    expect((await t.request({ url: `/media/${a.s3_key}` })).statusCode).toBe(404);
    // Flip the signature's first character to a different one (a fixed 'A' left 1 in 64 signatures unchanged).
    const tampered = pathOf(a.url).replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    expect((await t.request({ url: tampered })).statusCode).toBe(404);
    expect((await bob.req({ url: `/media/${a.s3_key}` })).statusCode).toBe(404);
    expect((await alice.req({ url: `/media/${a.s3_key}` })).statusCode).toBe(200);
  });

  it('accepts videos and JPEGs, with optional meta (JSON string in multipart)', async () => {
    const v = await uploadFile(alice, mp4(), { filename: 'x.jpg', type: 'image/jpeg', fields: { meta: '{"caption":"hi"}', duration: '3.5' } });
    expect(v.statusCode).toBe(201);
    expect(v.json()).toMatchObject({ mime: 'video/mp4', meta: { caption: 'hi' }, duration: 3.5 });
    expect((await uploadFile(alice, jpeg())).json().mime).toBe('image/jpeg');
  });

  it.each([
    ['text named like a picture', notMedia(), {}, 'file'],
    ['an image over UPLOAD_MAX_BYTES', png(1, 1, 5000), {}, 'file'],
    ['an unknown file field', png(), { field: 'photo' }, 'photo'],
    ['meta that is not a JSON object', png(), { fields: { meta: '[1,2]' } }, 'meta'],
  ])('rejects %s', async (_name, data, opts, field) => {
    const res = await uploadFile(alice, data, opts);
    expect(res.statusCode).toBe(400);
    expect(res.json()[field]).toBeDefined();
  });

  it('rejects files over the largest limit with 413', async () => {
    expect((await uploadFile(alice, mp4(9000))).statusCode).toBe(413);
  });

  it('records metadata-only assets as the original did (pending, no URL unless the key is a URL)', async () => {
    const res = await createMeta(alice, { s3_key: 'uploads/abc.jpg', mime: 'image/jpeg', width: 10, height: 20, meta: { a: 1 } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ s3_key: 'uploads/abc.jpg', mime: 'image/jpeg', width: 10, height: 20, status: 'pending', checksum: '', meta: { a: 1 }, url: null });
    const ext = await createMeta(alice, { s3_key: 'https://cdn.example.com/x.mp4', mime: 'video/mp4' });
    expect(ext.json().url).toBe('https://cdn.example.com/x.mp4');
  });

  it.each([
    [{ mime: 'image/png' }, 's3_key'],
    [{ s3_key: 'a.png' }, 'mime'],
    [{ s3_key: 'a.pdf', mime: 'application/pdf' }, 'mime'],
    [{ s3_key: 'x'.repeat(256), mime: 'image/png' }, 's3_key'],
    [{ s3_key: 'a.png', mime: 'image/png', width: -1 }, 'width'],
    [{ s3_key: 'a.png', mime: 'image/png', duration: 'long' }, 'duration'],
    [{ s3_key: 'a.png', mime: 'image/png', meta: 'x' }, 'meta'],
    [{ s3_key: 'a.png', mime: 'image/png', status: 'ready' }, 'status'],
  ])('rejects bad metadata %j', async (body, field) => {
    const res = await createMeta(alice, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()[field]).toBeDefined();
  });

  it('needs authentication', async () => {
    expect((await t.request({ method: 'POST', url: '/api/v1/media/', body: { s3_key: 'a', mime: 'image/png' } })).statusCode).toBe(401);
    expect((await t.request({ url: '/api/v1/media/' })).statusCode).toBe(401);
  });
});

describe('media/ and media/{id}/', () => {
  it('lists only the caller\'s assets, newest first, with a working cursor', async () => {
    const carl = await t.user();
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createMeta(carl, { s3_key: `k${i}.png`, mime: 'image/png' })).json().id);
    const first = (await carl.req({ url: '/api/v1/media/?page_size=2' })).json();
    expect(first.results.map((a: any) => a.id)).toEqual([ids[2], ids[1]]);
    const next = new URL(first.next);
    const second = (await carl.req({ url: next.pathname + next.search })).json();
    expect(second.results.map((a: any) => a.id)).toEqual([ids[0]]);
    expect(second.next).toBeNull();
    expect((await carl.req({ url: '/api/v1/media/?cursor=bogus' })).statusCode).toBe(400);
    expect((await bob.req({ url: '/api/v1/media/' })).json().results.map((a: any) => a.id)).not.toContain(ids[0]);
  });

  it('is owner-only: other users get 404 for read, edit and delete', async () => {
    const id = (await createMeta(alice, { s3_key: 'mine.png', mime: 'image/png' })).json().id;
    expect((await bob.req({ url: `/api/v1/media/${id}/` })).statusCode).toBe(404);
    expect((await bob.req({ method: 'PATCH', url: `/api/v1/media/${id}/`, body: { width: 1 } })).statusCode).toBe(404);
    expect((await bob.req({ method: 'PUT', url: `/api/v1/media/${id}/`, body: { s3_key: 'x', mime: 'image/png' } })).statusCode).toBe(404);
    expect((await bob.req({ method: 'DELETE', url: `/api/v1/media/${id}/` })).statusCode).toBe(404);
    expect((await alice.req({ url: `/api/v1/media/${id}/` })).statusCode).toBe(200);
    expect((await alice.req({ url: '/api/v1/media/999999999/' })).statusCode).toBe(404);
    expect((await alice.req({ url: '/api/v1/media/abc/' })).statusCode).toBe(400);
  });

  it('PUT replaces metadata (s3_key and mime required); PATCH changes parts', async () => {
    const id = (await createMeta(alice, { s3_key: 'old.png', mime: 'image/png' })).json().id;
    expect((await alice.req({ method: 'PUT', url: `/api/v1/media/${id}/`, body: { mime: 'image/png' } })).statusCode).toBe(400);
    const put = await alice.req({ method: 'PUT', url: `/api/v1/media/${id}/`, body: { s3_key: 'new.webp', mime: 'image/webp', width: 5 } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ s3_key: 'new.webp', mime: 'image/webp', width: 5 });
    const patch = await alice.req({ method: 'PATCH', url: `/api/v1/media/${id}/`, body: { meta: { alt: 'cat' } } });
    expect(patch.json()).toMatchObject({ s3_key: 'new.webp', meta: { alt: 'cat' } });
  });

  it('never lets an uploaded asset point at another file', async () => {
    const a = (await uploadFile(alice, png())).json();
    const res = await alice.req({ method: 'PATCH', url: `/api/v1/media/${a.id}/`, body: { s3_key: 'media/1/other.png' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().s3_key).toBeDefined();
    expect((await alice.req({ method: 'PATCH', url: `/api/v1/media/${a.id}/`, body: { mime: 'image/gif' } })).statusCode).toBe(400);
  });

  it('DELETE removes the row, the stored file and the asset from posts it was attached to', async () => {
    const a = (await uploadFile(alice, png())).json();
    const post = (await alice.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'pic', media_ids: [a.id] } })).json();
    expect(post.media).toHaveLength(1);
    expect((await alice.req({ method: 'DELETE', url: `/api/v1/media/${a.id}/` })).statusCode).toBe(204);
    expect((await alice.req({ url: `/api/v1/media/${a.id}/` })).statusCode).toBe(404);
    expect((await t.request({ url: pathOf(a.url) })).statusCode).toBe(404);
    expect((await alice.req({ url: `/api/v1/posts/${post.id}/` })).json().media).toEqual([]);
  });
});

describe('service and storage-status', () => {
  it('assertOwned keeps order and refuses foreign ids; getMany batches', async () => {
    const m = t.ctx.services.media;
    const a1 = (await createMeta(alice, { s3_key: 'a1.png', mime: 'image/png' })).json().id;
    const a2 = (await createMeta(alice, { s3_key: 'a2.png', mime: 'image/png' })).json().id;
    const b1 = (await createMeta(bob, { s3_key: 'b1.png', mime: 'image/png' })).json().id;
    expect((await m.assertOwned(alice.id, [a2, a1])).map((r) => r.id)).toEqual([a2, a1]);
    await expect(m.assertOwned(alice.id, [a1, b1])).rejects.toMatchObject({ status: 400, body: { media_ids: [expect.stringContaining(String(b1))] } });
    expect([...(await m.getMany([a1, b1, 999999999])).keys()].sort()).toEqual([a1, b1].sort());
  });

  it('storage-status prints the backend, where files live and a sample URL', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    try {
      await commands['storage-status'].run(t.ctx, []);
    } finally {
      spy.mockRestore();
    }
    const out = lines.join('\n');
    expect(out).toContain('backend: local');
    expect(out).toContain(`media_root: ${t.ctx.config.storage.mediaDir}`);
    expect(out).toMatch(/sample_url: http:\/\/localhost:\d+\/media\/media\/0\/sample\.jpg/);
    expect(out).not.toMatch(/secret/i);
  });
});
