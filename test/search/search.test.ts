import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
import { searchDocuments } from '../../src/modules/search/schema.js';
import { commands } from '../../src/commands/index.js';
import { createPgBackend } from '../../src/modules/search/pg-backend.js';

let t: TestApp;
let me: TestUser;
const tag = Math.random().toString(36).slice(2, 7);

beforeAll(async () => {
  t = await sharedTestApp();
  me = await t.user();
});
afterAll(async () => t?.close());

const searchUsers = async (q: string, u: TestUser = me) => (await u.req({ url: `/api/v1/search/users/?q=${encodeURIComponent(q)}` })).json() as { id: number }[];
const searchPosts = async (q: string, u: TestUser = me) => (await u.req({ url: `/api/v1/search/posts/?q=${encodeURIComponent(q)}` })).json() as { id: number }[];
const post = async (u: TestUser, text: string, visibility = 'public') => (await u.req({ method: 'POST', url: '/api/v1/posts/', body: { text, visibility } })).json().id as number;

describe('search/users', () => {
  it('finds by name words (prefix), by handle with or without @, and by a mistyped handle; bare array of W-User', async () => {
    const zora = await t.user({ name: `Zoraida ${tag}quist`, handle: `zorabloom${tag}` });
    await t.drain();
    const byName = await me.req({ url: `/api/v1/search/users/?q=zorai` });
    expect(byName.statusCode).toBe(200);
    expect(Array.isArray(byName.json())).toBe(true);
    expect(byName.json()[0]).toMatchObject({ id: zora.id, handle: zora.handle, is_following: false, email: null });
    expect((await searchUsers(`${tag}quist`)).map((u) => u.id)).toEqual([zora.id]);
    expect((await searchUsers(`@zorabloom${tag}`)).map((u) => u.id)).toEqual([zora.id]);
    expect((await searchUsers(`zorablom${tag}`)).map((u) => u.id)).toContain(zora.id);
  });

  it('follows profile edits, and hides inactive users and blocks in either direction', async () => {
    const [a, b, c] = await Promise.all([t.user(), t.user(), t.user()]);
    for (const u of [a, b, c]) await u.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { name: `Quillon ${tag}` } });
    await t.drain();
    expect((await searchUsers(`quillon ${tag}`)).map((u) => u.id).sort()).toEqual([a.id, b.id, c.id].sort());
    await t.ctx.services.users.setActive(a.id, false);
    await b.req({ method: 'POST', url: `/api/v1/users/${me.id}/block/`, body: {} });
    expect((await searchUsers(`quillon ${tag}`)).map((u) => u.id)).toEqual([c.id]);
    await t.drain();
    const [doc] = await t.ctx.db.select().from(searchDocuments).where((await import('drizzle-orm')).eq(searchDocuments.refId, a.id));
    expect(doc.visibility).toBe('inactive');
  });

  it('an index job that read a profile before an edit does not leave the older document in place', async () => {
    // The sign-up's job and the edit's job run at once: hold the first one's write until the edit is indexed.
    const u = await t.user({ name: `Vellacott ${tag}` });
    await t.drain();
    const real = createPgBackend(t.ctx);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const reachedWrite = new Promise<void>((r) => (reached = r));
    const search = t.ctx.services.search;
    search.useBackend({ ...real, upsert: async (doc) => (doc.type === 'user' && doc.name.startsWith('Vellacott') ? (reached(), held) : Promise.resolve()).then(() => real.upsert(doc)) });
    try {
      const stale = search.indexUser(u.id);
      await reachedWrite;
      await u.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { name: `Dunmore ${tag}` } });
      await t.drain();
      expect((await searchUsers(`dunmore ${tag}`)).map((x) => x.id)).toEqual([u.id]);
      release();
      await stale;
    } finally {
      release();
      search.useBackend(real);
    }
    expect((await searchUsers(`dunmore ${tag}`)).map((x) => x.id)).toEqual([u.id]);
    expect(await searchUsers(`vellacott ${tag}`)).toEqual([]);
  });

  it('rejects missing or blank queries with 400 and limits outside 1..50; 401 when anonymous', async () => {
    for (const q of ['', '?q=', '?q=%20%20', '?q=@']) {
      const res = await me.req({ url: `/api/v1/search/users/${q}` });
      expect(res.statusCode).toBe(400);
    }
    for (const l of ['0', '51', '-1', 'abc']) expect((await me.req({ url: `/api/v1/search/users/?q=a&limit=${l}` })).statusCode).toBe(400);
    expect((await me.req({ url: `/api/v1/search/users/?q=${'x'.repeat(201)}` })).statusCode).toBe(400);
    expect((await t.request({ url: '/api/v1/search/users/?q=a' })).statusCode).toBe(401);
    expect((await me.req({ url: '/api/v1/search/users/?q=%25%27%22)(*' })).statusCode).toBe(200);
  });

  it('honours limit', async () => {
    for (let i = 0; i < 3; i++) await t.user({ name: `Limitia ${tag}` });
    await t.drain();
    expect(await me.req({ url: `/api/v1/search/users/?q=limitia&limit=2` }).then((r) => r.json())).toHaveLength(2);
  });
});

describe('search/posts', () => {
  it('matches words in text, newest first, respecting visibility, blocks, edits and deletes', async () => {
    const [author, follower, other] = await Promise.all([t.user(), t.user(), t.user()]);
    await follower.req({ method: 'POST', url: `/api/v1/users/${author.id}/follow/`, body: {} });
    const pub = await post(author, `marmalade ${tag} public`);
    const fol = await post(author, `marmalade ${tag} friends`, 'followers');
    const priv = await post(author, `marmalade ${tag} secret`, 'private');
    await t.drain();
    const res = await other.req({ url: `/api/v1/search/posts/?q=marmalade%20${tag}` });
    expect(res.statusCode).toBe(200);
    expect(res.json().map((p: { id: number }) => p.id)).toEqual([pub]);
    expect((await searchPosts(`marmal ${tag}`, follower)).map((p) => p.id)).toEqual([fol, pub]);
    expect((await searchPosts(`marmalade ${tag}`, author)).map((p) => p.id)).toEqual([priv, fol, pub]);

    await author.req({ method: 'PATCH', url: `/api/v1/posts/${pub}/`, body: { text: `blueberry ${tag}` } });
    await author.req({ method: 'DELETE', url: `/api/v1/posts/${fol}/` });
    await t.drain();
    expect((await searchPosts(`marmalade ${tag}`, follower)).map((p) => p.id)).toEqual([]);
    expect((await searchPosts(`blueberry ${tag}`, follower)).map((p) => p.id)).toEqual([pub]);
    await author.req({ method: 'POST', url: `/api/v1/users/${follower.id}/block/`, body: {} });
    expect(await searchPosts(`blueberry ${tag}`, follower)).toEqual([]);
  });

  it('400 on a missing query, 401 anonymous', async () => {
    expect((await me.req({ url: '/api/v1/search/posts/' })).statusCode).toBe(400);
    expect((await me.req({ url: '/api/v1/search/posts/?q=a&limit=100' })).statusCode).toBe(400);
    expect((await t.request({ url: '/api/v1/search/posts/?q=a' })).statusCode).toBe(401);
  });
});

describe('search-reindex', () => {
  it('rebuilds a wiped index from the services', async () => {
    const u = await t.user({ name: `Reindexa ${tag}` });
    const p = await post(u, `pumpernickel ${tag}`);
    await t.drain();
    await t.ctx.db.delete(searchDocuments);
    expect(await searchUsers(`reindexa ${tag}`)).toEqual([]);
    expect(await searchPosts(`pumpernickel ${tag}`)).toEqual([]);
    await commands['search-reindex'].run(t.ctx, []);
    expect((await searchUsers(`reindexa ${tag}`)).map((x) => x.id)).toEqual([u.id]);
    expect((await searchPosts(`pumpernickel ${tag}`)).map((x) => x.id)).toEqual([p]);
  });
});
