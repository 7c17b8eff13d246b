// The sends that arrive in one turn (text, no reply) are one statement (src/modules/messaging/send-statement.ts):
// each send is still decided on its own (membership, blocks, the recipient's policy), each message
// written once with one message.created carrying its recipients, and a client_uuid sent twice in the
// same turn is one message.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { countQueries } from '../../src/platform/db/query-count.js';

let t: TestApp;
let a: TestUser;
let b: TestUser;
let c: TestUser;
let blocker: TestUser;
let direct: number;
let group: number;
let blockedThread: number;
let othersThread: number;

beforeAll(async () => {
  t = await createTestApp();
  [a, b, c, blocker] = await Promise.all([t.user(), t.user(), t.user(), t.user()]);
  const messaging = t.ctx.services.messaging;
  direct = (await messaging.getOrCreateDirect(a.id, b.id)).thread.id;
  group = (await messaging.createThread(c.id, { participantIds: [a.id, b.id], isGroup: true, title: 'three' })).thread.id;
  blockedThread = (await messaging.getOrCreateDirect(a.id, blocker.id)).thread.id;
  othersThread = (await messaging.getOrCreateDirect(b.id, c.id)).thread.id;
  expect((await blocker.req({ method: 'POST', url: `/api/v1/users/${a.id}/block/` })).statusCode).toBe(200);
  await t.drain();
});
afterAll(async () => t?.close());

let n = 0;
const uuid = () => `batch-${++n}`;
const eventsOf = async (ids: number[]) =>
  (
    await t.ctx.db.execute<{ message_id: string; recipients: number[] }>(
      sql`select payload->>'messageId' as message_id, payload->'recipientIds' as recipients from outbox where name = 'message.created' and (payload->>'messageId')::bigint = any(${`{${ids.join(',')}}`}::bigint[]) order by id`,
    )
  ).rows.map((r) => ({ id: Number(r.message_id), recipients: r.recipients.map(Number) }));

it('sends of one turn: as few queries as one send, each decided and answered on its own', async () => {
  const messaging = t.ctx.services.messaging;
  // warm: the users' cached rows, as in a busy process
  await messaging.send(direct, a.id, { body: 'warm', clientUuid: uuid() });
  const alone = await countQueries(() => messaging.send(direct, b.id, { body: 'alone', clientUuid: uuid() }));
  const twice = uuid();
  const asked = [
    { thread: direct, sender: a, body: 'to b', clientUuid: uuid() },
    { thread: group, sender: b, body: 'to the group', clientUuid: uuid() },
    { thread: direct, sender: b, body: 'back to a', clientUuid: uuid() },
    { thread: group, sender: c, body: 'again, twice', clientUuid: twice },
    { thread: direct, sender: a, body: 'without a client_uuid', clientUuid: null },
  ];
  const together = await countQueries(() => Promise.all(asked.map((s) => messaging.send(s.thread, s.sender.id, { body: s.body, clientUuid: s.clientUuid }))));
  expect(together.queries).toBe(alone.queries);
  const sent = together.result;
  expect(sent.map((s) => [s.message.threadId, s.message.senderId, s.message.body, s.message.clientUuid, s.created])).toEqual(asked.map((s) => [s.thread, s.sender.id, s.body, s.clientUuid, true]));
  expect(new Set(sent.map((s) => s.message.id)).size).toBe(5);
  const events = await eventsOf(sent.map((s) => s.message.id));
  expect(events).toEqual([
    { id: sent[0].message.id, recipients: [b.id] },
    { id: sent[1].message.id, recipients: [a.id, c.id].sort((x, y) => x - y) },
    { id: sent[2].message.id, recipients: [a.id] },
    { id: sent[3].message.id, recipients: [a.id, b.id].sort((x, y) => x - y) },
    { id: sent[4].message.id, recipients: [b.id] },
  ]);
  await t.drain();
});

it('a refused send fails alone, a statement PostgreSQL refuses too, and a client_uuid sent twice in one turn is one message', async () => {
  const messaging = t.ctx.services.messaging;
  const same = uuid();
  const result = await Promise.allSettled([
    messaging.send(direct, a.id, { body: 'kept', clientUuid: uuid() }),
    messaging.send(blockedThread, a.id, { body: 'blocked', clientUuid: uuid() }),
    messaging.send(othersThread, a.id, { body: 'not a member', clientUuid: uuid() }),
    messaging.send(group, a.id, { body: 'retried', clientUuid: same }),
    messaging.send(group, a.id, { body: 'retried', clientUuid: same }),
    // PostgreSQL refuses a NUL in text: the whole statement fails, and each send runs again alone
    messaging.send(direct, a.id, { body: 'nul \u0000 byte', clientUuid: uuid() }),
  ]);
  expect(result.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled', 'rejected']);
  const [kept, blocked, outside, first, retry] = result;
  expect(blocked.status === 'rejected' && (blocked.reason as { status?: number }).status).toBe(400);
  expect(outside.status === 'rejected' && (outside.reason as { status?: number }).status).toBe(404);
  if (kept.status !== 'fulfilled' || first.status !== 'fulfilled' || retry.status !== 'fulfilled') throw new Error('unreachable');
  expect(kept.value.created).toBe(true);
  // (one of the two: run again alone, side by side, either may come first)
  expect([first.value.created, retry.value.created].sort()).toEqual([false, true]);
  expect(retry.value.message.id).toBe(first.value.message.id);
  const { rows } = await t.ctx.db.execute<{ n: number }>(
    sql`select count(*)::int as n from msg_messages where sender_id = ${a.id} and body in ('blocked', 'not a member', 'retried')`,
  );
  expect(rows[0].n).toBe(1);
  expect((await eventsOf([kept.value.message.id, first.value.message.id])).map((e) => e.id)).toEqual([kept.value.message.id, first.value.message.id]);
  await t.drain();
});

it('over HTTP: sends together into one thread are all stored, each answer its own message', async () => {
  const res = await Promise.all(Array.from({ length: 5 }, (_, i) => a.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: String(direct), body: `together ${i}`, client_uuid: uuid() } })));
  expect(res.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
  expect(res.map((r) => r.json().body)).toEqual(Array.from({ length: 5 }, (_, i) => `together ${i}`));
  const ids = res.map((r) => r.json().id as number);
  expect(new Set(ids).size).toBe(5);
  const listed = (await b.req({ url: `/api/v1/messages/?thread=${direct}&page_size=50` })).json() as { results: { id: number }[] };
  const listedIds = listed.results.map((m) => m.id);
  for (const id of ids) expect(listedIds).toContain(id);
  await t.drain();
});
