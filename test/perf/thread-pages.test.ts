// Rendered thread lists (threads/ in the page cache: src/platform/pages.ts, docs/perf.md): a warm list
// costs no query, and every write that changes a list drops it, read right after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { countQueries } from '../../src/platform/db/query-count.js';
import { sessionCacheOf } from '../../src/modules/users/session-cache.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PAGE_CACHE_TTL_MS: '60000', SESSION_CACHE_TTL_MS: '60000', RATE_LIMITS_ENABLED: 'false' });
  await Promise.all([t.ctx.pages.subscribed(), sessionCacheOf(t.ctx).subscribed()]);
}, 60_000);
afterAll(async () => t?.close());

type Thread = { id: number; last_message: { body: string } | null; unread_count: number; members: { user_id: number; updated_at: string }[]; participants: { id: number; name: string }[] };
const THREADS = '/api/v1/threads/';
const ok = async (p: Promise<{ statusCode: number }>) => expect((await p).statusCode).toBeLessThan(300);
const read = async (u: TestUser, url = THREADS) => {
  const res = await u.req({ url });
  expect(res.statusCode).toBe(200);
  return res;
};
const threadsOf = async (u: TestUser, url = THREADS) => (await read(u, url)).json().results as Thread[];
const threadIn = async (u: TestUser, id: number) => (await threadsOf(u)).find((th) => th.id === id);
const idsOn = async (u: TestUser, url: string) => (await threadsOf(u, url)).map((th) => th.id);
const send = async (u: TestUser, threadId: number, body: string) => {
  const res = await u.req({ method: 'POST', url: `/api/v1/threads/${threadId}/messages/`, body: { body } });
  expect(res.statusCode).toBe(201);
  return res.json().id as number;
};
const direct = async (from: TestUser, to: TestUser) => (await from.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: to.id } })).json().id as number;

/** A viewer and a peer in a direct thread with one message from the peer; the viewer's list cached. */
async function inbox() {
  const [viewer, peer] = await Promise.all([t.user(), t.user()]);
  const threadId = await direct(peer, viewer);
  const messageId = await send(peer, threadId, 'first');
  await t.drain();
  const first = await read(viewer);
  const again = await countQueries(() => read(viewer));
  expect(again.queries).toBe(0);
  expect(again.result.body).toBe(first.body);
  expect((await threadIn(viewer, threadId))?.last_message?.body).toBe('first');
  return { viewer, peer, threadId, messageId };
}

describe('rendered thread lists', () => {
  it('show a message someone else sent: last message, unread count, and its thread first', async () => {
    const { viewer, peer, threadId } = await inbox();
    const newer = await direct(await t.user(), viewer);
    const top = `${THREADS}?page_size=1`;
    expect(await idsOn(viewer, top)).toEqual([newer]);
    expect(await idsOn(viewer, top)).toEqual([newer]); // cached, without the older thread or its members
    await send(peer, threadId, 'second');
    expect(await idsOn(viewer, top)).toEqual([threadId]);
    const th = await threadIn(viewer, threadId);
    expect([th?.last_message?.body, th?.unread_count]).toEqual(['second', 2]);
  });

  it('show an edit and a deletion of the last message, and a moderation hide', async () => {
    const { viewer, peer, threadId, messageId } = await inbox();
    await ok(peer.req({ method: 'PATCH', url: `/api/v1/messages/${messageId}/`, body: { body: 'edited' } }));
    expect((await threadIn(viewer, threadId))?.last_message?.body).toBe('edited');
    const second = await send(peer, threadId, 'second');
    expect((await threadIn(viewer, threadId))?.last_message?.body).toBe('second');
    await ok(peer.req({ method: 'DELETE', url: `/api/v1/messages/${second}/` }));
    expect((await threadIn(viewer, threadId))?.last_message?.body).toBe('edited');
    const before = (await threadIn(viewer, threadId))!;
    expect(await t.ctx.services.messaging.hideMessage(messageId)).toBe(true);
    expect(await threadIn(viewer, threadId)).not.toEqual(before);
  });

  it("show a member reading the thread (their read time) and the viewer's own unread count", async () => {
    const { viewer, peer, threadId } = await inbox();
    await send(viewer, threadId, 'reply');
    const stamp = async () => (await threadIn(viewer, threadId))?.members.find((m) => m.user_id === peer.id)?.updated_at;
    const before = await stamp();
    await ok(peer.req({ method: 'POST', url: `/api/v1/threads/${threadId}/read/`, body: {} }));
    expect(await stamp()).not.toBe(before);
    expect((await threadIn(viewer, threadId))?.unread_count).toBe(1);
    await ok(viewer.req({ method: 'POST', url: `/api/v1/threads/${threadId}/read/`, body: {} }));
    expect((await threadIn(viewer, threadId))?.unread_count).toBe(0);
  });

  it("show threads others start with the viewer, a member leaving, and a member's rename", async () => {
    const { viewer, peer, threadId } = await inbox();
    const [a, b, c] = await Promise.all([t.user(), t.user(), t.user()]);
    const withC = await direct(c, viewer);
    expect((await threadIn(viewer, withC))?.participants.map((p) => p.id)).toEqual([c.id]);
    const group = (await a.req({ method: 'POST', url: '/api/v1/threads/', body: { participant_ids: [viewer.id, b.id], is_group: true, title: 'g' } })).json().id as number;
    expect((await threadIn(viewer, group))?.participants.map((p) => p.id).sort()).toEqual([a.id, b.id].sort());
    await ok(b.req({ method: 'POST', url: `/api/v1/threads/${group}/leave/`, body: {} }));
    expect((await threadIn(viewer, group))?.participants.map((p) => p.id)).toEqual([a.id]);
    await ok(peer.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { name: 'Peer Renamed' } }));
    expect((await threadIn(viewer, threadId))?.participants[0].name).toBe('Peer Renamed');
  });
});
