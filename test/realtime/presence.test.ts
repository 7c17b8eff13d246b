// Presence: a user's first socket makes them online for the people they talk to (a `presence`
// frame and `flags.online`), and closing the last socket makes them offline again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { connect, startGateway, type Client } from './ws-client.js';

let t: TestApp;
let gw: Awaited<ReturnType<typeof startGateway>>;
let a: TestUser;
let b: TestUser;
let stranger: TestUser;
const open: Client[] = [];

beforeAll(async () => {
  t = await createTestApp();
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
});
