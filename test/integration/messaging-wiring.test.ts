// Cross-module wiring: messages can be reported, banned words in messages are flagged,
// and an unread message turns into a notification for its recipient.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';

let t: TestApp;
let a: TestUser;
let b: TestUser;
let threadId: number;
beforeAll(async () => {
  t = await sharedTestApp();
  a = await t.user();
  b = await t.user();
  threadId = (await a.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: String(b.id) } })).json().id;
});
afterAll(async () => t?.close());

const send = (u: TestUser, body: string) => u.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: String(threadId), body, client_uuid: `${Math.random()}` } });

describe('messaging ↔ moderation ↔ notifications', () => {
  it('a recipient can report a message; strangers cannot report what does not exist', async () => {
    const m = (await send(a, 'hello there')).json();
    const r = await b.req({ method: 'POST', url: '/api/v1/moderation/reports/', body: { target_type: 'message', target_id: Number(m.id), reason: 'harassment' } });
    expect(r.statusCode).toBe(201);
    const missing = await b.req({ method: 'POST', url: '/api/v1/moderation/reports/', body: { target_type: 'message', target_id: 99999999, reason: 'x' } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().code).toBe('unknown_target');
    const own = await a.req({ method: 'POST', url: '/api/v1/moderation/reports/', body: { target_type: 'message', target_id: Number(m.id), reason: 'x' } });
    expect(own.statusCode).toBe(400);
  });

  it('banned words in a message file an automatic report', async () => {
    const m = (await send(a, 'this is a SCAM, click here')).json();
    await t.drain();
    const { and, eq, isNull } = await import('drizzle-orm');
    const { reports } = await import('../../src/modules/moderation/schema.js');
    const rows = await t.ctx.db.select().from(reports).where(and(eq(reports.targetType, 'message'), eq(reports.targetId, Number(m.id)), isNull(reports.reporterId)));
    expect(rows).toHaveLength(1);
  });

  it('an unread message becomes a "message" notification; a read one does not', async () => {
    const unread = (await send(a, 'are you there?')).json();
    await t.drain();
    const list = (await b.req({ url: '/api/v1/notifications/' })).json().results as { type: string; payload: Record<string, unknown> }[];
    expect(list.some((n) => n.type === 'message' && Number(n.payload.message_id ?? n.payload.messageId) === Number(unread.id))).toBe(true);

    const read = (await send(a, 'read me now')).json();
    await b.req({ method: 'POST', url: `/api/v1/threads/${threadId}/read/`, body: { last_read_message_id: String(read.id) } });
    await t.drain();
    const after = (await b.req({ url: '/api/v1/notifications/' })).json().results as { type: string; payload: Record<string, unknown> }[];
    expect(after.some((n) => Number(n.payload.message_id ?? n.payload.messageId) === Number(read.id))).toBe(false);
  });
});
