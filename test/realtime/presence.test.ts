// Presence: a user's first socket makes them online for the people they talk to (a `presence`
// frame and `flags.online`), and closing the last socket makes them offline again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
import { connect, startGateway, type Client } from './ws-client.js';
import { FANOUT_MIN } from '../../src/realtime/service.js';

let t: TestApp;
let gw: Awaited<ReturnType<typeof startGateway>>;
let a: TestUser;
let b: TestUser;
let stranger: TestUser;
const open: Client[] = [];

beforeAll(async () => {
  t = await sharedTestApp();
  gw = await startGateway(t.ctx);
  [a, b, stranger] = await Promise.all([t.user(), t.user(), t.user()]);
  await a.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: String(b.id) } });
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await gw?.app.close();
  await t?.close();
});

const sock = async (u: TestUser) => {
  const c = await connect(gw.url(`token=${encodeURIComponent(u.token)}`));
  open.push(c);
  return c;
};
const onlineFlag = async (viewer: TestUser, target: TestUser) => (await viewer.req({ url: `/api/v1/users/${target.id}/` })).json().flags.online;

describe('presence', () => {
  it('announces online/offline to conversation peers only, and shows it in flags.online', async () => {
    const bSock = await sock(b);
    const strangerSock = await sock(stranger);
    expect(await onlineFlag(b, a)).toBe(false);

    const first = await sock(a);
    const second = await sock(a);
    const on = await bSock.next((f) => f.type === 'presence' && f.user_id === a.id && f.online === true, 'a online');
    expect(on.status).toBe('online');
    expect(await onlineFlag(b, a)).toBe(true);
    expect((await a.req({ url: '/api/v1/users/me/' })).json().flags.online).toBe(true);

    // One of two sockets closing keeps the user online; the last one ends it.
    await first.close();
    expect(await onlineFlag(b, a)).toBe(true);
    await second.close();
    const off = await bSock.next((f) => f.type === 'presence' && f.user_id === a.id && f.online === false, 'a offline');
    expect(off.status).toBe('offline');
    expect(await onlineFlag(b, a)).toBe(false);
    // Someone who shares no thread with a hears nothing about them.
    expect(strangerSock.frames.some((f) => f.type === 'presence' && f.user_id === a.id)).toBe(false);
    expect(bSock.frames.filter((f) => f.type === 'presence' && f.user_id === a.id && f.online === true)).toHaveLength(1);
  });

  it("shows an online author as online on post pages to their conversation peers only, each viewer in one batch", async () => {
    const post = (await a.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'presence on a page' } })).json().id;
    // b and the stranger read the same page in one turn: one statement answers both (turnBatch).
    const authorOnline = async () =>
      (await Promise.all([b, stranger].map((v) => v.req({ url: `/api/v1/posts/?author=${a.id}` })))).map((r) => r.json().results.find((p: { id: number }) => p.id === post).author.flags.online);
    expect(await authorOnline()).toEqual([false, false]);
    const bSock = await sock(b);
    const aSock = await sock(a);
    await bSock.next((f) => f.type === 'presence' && f.user_id === a.id && f.online === true, 'a online');
    expect(await authorOnline()).toEqual([true, false]);
    await aSock.close();
    await bSock.next((f) => f.type === 'presence' && f.user_id === a.id && f.online === false, 'a offline');
    expect(await authorOnline()).toEqual([false, false]);
  });

  it(`reaches a big group (${FANOUT_MIN}+ members, one fan-out message) exactly once per socket, and no one outside it`, async () => {
    const members = await Promise.all(Array.from({ length: FANOUT_MIN + 4 }, () => t.user()));
    const [owner, m1, m2] = members;
    const made = await owner.req({ method: 'POST', url: '/api/v1/threads/', body: { title: 'Big', participant_ids: members.slice(1).map((u) => u.id) } });
    expect(made.statusCode).toBe(201);
    const [s1, s2, outside] = await Promise.all([sock(m1), sock(m2), sock(stranger)]);
    // m2's first socket is a presence change for the whole group, m1 included.
    await s1.next((f) => f.type === 'presence' && f.user_id === m2.id && f.online === true, 'm2 online');
    const sent = await owner.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: made.json().id, body: 'to all', client_uuid: 'big-1' } });
    expect(sent.statusCode).toBe(201);
    for (const s of [s1, s2]) await s.next((f) => f.type === 'message:new' && f.message?.client_uuid === 'big-1', 'group message');
    // A later frame on the same sockets proves nothing else was still on its way.
    await owner.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: made.json().id, body: 'again', client_uuid: 'big-2' } });
    for (const s of [s1, s2]) await s.next((f) => f.type === 'message:new' && f.message?.client_uuid === 'big-2', 'second message');
    for (const s of [s1, s2]) expect(s.frames.filter((f) => f.type === 'message:new' && f.message?.client_uuid === 'big-1')).toHaveLength(1);
    expect(s1.frames.filter((f) => f.type === 'presence' && f.user_id === m2.id && f.online === true)).toHaveLength(1);
    expect(outside.frames.some((f) => f.type === 'message:new' || (f.type === 'presence' && members.some((u) => u.id === f.user_id)))).toBe(false);
  });
});
