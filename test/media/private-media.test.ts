// Stored files through the public API: DM attachments only for thread members (signed URL as
// returned, or a member's Bearer), private posts' media only for their viewers, avatars public.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
import { multipart, png } from '../social/helpers.js';
import { UrlSigner } from '../../src/platform/storage/index.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let thread: number;

const pathOf = (url: string) => {
  const u = new URL(url, 'http://x');
  return u.pathname + u.search;
};

beforeAll(async () => {
  t = await sharedTestApp();
  [alice, bob, carol] = await Promise.all([t.user(), t.user(), t.user()]);
  thread = (await alice.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: bob.id } })).json().id;
});
afterAll(async () => t?.close());

async function sendPicture(from: TestUser, image = png(16, 9)) {
  const mp = multipart({ body: 'look' }, [{ field: 'attachments', filename: 'a.png', type: 'image/png', data: image }]);
  const r = await from.req({ method: 'POST', url: `/api/v1/threads/${thread}/messages/`, payload: mp.payload, headers: mp.headers });
  expect(r.statusCode).toBe(201);
  return r.json();
}

describe('DM attachments', () => {
  it('work for a member as returned (signed URL, no token) and with a member\'s Bearer', async () => {
    const image = png(16, 9);
    const signer = new UrlSigner('', t.ctx.config.mediaUrls.ttlSec);
    const sentIn = signer.windowStart();
    const m = await sendPicture(alice, image);
    const url: string = m.attachments[0].url;
    expect(url).toMatch(/\?exp=\d+&sig=[\w-]+$/);
    // The recipient reads the message (and its URL) through the API.
    const seen = (await bob.req({ url: `/api/v1/messages/?thread=${thread}` })).json().results.find((x: any) => x.id === m.id);
    const readIn = signer.windowStart();
    // Stable within the signing window (app image caches hit); a window boundary crossed between the
    // two reads moves the expiry by exactly the windows crossed.
    if (readIn === sentIn) expect(seen.attachments[0].url).toBe(url);
    else expect(Number(new URL(seen.attachments[0].url, 'http://x').searchParams.get('exp'))).toBe(Number(new URL(url, 'http://x').searchParams.get('exp')) + readIn - sentIn);
    const signed = await t.request({ url: pathOf(url) });
    expect(signed.statusCode).toBe(200);
    expect(Buffer.compare(signed.rawPayload, image)).toBe(0);
    expect(signed.headers['x-content-type-options']).toBe('nosniff');
    expect(signed.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
    const range = await t.request({ url: pathOf(url), headers: { range: 'bytes=0-7' } }); // video players seek
    expect(range.statusCode).toBe(206);
    expect(Buffer.compare(range.rawPayload, image.subarray(0, 8))).toBe(0);
    const bare = new URL(url, 'http://x').pathname;
    for (const member of [alice, bob]) {
      const r = await member.req({ url: bare });
      expect(r.statusCode).toBe(200);
      expect(r.headers['cache-control']).toBe('private, no-store');
    }
  });

  it('never answer 2xx without, or with a tampered, expired or borrowed signature, anonymously or to a non-member', async () => {
    const m = await sendPicture(bob);
    const url = new URL(m.attachments[0].url, 'http://x');
    const key = url.pathname.slice('/media/'.length);
    const exp = url.searchParams.get('exp')!;
    const sig = url.searchParams.get('sig')!;
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const other = new URL((await sendPicture(alice)).attachments[0].url, 'http://x');
    const past = new UrlSigner('x'.repeat(32), 60).sign(key, Date.now() - 3_600_000);
    const attempts = [
      url.pathname,
      `${url.pathname}?exp=${exp}&sig=${flip(sig)}`,
      `${url.pathname}?exp=${Number(exp) + 1}&sig=${sig}`,
      `${url.pathname}?exp=${exp}`,
      `${url.pathname}?sig=${sig}`,
      `${url.pathname}?exp=${past.exp}&sig=${past.sig}`,
      `${url.pathname}${other.search}`, // another file's signature
      `${url.pathname}?exp=${exp}&sig=${sig}${sig}`,
    ];
    for (const u of attempts) {
      const anon = await t.request({ url: u });
      expect(anon.statusCode, u).toBe(404);
      expect(anon.json()).toEqual({ detail: 'Not found.', code: 'not_found' });
      expect((await carol.req({ url: u })).statusCode, u).toBe(404);
    }
    expect((await t.request({ url: url.pathname, headers: { authorization: 'Bearer not-a-token' } })).statusCode).toBe(401);
  });

  it('check membership per request: a member who left loses Bearer access', async () => {
    const dave = await t.user();
    const group = (await alice.req({ method: 'POST', url: '/api/v1/threads/', body: { participant_ids: [bob.id, dave.id], title: 'g' } })).json();
    expect(group.id).toBeDefined();
    const mp = multipart({ body: 'g' }, [{ field: 'attachments', filename: 'a.png', type: 'image/png', data: png() }]);
    const m = (await alice.req({ method: 'POST', url: `/api/v1/threads/${group.id}/messages/`, payload: mp.payload, headers: mp.headers })).json();
    const bare = new URL(m.attachments[0].url).pathname;
    expect((await dave.req({ url: bare })).statusCode).toBe(200);
    expect((await dave.req({ method: 'POST', url: `/api/v1/threads/${group.id}/leave/` })).statusCode).toBeLessThan(300);
    expect((await dave.req({ url: bare })).statusCode).toBe(404);
  });
});

describe('post media', () => {
  const upload = async (u: TestUser, visibility: string) => {
    const m = multipart({ text: 'pic', visibility }, [{ field: 'images', filename: 'p.png', type: 'image/png', data: png() }]);
    const r = await u.req({ method: 'POST', url: '/api/v1/posts/', payload: m.payload, headers: m.headers });
    expect(r.statusCode).toBe(201);
    return r.json();
  };

  it('of a private post: its URL reaches only viewers; the bare path is 404 to everyone but the uploader', async () => {
    const p = await upload(alice, 'private');
    const url = new URL(p.images[0].url);
    expect((await t.request({ url: url.pathname + url.search })).statusCode).toBe(200); // as handed to a viewer
    expect((await bob.req({ url: `/api/v1/posts/${p.id}/` })).statusCode).toBe(404); // bob never gets that URL
    expect((await t.request({ url: url.pathname })).statusCode).toBe(404);
    expect((await bob.req({ url: url.pathname })).statusCode).toBe(404);
    expect((await alice.req({ url: url.pathname })).statusCode).toBe(200);
  });

  it('of a public post is served to anyone holding the URL the API returned', async () => {
    const p = await upload(alice, 'public');
    const seen = (await carol.req({ url: `/api/v1/posts/${p.id}/` })).json();
    const r = await t.request({ url: pathOf(seen.images[0].url) });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('image/png');
  });
});

describe('UrlSigner', () => {
  it('accepts its own unexpired signatures only, with a URL stable within a window', () => {
    const s = new UrlSigner('k'.repeat(32), 900);
    const now = Date.now();
    const a = s.sign('messages/attachments/x.png', now);
    expect(s.sign('messages/attachments/x.png', now + 1000)).toEqual(s.window > 1 && Math.floor(now / 1000) % s.window < s.window - 1 ? a : expect.anything());
    expect(s.verify('messages/attachments/x.png', String(a.exp), a.sig, now)).toBeGreaterThan(900 - s.window - 1);
    expect(s.verify('messages/attachments/x.png', String(a.exp), a.sig, now + 901_000)).toBeNull();
    expect(s.verify('messages/attachments/y.png', String(a.exp), a.sig, now)).toBeNull();
    expect(new UrlSigner('j'.repeat(32), 900).verify('messages/attachments/x.png', String(a.exp), a.sig, now)).toBeNull();
    expect(s.verify('messages/attachments/x.png', `${a.exp}.5`, a.sig, now)).toBeNull();
  });
});

describe('avatars and paths', () => {
  it('serves public avatars with a year of caching', async () => {
    await t.ctx.storage.put('avatars/1/abc.png', png(), 'image/png');
    const r = await t.request({ url: '/media/avatars/1/abc.png' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each(['/media/..%2f..%2fetc%2fpasswd', '/media/avatars/../messages/x.png', '/media/.hidden', '/media/', '/media/avatars/1/missing.png'])('%s is 404', async (u) => {
    const r = await t.request({ url: u });
    expect(r.statusCode).toBe(404);
    expect(r.json().code).toBe('not_found');
  });
});
