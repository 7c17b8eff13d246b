import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_JWT_KEY, type TestApp, type TestUser } from '../support/app.js';
import { TokenSigner } from '../../src/platform/auth/tokens.js';
import { Client, connect, startGateway, type Frame } from './ws-client.js';

const PUBLISH_TOKEN = 'publish-secret-0123456789';
let t: TestApp;
let gw: Awaited<ReturnType<typeof startGateway>>;
let a: TestUser;
let b: TestUser;
const open: Client[] = [];
// Real posts and a comment by b, made over HTTP: channel checks go through the social module's own wiring.
let publicPost: number;
let privatePost: number;
let publicComment: number;
let privateComment: number;

beforeAll(async () => {
  t = await createTestApp({ REALTIME_PUBLISH_TOKEN: PUBLISH_TOKEN, REALTIME_MAX_SOCKETS_PER_USER: '3' });
  gw = await startGateway(t.ctx);
  [a, b] = await Promise.all([t.user(), t.user()]);
  const postAs = async (visibility: string) => (await b.req({ method: 'POST', url: '/api/v1/posts/', body: { text: `a ${visibility} post`, visibility } })).json().id as number;
  const commentOn = async (post: number) => (await b.req({ method: 'POST', url: '/api/v1/comments/', body: { post: String(post), text: 'a comment' } })).json().id as number;
  [publicPost, privatePost] = [await postAs('public'), await postAs('private')];
  [publicComment, privateComment] = [await commentOn(publicPost), await commentOn(privatePost)];
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await gw?.app.close();
  await t?.close();
});

const sock = async (u: TestUser, channels = '') => {
  const c = await connect(gw.url(`token=${encodeURIComponent(u.token)}${channels ? `&channels=${encodeURIComponent(channels)}` : ''}`));
  open.push(c);
  return c;
};
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
const publish = (body: unknown, token = PUBLISH_TOKEN) =>
  fetch(`${gw.base}/internal/publish`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });

describe('authentication', () => {
  const refused = async (token: string) => {
    const c = new Client(gw.url(`token=${encodeURIComponent(token)}`));
    const closed = await c.closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason.toLowerCase()).toContain('unauthorized');
    expect(c.frames).toEqual([]); // refused before any data
    return closed;
  };

  it('refuses a refresh token', async () => {
    const u = await t.user();
    await refused(u.refreshToken);
  });

  it('refuses an expired access token', async () => {
    const u = await t.user();
    const expired = await new TokenSigner(TEST_JWT_KEY, -60, 60).sign('access', u.id, claimsOf(u.token).sid);
    expect((await refused(expired)).reason).toMatch(/expired/);
  });

  it('refuses a revoked session, a missing token and garbage', async () => {
    const u = await t.user();
    await t.ctx.services.users.revokeSession(claimsOf(u.token).sid);
    await refused(u.token);
    await refused('');
    await refused('not.a.jwt');
  });

  it('refuses a suspended user', async () => {
    const u = await t.user();
    await t.ctx.services.users.setActive(u.id, false);
    await refused(u.token);
  });

  it('closes live sockets when the session is revoked (logout), with a non-auth reason', async () => {
    const u = await t.user();
    const c = await sock(u);
    await t.ctx.services.users.revokeSession(claimsOf(u.token).sid);
    const closed = await c.closed;
    expect(closed.code).toBe(4000);
    expect(closed.reason).not.toMatch(/unauthorized/i);
  });
});

describe('suspension', () => {
  it('closes every live socket of a suspended user', async () => {
    const u = await t.user();
    const [s1, s2] = [await sock(u), await sock(u)];
    await t.ctx.services.users.setActive(u.id, false);
    expect((await s1.closed).code).toBe(4000);
    expect((await s2.closed).code).toBe(4000);
  });
});

describe('frames', () => {
  it('acks the connection and answers ping with pong', async () => {
    const c = await sock(a);
    expect(c.frames[0]).toMatchObject({ type: 'ack', status: 'connected', user_id: a.id, channels: [] });
    c.send({ type: 'ping' });
    await c.type('pong');
  });

  it('survives malformed, binary, oversized and unknown frames; clients cannot publish for others', async () => {
    const c = await sock(a);
    const other = await sock(b);
    c.send('not json {');
    c.send(Buffer.from([0, 1, 2, 3]));
    c.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(10_000) }));
    c.send({ type: 'message', thread_id: 1, message_id: 1, sender_id: b.id, body: 'spoof' });
    c.send({ type: 'presence', user_id: b.id, status: 'online' });
    c.send({ type: 'ping' });
    await c.type('pong');
    const errors = c.frames.filter((f) => f.type === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(3);
    for (const e of errors) expect(JSON.stringify(e)).not.toMatch(/unauthorized|expired token/i);
    // Nothing reached b: its next frame is its own pong.
    other.send({ type: 'ping' });
    await other.type('pong');
    expect(other.frames.map((f) => f.type)).toEqual(['ack', 'pong']);
  });

  it('caps sockets per user: the oldest is closed', async () => {
    const u = await t.user();
    const first = await sock(u);
    await sock(u);
    await sock(u);
    await sock(u);
    expect((await first.closed).code).toBe(4008);
  });
});

describe('channels', () => {
  it('subscribes only to channels the user may see; unknown prefixes are ignored silently', async () => {
    const c = await sock(a, `post:${privatePost},post:${publicPost},bogus:1,user:${b.id},post:abc,post:999999999,comment:${privateComment},comment:${publicComment}`);
    expect(c.frames[0].channels).toEqual([`post:${publicPost}`, `comment:${publicComment}`]);
    // The author may watch their own private post.
    const own = await sock(b, `post:${privatePost}`);
    expect(own.frames[0].channels).toEqual([`post:${privatePost}`]);
    expect((await publish({ channel: `post:${privatePost}`, payload: { type: 'gift.received', id: 1 } })).status).toBe(200);
    expect((await own.type('gift.received')).id).toBe(1);
    expect((await publish({ channel: `post:${publicPost}`, payload: { type: 'gift.received', id: 2 } })).status).toBe(200);
    const got = await c.type('gift.received');
    expect(got.id).toBe(2);
    expect(c.frames.filter((f: Frame) => f.type === 'gift.received').map((f) => f.id)).toEqual([2]);
    expect(c.frames.some((f) => f.type === 'error')).toBe(false);
  });

  it('/internal/publish checks the token, channel and type', async () => {
    expect((await publish({ channel: 'post:1', payload: { type: 'gift.received' } }, 'wrong')).status).toBe(403);
    const none = await fetch(`${gw.base}/internal/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBe(401);
    expect((await publish({ channel: 'user:1', payload: { type: 'gift.received' } })).status).toBe(400);
    expect((await publish({ channel: 'post:1', payload: { type: 'message:new' } })).status).toBe(400);
    expect((await publish({ channel: 'post:1', type: 'gift.received', payload: {} })).status).toBe(200);
    expect((await publish({ channel: 'post:1' })).status).toBe(400);
    expect((await publish('nope')).status).toBe(400);
  });

  it('exposes gauges for sockets and channels', async () => {
    const text = await t.ctx.metrics.registry.metrics();
    expect(text).toMatch(/realtime_connected_sockets \d+/);
    expect(text).toMatch(/realtime_subscribed_channels \d+/);
  });
});

describe('messaging events', () => {
  it('delivers message:new with client_uuid to every member; status to the sender; typing to the others', async () => {
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const sx = await sock(x);
    const sy = await sock(y);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json();
    const sent = await x.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: String(th.id), body: 'hi y', client_uuid: 'uuid-ws-1' } });
    expect(sent.statusCode).toBe(201);
    const onY = await sy.type('message:new');
    expect(onY.payload.message).toMatchObject({ id: sent.json().id, body: 'hi y', client_uuid: 'uuid-ws-1', thread: th.id });
    expect(onY.message.client_uuid).toBe('uuid-ws-1');
    expect(onY.thread_id).toBe(th.id);
    expect((await sx.type('message:new')).message.client_uuid).toBe('uuid-ws-1');

    await y.req({ method: 'POST', url: `/api/v1/messages/${sent.json().id}/ack/`, body: { status: 'delivered' } });
    const st = await sx.type('message:status');
    expect(st).toMatchObject({ status: 'delivered', message_id: String(sent.json().id), thread_id: th.id, client_uuid: 'uuid-ws-1' });

    await x.req({ method: 'POST', url: `/api/v1/threads/${th.id}/typing/`, body: { is_typing: true } });
    const typing = await sy.type('typing');
    expect(typing).toMatchObject({ thread_id: th.id, user_id: x.id, is_typing: true, user_handle: x.handle });
  });

  it('does not echo a reaction to the reacting user', async () => {
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const sx = await sock(x);
    const sy = await sock(y);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json();
    const m = (await y.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th.id, body: 'react to me', client_uuid: 'r-1' } })).json();
    const r = await x.req({ method: 'POST', url: `/api/v1/messages/${m.id}/reactions/`, body: { emoji: '❤️' } });
    expect(r.json().action).toBe('added');
    const onY = await sy.type('message:reaction');
    expect(onY).toMatchObject({ message_id: String(m.id), emoji: '❤️', user_id: x.id, action: 'added', thread_id: th.id });
    // A later event on x's channel proves the reaction, published earlier, never came to x.
    const later = (await y.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th.id, body: 'after', client_uuid: 'r-2' } })).json();
    await sx.next((f) => f.type === 'message:new' && f.message.id === later.id, 'later message');
    expect(sx.frames.some((f) => f.type === 'message:reaction')).toBe(false);
  });

  it('tells remaining members when someone leaves', async () => {
    const [x, y, z] = await Promise.all([t.user(), t.user(), t.user()]);
    const sy = await sock(y);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/', body: { participant_ids: [y.id, z.id], title: 'g' } })).json();
    await z.req({ method: 'POST', url: `/api/v1/threads/${th.id}/leave/`, body: {} });
    expect(await sy.type('member_left')).toMatchObject({ thread_id: th.id, user_id: z.id });
  });
});
