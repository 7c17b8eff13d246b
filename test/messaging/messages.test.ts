import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { itServer } from '../support/server-only.js';
import { and, eq, sql } from 'drizzle-orm';
import { outbox } from '../../src/platform/outbox/schema.js';
import { messages } from '../../src/modules/messaging/schema.js';

let t: TestApp;
let a: TestUser;
let b: TestUser;
let outsider: TestUser;
let thread: number;
beforeAll(async () => {
  t = await createTestApp();
  [a, b, outsider] = await Promise.all([t.user(), t.user(), t.user()]);
  thread = (await a.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: b.id } })).json().id;
});
afterAll(async () => t?.close());

let n = 0;
const send = (u: TestUser, body: Record<string, unknown>, th = thread) =>
  u.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: String(th), client_uuid: `c-${++n}`, ...body } });

// A PNG signature and IHDR chunk: an image is accepted only when its size can be read.
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452000000100000001008060000001ff3ff61', 'hex'), Buffer.alloc(64, 1)]);
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(64, 2)]);

function multipart(fields: Record<string, string>, files: { name: string; filename: string; type: string; data: Buffer }[]) {
  const boundary = '----sltest' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: ${f.type}\r\n\r\n`));
    parts.push(f.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('sending', () => {
  it('creates a message shaped as W-Message, echoing client_uuid, status sent', async () => {
    const r = await send(a, { body: '  hello  ', client_uuid: 'uuid-shape' });
    expect(r.statusCode).toBe(201);
    const m = r.json();
    expect(m).toMatchObject({ thread, body: 'hello', type: 'text', meta: {}, status: 'sent', client_uuid: 'uuid-shape', delivered_at: null, read_at: null, reply_to: null, attachments: [], reactions: [] });
    expect(m.sender).toMatchObject({ id: a.id, handle: a.handle });
    expect(typeof m.id).toBe('number');
    expect(m.created_at).toMatch(/Z$/);
  });

  // One body, retried one after another (both modes) and all at once (server mode).
  const oncePerUuid = (uuid: string, together: boolean) => async () => {
    const retry = () => send(a, { body: 'once', client_uuid: uuid });
    const results = together ? await Promise.all(Array.from({ length: 6 }, retry)) : [];
    if (!together) for (let i = 0; i < 6; i++) results.push(await retry());
    const ids = new Set(results.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(5);
    for (const r of results) expect(r.json().client_uuid).toBe(uuid);
    const list = (await a.req({ url: `/api/v1/messages/?thread=${thread}&page_size=100` })).json().results;
    expect(list.filter((m: { client_uuid: string }) => m.client_uuid === uuid)).toHaveLength(1);
    // The send and its event are one statement: a retry that lost the race wrote no event either.
    const events = await t.ctx.db.select().from(outbox).where(and(eq(outbox.name, 'message.created'), sql`(${outbox.payload}->>'messageId')::bigint = ${[...ids][0]}`));
    expect(events.map((e) => e.payload)).toEqual([{ messageId: [...ids][0], threadId: thread, senderId: a.id, recipientIds: [b.id], body: 'once' }]);
  };
  it('is idempotent per (thread, sender, client_uuid) over retries', oncePerUuid('dup-uuid', false));
  itServer('is idempotent per (thread, sender, client_uuid) under concurrent retries', oncePerUuid('dup-uuid-2', true));

  it('never hands one sender\'s message to another sender reusing the uuid', async () => {
    const mine = (await send(a, { body: 'from a', client_uuid: 'shared-uuid' })).json();
    const theirs = await send(b, { body: 'from b', client_uuid: 'shared-uuid' });
    expect(theirs.statusCode).toBe(201);
    expect(theirs.json().id).not.toBe(mine.id);
    expect(theirs.json().body).toBe('from b');
  });

  it('ids increase monotonically', async () => {
    const x = (await send(a, { body: '1' })).json().id;
    const y = (await send(b, { body: '2' })).json().id;
    expect(y).toBeGreaterThan(x);
  });

  it('supports replies with a preview, only within the same thread', async () => {
    const long = 'y'.repeat(130);
    const orig = (await send(b, { body: long })).json();
    const reply = await send(a, { body: 'answer', reply_to_message_id: String(orig.id) });
    expect(reply.statusCode).toBe(201);
    expect(reply.json().reply_to).toEqual({ id: String(orig.id), sender_id: b.id, text_preview: `${'y'.repeat(117)}...`, has_attachments: false });
    const other = (await a.req({ method: 'POST', url: '/api/v1/threads/', body: { participant_ids: [b.id, outsider.id], title: 'g' } })).json().id;
    const cross = await send(a, { body: 'x', reply_to_message_id: orig.id }, other);
    expect(cross.statusCode).toBe(400);
    expect(cross.json()).toEqual({ reply_to_message_id: ['Must reply within the same thread.'] });
    expect((await send(a, { body: 'x', reply_to_message_id: 999_999_999 })).statusCode).toBe(400);
  });

  it.each([
    [{ body: 'x'.repeat(10_001) }, 400],
    [{ body: 5 }, 400],
    [{ body: 'x', client_uuid: 'u'.repeat(65) }, 400],
    [{ body: 'x', thread: 'abc' }, 400],
    [{ body: 'x', thread: 999_999_999 }, 404],
    [{ body: 'x', type: 'system' }, 400],
    [{ body: 'x', unknown: 1 }, 400],
    [{ body: '   ' }, 400],
  ])('rejects bad input %j', async (body, code) => {
    expect((await send(a, body)).statusCode).toBe(code);
  });

  it('hides threads from non-members (404)', async () => {
    expect((await send(outsider, { body: 'let me in' })).statusCode).toBe(404);
    expect((await outsider.req({ url: `/api/v1/messages/?thread=${thread}` })).statusCode).toBe(404);
  });

  it('refuses sending into a direct thread after a block (400 with code)', async () => {
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json().id;
    await t.ctx.services.users.block(y.id, x.id);
    const r = await send(x, { body: 'hi' }, th);
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('messaging_blocked');
  });

  // A plain text send is decided by its own statement (membership and the users module's refusal):
  // every refusal, read as it is when the send is made, writes neither a message nor an event.
  it('refuses a send as the recipient is now: dm_policy, suspension, a block either way; nothing is written', async () => {
    const users = t.ctx.services.users;
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json().id;
    const written = async () => {
      const stored = await t.ctx.db.select({ id: messages.id }).from(messages).where(eq(messages.threadId, th));
      const events = await t.ctx.db.select({ id: outbox.id }).from(outbox).where(and(eq(outbox.name, 'message.created'), sql`(${outbox.payload} ->> 'threadId')::bigint = ${th}`));
      return stored.length + events.length;
    };
    const refused = async (code: string, detail?: string) => {
      const r = await send(x, { body: 'hello' }, th);
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().code).toBe(code);
      if (detail) expect(r.json().detail).toBe(detail);
    };
    const sent = async () => expect((await send(x, { body: 'hello' }, th)).statusCode).toBe(201);

    await users.update(y.id, { settings: { dm_policy: 'nobody' } });
    await refused('dm_not_allowed', 'This user does not accept messages.');
    await users.update(y.id, { settings: { dm_policy: 'followers' } });
    await refused('dm_not_allowed', 'This user only accepts messages from certain people.');
    expect(await written()).toBe(0);
    await users.follow(x.id, y.id);
    await sent();
    await users.update(y.id, { settings: { dm_policy: 'following' } });
    await refused('dm_not_allowed');
    await users.update(y.id, { settings: { dm_policy: 'mutual' } });
    await refused('dm_not_allowed');
    await users.follow(y.id, x.id);
    await sent();
    await users.update(y.id, { settings: { dm_policy: 'everyone' } });
    // A block either way, whoever sends.
    await users.block(y.id, x.id);
    await refused('messaging_blocked');
    const back = await y.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th, body: 'no', client_uuid: `c-${++n}` } });
    expect(back.json().code).toBe('messaging_blocked');
    await users.unblock(y.id, x.id);
    await users.block(x.id, y.id);
    await refused('messaging_blocked');
    await users.unblock(x.id, y.id);
    await sent();
    await users.setActive(y.id, false);
    await refused('recipient_unavailable');
    expect(await written()).toBe(6); // the three sends, each a message and its event
  });

  it('answers a missing or foreign thread 404 from the statement, writing nothing', async () => {
    const missing = await send(a, { body: 'hello' }, 987_654_321);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ detail: 'Thread not found.', code: 'not_found' });
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json().id;
    expect((await send(outsider, { body: 'let me in' }, th)).statusCode).toBe(404);
    expect((await x.req({ url: `/api/v1/messages/?thread=${th}` })).json().results).toEqual([]);
  });

  it('lets a phone flush its offline queue (150 sends, 10 at a time) but stops a flood with a 429', async () => {
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json().id;
    const started = Date.now();
    // The bucket refills one token a second: on a slow machine more sends fit, never more than that.
    const ceiling = () => 300 + Math.ceil((Date.now() - started) / 1000) + 10;
    const codes: number[] = [];
    for (let i = 0; i < 150; i += 10) {
      codes.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => send(x, { body: `m${i + j}`, client_uuid: `q-${i + j}` }, th)))).map((r) => r.statusCode));
    }
    expect(codes.filter((c) => c !== 201)).toEqual([]);
    // The bucket holds 300: the flood is refused once the burst and the refill so far are spent.
    let refused: { statusCode: number; headers: Record<string, unknown>; json(): { code: string } } | null = null;
    let n = 150;
    while (n < ceiling() && !refused) {
      const r = await send(x, { body: `f${n++}` }, th);
      if (r.statusCode === 429) refused = r;
      else expect(r.statusCode).toBe(201);
    }
    expect(refused).not.toBeNull();
    expect(n).toBeGreaterThan(300);
    expect(refused!.json().code).toBe('throttled');
    expect(Number(refused!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  }, 180_000); // ~450 real sends: a budget for a loaded 2-core machine, not a timing assertion
});

describe('multipart sends with attachments', () => {
  it('stores up to 4 images sniffed by content; retry with the same uuid returns the same message (200)', async () => {
    const files = Array.from({ length: 2 }, (_, i) => ({ name: 'attachments', filename: `attachment-${i}.png`, type: 'image/png', data: PNG }));
    const mp = multipart({ body: 'pics', client_uuid: 'mp-1' }, files);
    const r = await a.req({ method: 'POST', url: `/api/v1/threads/${thread}/messages/`, payload: mp.payload, headers: mp.headers });
    expect(r.statusCode).toBe(201);
    const m = r.json();
    expect(m.type).toBe('image');
    expect(m.attachments).toHaveLength(2);
    expect(m.attachments[0]).toMatchObject({ type: 'image', mime_type: 'image/png', width: null, height: null, duration: null });
    expect(m.attachments[0].url).toMatch(/^http:\/\/localhost(:\d+)?\/media\/messages\/attachments\/.+\.png\?exp=\d+&sig=[\w-]+$/);
    const again = await a.req({ method: 'POST', url: `/api/v1/threads/${thread}/messages/`, payload: mp.payload, headers: mp.headers });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(m.id);
    expect(again.json().attachments).toHaveLength(2);
  });

  it('accepts one video and a body-less multipart with an empty client_uuid', async () => {
    const mp = multipart({ client_uuid: '' }, [{ name: 'attachments', filename: 'attachment-0.mp4', type: 'video/mp4', data: MP4 }]);
    const r = await a.req({ method: 'POST', url: `/api/v1/threads/${thread}/messages/`, payload: mp.payload, headers: mp.headers });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ type: 'video', body: '', client_uuid: null });
  });

  it.each([
    ['5 images', Array.from({ length: 5 }, () => ({ data: PNG, type: 'image/png' })), 'You can attach up to 4 images per message.'],
    ['2 videos', [{ data: MP4, type: 'video/mp4' }, { data: MP4, type: 'video/mp4' }], 'Only one video can be attached per message.'],
    ['mixed', [{ data: PNG, type: 'image/png' }, { data: MP4, type: 'video/mp4' }], 'Cannot mix images and videos in the same message.'],
    ['a text file claiming to be an image', [{ data: Buffer.from('hello, this is not an image at all'), type: 'image/png' }], 'Unsupported attachment type.'],
  ])('rejects %s', async (_label, specs, msg) => {
    const mp = multipart({ body: 'x' }, specs.map((s, i) => ({ name: 'attachments', filename: `a${i}`, ...s })));
    const r = await a.req({ method: 'POST', url: `/api/v1/threads/${thread}/messages/`, payload: mp.payload, headers: mp.headers });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({ attachments: [msg] });
  });

  it('answers under /api/v1/messaging/messages/ too', async () => {
    const r = await a.req({ method: 'POST', url: '/api/v1/messaging/messages/', body: { thread, body: 'prefixed', client_uuid: 'prefixed-1' } });
    expect(r.statusCode).toBe(201);
    expect((await b.req({ url: `/api/v1/messaging/messages/${r.json().id}/` })).json().body).toBe('prefixed');
  });

  it('also takes JSON on the thread route', async () => {
    const r = await a.req({ method: 'POST', url: `/api/v1/messaging/threads/${thread}/messages/`, body: { body: 'json here', client_uuid: 'json-thread' } });
    expect(r.statusCode).toBe(201);
  });
});

describe('listing and sync', () => {
  it('first page holds the most recent messages; the cursor walks to older ones', async () => {
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json().id;
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await send(i % 2 ? y : x, { body: `m${i}` }, th)).json().id);
    const p1 = (await y.req({ url: `/api/v1/messages/?thread=${th}&page_size=2` })).json();
    expect(p1.results.map((m: { id: number }) => m.id)).toEqual([ids[4], ids[3]]);
    const p2 = (await y.req({ url: `/api/v1/messages/?thread=${th}&page_size=2&cursor=${encodeURIComponent(p1.next)}` })).json();
    expect(p2.results.map((m: { id: number }) => m.id)).toEqual([ids[2], ids[1]]);
    const sync = (await y.req({ url: `/api/v1/threads/${th}/sync/?since=${ids[2]}` })).json();
    expect(sync.results.map((m: { id: number }) => m.id)).toEqual([ids[3], ids[4]]);
    expect(sync.messages).toEqual(sync.results);
    const all = (await y.req({ url: `/api/v1/threads/${th}/sync/` })).json();
    expect(all.results).toHaveLength(5);
    const byTime = (await y.req({ url: `/api/v1/threads/${th}/sync/?since=2000-01-01T00:00:00Z` })).json();
    expect(byTime.results).toHaveLength(5);
  });

  it('without ?thread lists messages of my threads only', async () => {
    const [x, y, z] = await Promise.all([t.user(), t.user(), t.user()]);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json().id;
    const other = (await y.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: z.id } })).json().id;
    const mine = (await send(y, { body: 'for x' }, th)).json().id;
    await send(y, { body: 'not for x' }, other);
    const list = (await x.req({ url: '/api/v1/messages/' })).json().results;
    expect(list.map((m: { id: number }) => m.id)).toEqual([mine]);
  });

  it('clamps large page sizes to 100', async () => {
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json().id;
    // One more message than the clamp, sent through the messaging service to stay cheap.
    for (let i = 0; i < 101; i++) await t.ctx.services.messaging.send(th, x.id, { body: `bulk ${i}` });
    const res = await y.req({ url: `/api/v1/messages/?thread=${th}&page_size=1000` });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toHaveLength(100);
    expect(res.json().next).toEqual(expect.any(String));
    expect((await y.req({ url: `/api/v1/messages/?thread=${th}&page_size=1000&cursor=${encodeURIComponent(res.json().next)}` })).json().results).toHaveLength(1);
    // The writes' jobs (fan-out, reminders, indexing) are paid for here, not by a later test's drain().
    await t.drain();
  }, 120_000); // 101 writes: slow on a busy machine

  it('rejects bad query input', async () => {
    expect((await a.req({ url: '/api/v1/messages/?thread=abc' })).statusCode).toBe(400);
    expect((await a.req({ url: `/api/v1/messages/?thread=${thread}&cursor=%%%` })).statusCode).toBe(400);
    expect((await a.req({ url: `/api/v1/messages/?thread=${thread}&page_size=5000` })).statusCode).toBe(400);
    expect((await a.req({ url: `/api/v1/threads/${thread}/sync/?since=yesterday` })).statusCode).toBe(400);
    expect((await a.req({ url: `/api/v1/threads/${thread}/sync/?since=2024-01-01T00:00:00` })).statusCode).toBe(400);
  });
});

describe('read pointer and unread counts', () => {
  it('counts only others\' messages after my pointer; read marks them read and moves forward only', async () => {
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json().id;
    const m1 = (await send(x, { body: '1' }, th)).json().id;
    const m2 = (await send(x, { body: '2' }, th)).json().id;
    await send(y, { body: 'mine' }, th);
    const unread = async () => (await y.req({ url: `/api/v1/threads/${th}/` })).json().unread_count;
    expect(await unread()).toBe(2);
    const r = await y.req({ method: 'POST', url: `/api/v1/threads/${th}/read/`, body: { last_read_message_id: String(m1) } });
    expect(r.json()).toEqual({ status: 'read', last_read_message_id: String(m1) });
    expect(await unread()).toBe(1);
    expect((await y.req({ url: `/api/v1/messages/${m1}/` })).json()).toMatchObject({ status: 'read' });
    // Forward-only: pointing back does not un-read.
    await y.req({ method: 'POST', url: `/api/v1/threads/${th}/read/`, body: { last_read_message_id: 1 } });
    const all = await y.req({ method: 'POST', url: `/api/v1/threads/${th}/read/`, body: {} });
    expect(all.json().last_read_message_id).not.toBe(String(m1));
    expect(await unread()).toBe(0);
    expect((await y.req({ url: `/api/v1/messages/${m2}/` })).json().status).toBe('read');
    const list = (await y.req({ url: '/api/v1/threads/' })).json().results;
    expect(list.find((x2: { id: number }) => x2.id === th).unread_count).toBe(0);
  });

  it('answers 204 for a thread without messages; 400 for a bad body', async () => {
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json().id;
    expect((await x.req({ method: 'POST', url: `/api/v1/threads/${th}/read/`, body: {} })).statusCode).toBe(204);
    expect((await x.req({ method: 'POST', url: `/api/v1/threads/${th}/read/`, body: { foo: 1 } })).statusCode).toBe(400);
  });
});

describe('reactions, ack, edit, delete', () => {
  it('toggles a reaction with W-Reaction entries', async () => {
    const m = (await send(b, { body: 'like me' })).json();
    const add = await a.req({ method: 'POST', url: `/api/v1/messages/${m.id}/reactions/`, body: { emoji: '👍' } });
    expect(add.json()).toEqual({ action: 'added', reactions: [{ emoji: '👍', count: 1, reacted_by_current_user: true, reactedByCurrentUser: true, user_ids: [a.id] }] });
    const asB = (await b.req({ url: `/api/v1/messages/${m.id}/reactions/` })).json();
    expect(asB.reactions[0]).toMatchObject({ count: 1, reacted_by_current_user: false });
    const remove = await a.req({ method: 'POST', url: `/api/v1/messages/${m.id}/reactions/`, body: { emoji: '👍' } });
    expect(remove.json()).toEqual({ action: 'removed', reactions: [] });
    expect((await a.req({ method: 'POST', url: `/api/v1/messages/${m.id}/reactions/`, body: { emoji: '' } })).statusCode).toBe(400);
    expect((await a.req({ method: 'POST', url: `/api/v1/messages/${m.id}/reactions/`, body: { emoji: 'x'.repeat(17) } })).statusCode).toBe(400);
    expect((await outsider.req({ method: 'POST', url: `/api/v1/messages/${m.id}/reactions/`, body: { emoji: '👍' } })).statusCode).toBe(404);
  });

  it('lets only recipients ack, forward-only', async () => {
    const m = (await send(a, { body: 'ack me' })).json();
    const own = await a.req({ method: 'POST', url: `/api/v1/messages/${m.id}/ack/`, body: { status: 'delivered' } });
    expect(own.statusCode).toBe(400);
    expect(own.json().code).toBe('own_message');
    const d = await b.req({ method: 'POST', url: `/api/v1/messages/${m.id}/ack/`, body: { status: 'delivered' } });
    expect(d.json()).toMatchObject({ status: 'delivered', client_uuid: m.client_uuid });
    expect(d.json().delivered_at).toMatch(/Z$/);
    const rd = await b.req({ method: 'POST', url: `/api/v1/messages/${m.id}/ack/`, body: { status: 'read' } });
    expect(rd.json().status).toBe('read');
    const back = await b.req({ method: 'POST', url: `/api/v1/messages/${m.id}/ack/`, body: { status: 'delivered' } });
    expect(back.json().status).toBe('read');
    expect((await b.req({ method: 'POST', url: `/api/v1/messages/${m.id}/ack/`, body: { status: 'seen' } })).statusCode).toBe(400);
    expect((await outsider.req({ method: 'POST', url: `/api/v1/messages/${m.id}/ack/`, body: { status: 'delivered' } })).statusCode).toBe(404);
  });

  it('lets only the sender edit and delete (others get 404)', async () => {
    const m = (await send(a, { body: 'draft' })).json();
    expect((await b.req({ method: 'PATCH', url: `/api/v1/messages/${m.id}/`, body: { body: 'hijack' } })).statusCode).toBe(404);
    expect((await b.req({ method: 'DELETE', url: `/api/v1/messages/${m.id}/` })).statusCode).toBe(404);
    const e = await a.req({ method: 'PATCH', url: `/api/v1/messages/${m.id}/`, body: { body: 'final' } });
    expect(e.json()).toMatchObject({ body: 'final', client_uuid: m.client_uuid });
    expect((await a.req({ method: 'PATCH', url: `/api/v1/messages/${m.id}/`, body: { body: 'x'.repeat(10_001) } })).statusCode).toBe(400);
    expect((await a.req({ method: 'DELETE', url: `/api/v1/messages/${m.id}/` })).statusCode).toBe(204);
    expect((await a.req({ url: `/api/v1/messages/${m.id}/` })).statusCode).toBe(404);
  });
});

describe('typing', () => {
  it('keeps typing state ephemeral, excludes the viewer, and takes strict booleans', async () => {
    const r = await a.req({ method: 'POST', url: `/api/v1/threads/${thread}/typing/`, body: { is_typing: true } });
    expect(r.json()).toEqual({ is_typing: true });
    const seen = (await b.req({ url: `/api/v1/threads/${thread}/typing/` })).json();
    expect(seen.typing_user_ids).toEqual([a.id]);
    expect(seen.users[0]).toMatchObject({ id: a.id, handle: a.handle });
    expect((await a.req({ url: `/api/v1/threads/${thread}/typing/` })).json().typing_user_ids).toEqual([]);
    expect((await a.req({ method: 'POST', url: `/api/v1/threads/${thread}/typing/`, body: { is_typing: 'false' } })).statusCode).toBe(400);
    expect((await b.req({ url: `/api/v1/threads/${thread}/typing/` })).json().typing_user_ids).toEqual([a.id]);
    await a.req({ method: 'POST', url: `/api/v1/threads/${thread}/typing/`, body: { is_typing: false } });
    expect((await b.req({ url: `/api/v1/threads/${thread}/typing/` })).json().typing_user_ids).toEqual([]);
    expect((await outsider.req({ url: `/api/v1/threads/${thread}/typing/` })).statusCode).toBe(404);
  });

  it('drops entries older than the TTL', async () => {
    await t.ctx.kv.hashSet(`typing:thread:${thread}`, String(b.id), String(Date.now() - 8000), 7000);
    expect((await a.req({ url: `/api/v1/threads/${thread}/typing/` })).json().typing_user_ids).toEqual([]);
  });
});

describe('events and delayed unread reminders', () => {
  it('emits message.created and a reminder only while the message is still unread', async () => {
    const created: unknown[] = [];
    const reminders: { messageId: number; recipientId: number }[] = [];
    t.ctx.events.on('message.created', (e) => void created.push(e));
    t.ctx.events.on<{ messageId: number; recipientId: number }>('message.unread_reminder', (e) => void reminders.push(e));
    const [x, y] = await Promise.all([t.user(), t.user()]);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: y.id } })).json().id;
    const unread = (await send(x, { body: 'are you there?' }, th)).json();
    await t.drain();
    expect(created).toContainEqual({ messageId: unread.id, threadId: th, senderId: x.id, recipientIds: [y.id], body: 'are you there?' });
    await t.drain();
    expect(reminders.filter((r) => r.messageId === unread.id)).toEqual([
      { messageId: unread.id, threadId: th, senderId: x.id, recipientId: y.id, preview: 'are you there?' },
    ]);
    // The preview is the body cut at 120 characters (117 and an ellipsis).
    const long = (await send(x, { body: `${'é'.repeat(118)} tail` }, th)).json();
    await t.drain();
    expect(reminders.find((r) => r.messageId === long.id)).toMatchObject({ preview: `${'é'.repeat(117)}...` });
    const seen = (await send(x, { body: 'second' }, th)).json();
    await y.req({ method: 'POST', url: `/api/v1/threads/${th}/read/`, body: {} });
    await t.drain();
    expect(reminders.filter((r) => r.messageId === seen.id)).toEqual([]);
  });

  it('in a group, one member reading does not silence the reminder of another', async () => {
    const reminders: { messageId: number; recipientId: number }[] = [];
    t.ctx.events.on<{ messageId: number; recipientId: number }>('message.unread_reminder', (e) => void reminders.push(e));
    const [x, y, z] = await Promise.all([t.user(), t.user(), t.user()]);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/', body: { participant_ids: [y.id, z.id], title: 'g' } })).json().id;
    const m = (await send(x, { body: 'group news' }, th)).json();
    await y.req({ method: 'POST', url: `/api/v1/messages/${m.id}/ack/`, body: { status: 'read' } });
    expect((await y.req({ url: `/api/v1/threads/${th}/` })).json().unread_count).toBe(0);
    await t.drain();
    expect(reminders.filter((r) => r.messageId === m.id).map((r) => r.recipientId)).toEqual([z.id]);
  });
});
