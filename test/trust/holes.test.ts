// The holes a review found, each closed and proven through HTTP with the real modules wired.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { users as usersTable } from '../../src/modules/users/schema.js';
import { enforcements } from '../../src/modules/moderation/schema.js';
import { connect, startGateway, type Client } from '../realtime/ws-client.js';
import type { App } from '../../src/platform/http/app-type.js';

let t: TestApp;
let staff: TestUser;
let gw: { app: App; url: (q: string) => string };
const sockets: Client[] = [];

beforeAll(async () => {
  t = await createTestApp({ REALTIME_PUBLISH_TOKEN: 'publish-secret' });
  staff = await t.user();
  await t.ctx.db.update(usersTable).set({ isStaff: true }).where(eq(usersTable.id, staff.id));
  gw = await startGateway(t.ctx);
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  await gw?.app.close();
  await t?.close();
});

const ids = (res: { json(): unknown }) => (res.json() as { id: number }[]).map((x) => x.id);
const inbox = async (u: TestUser) => (await u.req({ url: '/api/v1/notifications/?page_size=100' })).json().results as { type: string; payload: Record<string, unknown> }[];
const post = async (u: TestUser, text: string, visibility = 'public') => (await u.req({ method: 'POST', url: '/api/v1/posts/', body: { text, visibility } })).json() as { id: number };
const comment = async (u: TestUser, postId: number, body: string, parent?: number) =>
  u.req({ method: 'POST', url: '/api/v1/comments/', body: { post: postId, body, ...(parent ? { parent } : {}) } });
const enforce = (body: Record<string, unknown>, who = staff) => who.req({ method: 'POST', url: '/api/v1/moderation/admin/enforcements/', body });
const lift = (id: number, who = staff) => who.req({ method: 'POST', url: `/api/v1/moderation/admin/enforcements/${id}/lift/` });
const auditFor = async (enforcementId: number) =>
  ((await staff.req({ url: '/api/v1/audit/events/?page_size=100' })).json().results as { action: string; object_id: string }[])
    .filter((e) => e.object_id === String(enforcementId))
    .map((e) => e.action)
    .sort();

describe('hole 1: blocks on follower lists and user lists', () => {
  it('followers/ and following/ answer 404 across a block either way; lists drop blocked users', async () => {
    const [a, b, c] = [await t.user(), await t.user(), await t.user()];
    await c.req({ method: 'POST', url: `/api/v1/users/${a.id}/follow/` });
    await a.req({ method: 'POST', url: `/api/v1/users/${c.id}/follow/` });
    await b.req({ method: 'POST', url: `/api/v1/users/${a.id}/follow/` });
    expect(ids(await c.req({ url: `/api/v1/users/${a.id}/followers/` })).sort()).toEqual([b.id, c.id].sort());

    await a.req({ method: 'POST', url: `/api/v1/users/${c.id}/block/` });
    for (const path of ['', 'followers/', 'following/']) {
      expect((await c.req({ url: `/api/v1/users/${a.id}/${path}` })).statusCode, `blocked ${path}`).toBe(404);
      expect((await a.req({ url: `/api/v1/users/${c.id}/${path}` })).statusCode, `blocker ${path}`).toBe(404);
    }
    // A third party's lists do not show c to a (nor a to c).
    await c.req({ method: 'POST', url: `/api/v1/users/${b.id}/follow/` });
    expect(ids(await a.req({ url: `/api/v1/users/${b.id}/followers/` }))).not.toContain(c.id);
    expect(ids(await c.req({ url: `/api/v1/users/${b.id}/following/` }))).not.toContain(a.id);
    // Directory and search.
    const dir = (await a.req({ url: `/api/v1/users/?q=${c.handle}` })).json().results.map((u: { id: number }) => u.id);
    expect(dir).not.toContain(c.id);
    await t.drain();
    expect(ids(await a.req({ url: `/api/v1/search/users/?q=${c.handle}` }))).not.toContain(c.id);
    expect(ids(await b.req({ url: `/api/v1/search/users/?q=${c.handle}` }))).toContain(c.id);
  });

  it('the bare-array lists are bounded (page_size, at most 200)', async () => {
    const star = await t.user();
    const fans = await Promise.all([t.user(), t.user(), t.user()]);
    for (const f of fans) await f.req({ method: 'POST', url: `/api/v1/users/${star.id}/follow/` });
    expect(ids(await star.req({ url: `/api/v1/users/${star.id}/followers/?page_size=2` }))).toHaveLength(2);
    expect((await star.req({ url: `/api/v1/users/${star.id}/followers/?page_size=5000` })).statusCode).toBe(400);
  });
});

describe('hole 2 and leaks: mention and reply notifications follow the post visibility', () => {
  it('a mention in a comment on a public post reaches a non-follower', async () => {
    const [author, commenter, mentioned] = [await t.user(), await t.user(), await t.user()];
    const p = await post(author, 'public post');
    expect((await comment(commenter, p.id, `hey @${mentioned.handle}`)).statusCode).toBe(201);
    await t.drain();
    expect((await inbox(mentioned)).filter((n) => /mention/.test(n.type))).toHaveLength(1);
  });

  it('a mention in a comment on a private post reaches nobody (not even followers)', async () => {
    const [author, follower] = [await t.user(), await t.user()];
    await follower.req({ method: 'POST', url: `/api/v1/users/${author.id}/follow/` });
    const p = await post(author, 'note to self', 'private');
    expect((await comment(author, p.id, `secret for @${follower.handle}`)).statusCode).toBe(201);
    await t.drain();
    expect((await inbox(follower)).filter((n) => /mention/.test(n.type))).toEqual([]);
  });

  it('a reply on a followers-only post does not notify someone who can no longer see it', async () => {
    const [author, fan] = [await t.user(), await t.user()];
    await fan.req({ method: 'POST', url: `/api/v1/users/${author.id}/follow/` });
    const p = await post(author, 'for followers', 'followers');
    const c = (await comment(fan, p.id, 'first')).json();
    await fan.req({ method: 'DELETE', url: `/api/v1/users/${author.id}/follow/` });
    expect((await comment(author, p.id, 'private reply', c.id)).statusCode).toBe(201);
    await t.drain();
    expect((await inbox(fan)).filter((n) => n.type === 'reply')).toEqual([]);
    // Still following: the reply arrives.
    const [author2, fan2] = [await t.user(), await t.user()];
    await fan2.req({ method: 'POST', url: `/api/v1/users/${author2.id}/follow/` });
    const p2 = await post(author2, 'for followers', 'followers');
    const c2 = (await comment(fan2, p2.id, 'first')).json();
    await comment(author2, p2.id, 'reply', c2.id);
    await t.drain();
    expect((await inbox(fan2)).filter((n) => n.type === 'reply')).toHaveLength(1);
  });
});

describe('hole 3: search stays fresh', () => {
  it('a name changed through me/profile/ is searchable after the index jobs ran', async () => {
    const [u, viewer] = [await t.user(), await t.user()];
    const res = await u.req({ method: 'PATCH', url: '/api/v1/me/profile/', body: { first_name: 'Zebulon', last_name: 'Quixotic' } });
    expect(res.statusCode).toBe(200);
    await t.drain();
    expect(ids(await viewer.req({ url: '/api/v1/search/users/?q=Quixotic' }))).toContain(u.id);
  });

  it('a user reactivated when a suspension expires is searchable again', async () => {
    const [u, viewer] = [await t.user({ name: 'Rosalind Expiring' }), await t.user()];
    const e = (await enforce({ target_type: 'user', target_id: u.id, action: 'suspend', expires_at: new Date(Date.now() + 3600_000).toISOString() })).json();
    await t.drain();
    expect(ids(await viewer.req({ url: '/api/v1/search/users/?q=Expiring' }))).not.toContain(u.id);
    await t.ctx.db.update(enforcements).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(enforcements.id, e.id));
    await t.ctx.services.moderation.expireDue();
    await t.drain();
    expect(ids(await viewer.req({ url: '/api/v1/search/users/?q=Expiring' }))).toContain(u.id);
  });
});

describe('hole 4: moderators take content down (hide/remove) and lift it', () => {
  it('a hidden post: author sees hidden: true, staff 200, everyone else 404, gone from lists and search; lift restores; audited', async () => {
    const [author, other] = [await t.user(), await t.user()];
    const p = await post(author, 'takedown target zanzibar');
    await t.drain();
    const e = await enforce({ target_type: 'post', target_id: p.id, action: 'hide', reason: 'spam' });
    expect(e.statusCode).toBe(201);
    expect(e.json().action).toBe('hide');
    const mine = await author.req({ url: `/api/v1/posts/${p.id}/` });
    expect(mine.statusCode).toBe(200);
    expect(mine.json().hidden).toBe(true);
    expect((await staff.req({ url: `/api/v1/posts/${p.id}/` })).statusCode).toBe(200);
    expect((await other.req({ url: `/api/v1/posts/${p.id}/` })).statusCode).toBe(404);
    expect((await t.request({ url: `/api/v1/posts/${p.id}/` })).statusCode).toBe(404);
    expect((await t.request({ url: `/api/v1/posts/?author=${author.id}` })).json().results).toEqual([]);
    await t.drain();
    expect(ids(await other.req({ url: '/api/v1/search/posts/?q=zanzibar' }))).not.toContain(p.id);

    const l = await lift(e.json().id);
    expect(l.statusCode).toBe(200);
    expect(l.json().lifted_at).toMatch(/Z$/);
    expect((await other.req({ url: `/api/v1/posts/${p.id}/` })).json().hidden).toBe(false);
    expect((await lift(e.json().id)).statusCode).toBe(409);
    expect(await auditFor(e.json().id)).toEqual(['moderation.enforcement.created', 'moderation.enforcement.lifted']);
  });

  it('a removed comment is absent for others (list and detail), present for its author and staff', async () => {
    const [author, commenter, other] = [await t.user(), await t.user(), await t.user()];
    const p = await post(author, 'post');
    const c = (await comment(commenter, p.id, 'bad comment')).json();
    const e = (await enforce({ target_type: 'comment', target_id: c.id, action: 'remove' })).json();
    const list = async (u: TestUser) => (await u.req({ url: `/api/v1/comments/?post=${p.id}` })).json().results.map((x: { id: number }) => x.id);
    expect(await list(other)).toEqual([]);
    expect(await list(author)).toEqual([]);
    expect(await list(commenter)).toEqual([c.id]);
    expect(await list(staff)).toEqual([c.id]);
    expect((await other.req({ url: `/api/v1/comments/${c.id}/` })).statusCode).toBe(404);
    expect((await t.request({ url: `/api/v1/comments/${c.id}/` })).statusCode).toBe(404);
    expect((await commenter.req({ url: `/api/v1/comments/${c.id}/` })).json().hidden).toBe(true);
    expect((await staff.req({ url: `/api/v1/comments/${c.id}/` })).statusCode).toBe(200);
    await lift(e.id);
    expect(await list(other)).toEqual([c.id]);
  });

  it('a hidden DM is absent from messages/, sync, detail and the inbox last_message for the peer', async () => {
    const [x, y] = [await t.user(), await t.user()];
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json().id;
    await x.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th, body: 'fine' } });
    const bad = (await x.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th, body: 'abusive' } })).json();
    const e = (await enforce({ target_type: 'message', target_id: bad.id, action: 'hide' })).json();
    const bodies = (res: { json(): { results?: { body: string }[] } | { body: string }[] }) => {
      const j = res.json();
      return (Array.isArray(j) ? j : j.results!).map((m) => m.body);
    };
    expect(bodies(await y.req({ url: `/api/v1/messages/?thread=${th}` }))).toEqual(['fine']);
    expect(JSON.stringify((await y.req({ url: `/api/v1/threads/${th}/sync/` })).json())).not.toContain('abusive');
    expect((await y.req({ url: `/api/v1/messages/${bad.id}/` })).statusCode).toBe(404);
    const threads = (await y.req({ url: '/api/v1/threads/' })).json().results;
    expect(threads.find((x2: { id: number }) => x2.id === th).last_message.body).toBe('fine');
    // The sender keeps it.
    expect(bodies(await x.req({ url: `/api/v1/messages/?thread=${th}` }))).toContain('abusive');
    await lift(e.id);
    expect(bodies(await y.req({ url: `/api/v1/messages/?thread=${th}` }))).toContain('abusive');
  });

  it('hide/remove apply to content only; non-moderators get 403 before their body is validated', async () => {
    const u = await t.user();
    expect((await enforce({ target_type: 'user', target_id: u.id, action: 'hide' })).json().code).toBe('invalid_action_for_target');
    const nobody = await t.user();
    expect((await enforce({ garbage: true }, nobody)).statusCode).toBe(403);
    expect((await nobody.req({ method: 'POST', url: '/api/v1/moderation/admin/enforcements/1/lift/' })).statusCode).toBe(403);
    expect((await t.request({ method: 'POST', url: '/api/v1/moderation/admin/enforcements/1/lift/' })).statusCode).toBe(401);
    expect((await lift(999_999_999)).statusCode).toBe(404);
    // The moderation role works like staff.
    await t.ctx.db.update(usersTable).set({ roles: ['moderation_team'] }).where(eq(usersTable.id, nobody.id));
    expect((await nobody.req({ url: '/api/v1/moderation/enforcements/' })).statusCode).toBe(200);
  });
});

describe('leaks: sockets, reports', () => {
  it('post:/comment: subscriptions are dropped when the post turns private or its author blocks the watcher', async () => {
    const [author, watcher, other] = [await t.user(), await t.user(), await t.user()];
    const p = await post(author, 'live');
    const c = (await comment(author, p.id, 'live comment')).json();
    const w = await connect(gw.url(`token=${encodeURIComponent(watcher.token)}&channels=post:${p.id},comment:${c.id}`));
    const o = await connect(gw.url(`token=${encodeURIComponent(other.token)}&channels=post:${p.id}`));
    sockets.push(w, o);
    expect((await w.type('ack')).channels).toEqual([`post:${p.id}`, `comment:${c.id}`]);

    await author.req({ method: 'PATCH', url: `/api/v1/posts/${p.id}/`, body: { visibility: 'private' } });
    const dropped = [await w.next((f) => f.type === 'unsubscribed' && f.channel === `post:${p.id}`, 'post dropped'), await w.next((f) => f.type === 'unsubscribed' && f.channel === `comment:${c.id}`, 'comment dropped')];
    expect(dropped.map((f) => f.reason)).toEqual(['forbidden', 'forbidden']);

    // Blocks: a public post, the author blocks the watcher.
    const p2 = await post(author, 'live 2');
    const w2 = await connect(gw.url(`token=${encodeURIComponent(watcher.token)}&channels=post:${p2.id}`));
    sockets.push(w2);
    await author.req({ method: 'POST', url: `/api/v1/users/${watcher.id}/block/` });
    expect((await w2.next((f) => f.type === 'unsubscribed', 'dropped after block')).channel).toBe(`post:${p2.id}`);
  });

  it('reports on targets the reporter cannot see answer exactly like unknown targets', async () => {
    const [author, stranger] = [await t.user(), await t.user()];
    const secret = await post(author, 'private', 'private');
    const unknown = await stranger.req({ method: 'POST', url: '/api/v1/moderation/reports/', body: { target_type: 'post', target_id: 999_999_999, reason: 'x' } });
    const invisible = await stranger.req({ method: 'POST', url: '/api/v1/moderation/reports/', body: { target_type: 'post', target_id: secret.id, reason: 'x' } });
    expect(invisible.statusCode).toBe(unknown.statusCode);
    expect(invisible.json()).toEqual(unknown.json());
    const x = await t.user();
    const th = (await author.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: x.id } })).json().id;
    const m = (await author.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th, body: 'dm' } })).json();
    expect((await stranger.req({ method: 'POST', url: '/api/v1/moderation/reports/', body: { target_type: 'message', target_id: m.id, reason: 'x' } })).json()).toEqual(unknown.json());
    expect((await x.req({ method: 'POST', url: '/api/v1/moderation/reports/', body: { target_type: 'message', target_id: m.id, reason: 'x' } })).statusCode).toBe(201);
  });

  it('flags.online shows only to conversation peers, like presence frames', async () => {
    const [a, peer, stranger] = [await t.user(), await t.user(), await t.user()];
    await peer.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: a.id } });
    const s = await connect(gw.url(`token=${encodeURIComponent(a.token)}`));
    sockets.push(s);
    expect((await peer.req({ url: `/api/v1/users/${a.id}/` })).json().flags.online).toBe(true);
    expect((await stranger.req({ url: `/api/v1/users/${a.id}/` })).json().flags.online).toBe(false);
  });
});

describe('hole 8: bounded work', () => {
  it('follower ids come in pages', async () => {
    const star = await t.user();
    const fans = await Promise.all([t.user(), t.user(), t.user()]);
    for (const f of fans) await f.req({ method: 'POST', url: `/api/v1/users/${star.id}/follow/` });
    const pages: number[][] = [];
    for await (const page of t.ctx.services.users.followerIdPages(star.id, 2)) pages.push(page);
    expect(pages.map((p) => p.length)).toEqual([2, 1]);
    expect(pages.flat().sort()).toEqual(fans.map((f) => f.id).sort());
  });

  it("many users' follower ids: first pages together, a large audience's rest page by page", async () => {
    const [star, small, nobody] = [await t.user(), await t.user(), await t.user()];
    const fans = await Promise.all([t.user(), t.user(), t.user(), t.user(), t.user()]);
    for (const f of fans) await f.req({ method: 'POST', url: `/api/v1/users/${star.id}/follow/` });
    await fans[0].req({ method: 'POST', url: `/api/v1/users/${small.id}/follow/` });
    const pages: { userId: number; ids: number[] }[] = [];
    for await (const page of t.ctx.services.users.followerIdPagesOfMany([star.id, small.id, nobody.id, star.id], 2)) pages.push(page);
    const of = (id: number) => pages.filter((p) => p.userId === id).map((p) => p.ids);
    expect(of(star.id).map((p) => p.length)).toEqual([2, 2, 1]);
    expect(of(star.id).flat()).toEqual(fans.map((f) => f.id).sort((a, b) => a - b));
    expect(of(small.id)).toEqual([[fans[0].id]]);
    expect(of(nobody.id)).toEqual([]);
  });

  it('marking a long backlog read works and moves the pointer', async () => {
    const [x, y] = [await t.user(), await t.user()];
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json().id;
    for (let i = 0; i < 30; i++) await x.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th, body: `m${i}` } });
    const res = await y.req({ method: 'POST', url: `/api/v1/threads/${th}/read/` });
    expect(res.statusCode).toBe(200);
    const msgs = (await x.req({ url: `/api/v1/messages/?thread=${th}&page_size=100` })).json().results;
    expect(msgs.every((m: { status: string }) => m.status === 'read')).toBe(true);
  });
});

describe('leaks: database errors in the log', () => {
  it('a failed query is logged with its code and constraint, never its parameters', async () => {
    const { createLogger } = await import('../../src/platform/log.js');
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => void lines.push(l) } as never);
    const u = await t.user();
    const hash = 'pbkdf2_sha256$secret-hash-value';
    let err: unknown;
    try {
      await t.ctx.db.insert(usersTable).values({ email: u.email, handle: `dup${u.id}`, name: 'x', password: hash });
    } catch (e) {
      err = e;
    }
    expect(err).toBeDefined();
    log.error({ err }, 'unhandled error');
    const out = lines.join('');
    expect(out).toContain('23505');
    expect(out).not.toContain(u.email);
    expect(out).not.toContain(hash);
  });
});
