// Retention jobs: run through the queue as the scheduler would, they delete what is past its date
// and nothing else.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp } from '../support/app.js';
import { modules } from '../../src/modules/index.js';
import { USERS_RETENTION_JOB } from '../../src/modules/users/retention.js';
import { NOTIFICATIONS_RETENTION_JOB } from '../../src/modules/notifications/retention.js';
import { MENTOR_RETENTION_JOB } from '../../src/modules/mentor/retention.js';
import { PAYMENTS_RETENTION_JOB } from '../../src/modules/payments/retention.js';

let t: TestApp;
beforeAll(async () => {
  t = await sharedTestApp();
});
afterAll(async () => {
  await t?.close();
});

const rows = async <T>(q: ReturnType<typeof sql>) => (await t.ctx.db.execute(q)) as unknown as { rows: T[] };
const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

describe('retention', () => {
  it('the users, notifications, mentor, payments and media modules install their retention schedules', () => {
    for (const name of ['users', 'notifications', 'mentor', 'payments', 'media']) expect(modules.find((m) => m.name === name)?.schedules, name).toBeTypeOf('function');
  });

  it('purges dead sessions older than 30 days, keeps live and recent ones; the token of a live one still works', async () => {
    const u = await t.user();
    const sid = (label: string) => rows<{ id: number }>(sql`insert into auth_sessions (user_id, refresh_jti, user_agent, revoked_at, last_used_at) values (${u.id}, ${label}, ${label}, ${label.startsWith('rev') ? ago(label === 'revoked-old' ? 31 : 5) : null}, ${label === 'expired' ? ago(90 + 31) : ago(1)}) returning id`).then((r) => r.rows[0].id);
    const ids = { revokedOld: await sid('revoked-old'), revokedRecent: await sid('revoked-recent'), expired: await sid('expired'), live: await sid('live') };
    await t.ctx.queue.enqueue(USERS_RETENTION_JOB, {});
    await t.drain();
    const left = (await rows<{ id: number }>(sql`select id from auth_sessions where user_id = ${u.id}`)).rows.map((r) => r.id);
    expect(left).not.toContain(ids.revokedOld);
    expect(left).not.toContain(ids.expired);
    expect(left).toEqual(expect.arrayContaining([ids.revokedRecent, ids.live]));
    expect((await u.req({ url: '/api/v1/users/me/' })).statusCode).toBe(200);
  });

  it('purges read notifications after 90 days and unread ones after a year', async () => {
    const u = await t.user();
    const add = (read: boolean, days: number) =>
      rows<{ id: number }>(sql`insert into notifications (user_id, type, is_read, created_at) values (${u.id}, 'follow', ${read}, ${ago(days)}) returning id`).then((r) => r.rows[0].id);
    const ids = { readOld: await add(true, 91), readNew: await add(true, 10), unreadOld: await add(false, 200), unreadAncient: await add(false, 400) };
    await t.ctx.queue.enqueue(NOTIFICATIONS_RETENTION_JOB, {});
    await t.drain();
    const listed = (await u.req({ url: '/api/v1/notifications/' })).json().results.map((n: { id: number }) => n.id);
    expect(listed.sort()).toEqual([ids.readNew, ids.unreadOld].sort());
  });

  it('purges mentor messages and tasks after 90 days, and sessions left empty and untouched that long', async () => {
    const u = await t.user();
    const session = (days: number) =>
      rows<{ id: number }>(sql`insert into mentor_sessions (user_id, mode, created_at, updated_at, started_at) values (${u.id}, 'chat_mentor', ${ago(days)}, ${ago(days)}, ${ago(days)}) returning id`).then((r) => r.rows[0].id);
    const message = (sessionId: number, days: number) =>
      rows<{ id: number }>(sql`insert into mentor_messages (session_id, user_id, role, content, created_at) values (${sessionId}, ${u.id}, 'user', 'hello', ${ago(days)}) returning id`).then((r) => r.rows[0].id);
    const oldSession = await session(120);
    const liveSession = await session(120); // old, but still chatted in
    const oldInLive = await message(liveSession, 100);
    const recentInLive = await message(liveSession, 3);
    await message(oldSession, 95);
    await t.ctx.queue.enqueue(MENTOR_RETENTION_JOB, {});
    await t.drain();
    const sessions = (await rows<{ id: number }>(sql`select id from mentor_sessions where user_id = ${u.id}`)).rows.map((r) => r.id);
    expect(sessions).toEqual([liveSession]);
    const messages = (await rows<{ id: number }>(sql`select id from mentor_messages where user_id = ${u.id}`)).rows.map((r) => r.id);
    expect(messages).toEqual([recentInLive]);
    expect(messages).not.toContain(oldInLive);
  });

  it('purges checkouts that never became money after 30 days; paid ones and recent ones stay', async () => {
    const u = await t.user();
    const checkout = (ref: string, status: string, days: number) =>
      rows<{ id: number }>(
        sql`insert into payment_checkouts (provider, reference, user_id, amount_cents, currency, slc_cents, status, created_at, updated_at)
            values ('stripe', ${`${ref}-${u.id}`}, ${u.id}, 500, 'USD', 500, ${status}, ${ago(days)}, ${ago(days)}) returning id`,
      ).then((r) => r.rows[0].id);
    const ids = { abandoned: await checkout('a', 'created', 40), failed: await checkout('f', 'failed', 31), paid: await checkout('p', 'paid', 400), fresh: await checkout('n', 'created', 2) };
    await t.ctx.queue.enqueue(PAYMENTS_RETENTION_JOB, {});
    await t.drain();
    const left = (await rows<{ id: number }>(sql`select id from payment_checkouts where user_id = ${u.id}`)).rows.map((r) => r.id);
    expect(left.sort()).toEqual([ids.paid, ids.fresh].sort());
  });
});
