// Two instances (API + gateway each) on one PostgreSQL database and one Redis prefix:
// a message sent through instance A's REST API reaches a socket held by instance B.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { SERVER_MODE } from '../support/mode.js';
import { createPlatform } from '../../src/platform/index.js';
import { createContext } from '../../src/modules/index.js';
import { createLogger } from '../../src/platform/log.js';
import type { Ctx } from '../../src/context.js';
import { connect, startGateway, type Client } from './ws-client.js';

describe.skipIf(!SERVER_MODE)('fan-out across instances (server mode)', () => {
  let t: TestApp;
  let ctxB: Ctx;
  let gwB: Awaited<ReturnType<typeof startGateway>>;
  const sockets: Client[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    // Instance B: its own platform (pool, Redis connections, pub/sub subscriber) on the same config.
    ctxB = createContext(await createPlatform(t.ctx.config, { log: createLogger('silent') }));
    gwB = await startGateway(ctxB);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await gwB?.app.close();
    await ctxB?.close();
    await t?.close();
  });

  it('delivers message:new sent via A to the recipient socket on B', async () => {
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const sy = await connect(gwB.url(`token=${encodeURIComponent(y.token)}`));
    sockets.push(sy);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json().id;
    const sent = await x.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th, body: 'across', client_uuid: 'multi-1' } });
    expect(sent.statusCode).toBe(201);
    const f = await sy.type('message:new');
    expect(f.message).toMatchObject({ id: sent.json().id, body: 'across', client_uuid: 'multi-1' });
  });

  it('delivers a big group\'s message (one fan-out message) to member sockets on B', async () => {
    const members = await Promise.all(Array.from({ length: 20 }, () => t.user()));
    const s = await connect(gwB.url(`token=${encodeURIComponent(members[5].token)}`));
    sockets.push(s);
    const th = (await members[0].req({ method: 'POST', url: '/api/v1/threads/', body: { title: 'Many', participant_ids: members.slice(1).map((u) => u.id) } })).json().id;
    const sent = await members[0].req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th, body: 'to many', client_uuid: 'multi-group-1' } });
    expect(sent.statusCode).toBe(201);
    expect((await s.next((f) => f.type === 'message:new' && f.message?.client_uuid === 'multi-group-1', 'group message on B')).message.id).toBe(sent.json().id);
  });

  it('a logout on A closes the socket held by B', async () => {
    const u = await t.user();
    const s = await connect(gwB.url(`token=${encodeURIComponent(u.token)}`));
    const sid = JSON.parse(Buffer.from(u.token.split('.')[1], 'base64url').toString()).sid;
    await t.ctx.services.users.revokeSession(sid);
    expect((await s.closed).code).toBe(4000);
  });
});
