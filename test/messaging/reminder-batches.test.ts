// Unread reminders in batches: the messages a relay pass takes together cost one delayed job, and
// their reminders one notification job. Its own app: a listener another file adds to
// message.created that must run before the response would relay each send's event on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { outbox } from '../../src/platform/outbox/schema.js';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

let n = 0;
const send = (u: TestUser, body: Record<string, unknown>, th: number) =>
  u.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: String(th), client_uuid: `rb-${++n}`, ...body } });

const processed = async (job: string) => {
  const m = await t.ctx.metrics.registry.getSingleMetric('jobs_processed_total')!.get();
  return m.values.filter((v) => v.labels.job === job).reduce((sum, v) => sum + v.value, 0);
};

describe('unread reminders in batches', () => {
  it('the messages of one relay pass share one reminder job, and their reminders one notification job', async () => {
    const [x, y, z] = await Promise.all([t.user(), t.user(), t.user()]);
    const th = (await x.req({ method: 'POST', url: '/api/v1/threads/', body: { participant_ids: [y.id, z.id], title: 'g' } })).json().id;
    await t.drain();
    const before = { reminders: await processed('messaging.unread_reminder'), notify: await processed('notifications.event') };
    // With the relay stopped the three events wait, and its next pass claims them together.
    await t.ctx.events.stop();
    const sent: number[] = [];
    try {
      for (const body of ['one', 'two', 'three']) sent.push((await send(x, { body }, th)).json().id);
      await y.req({ method: 'POST', url: `/api/v1/threads/${th}/read/`, body: {} });
    } finally {
      t.ctx.events.start();
    }
    await t.drain();
    expect(await processed('messaging.unread_reminder')).toBe(before.reminders + 1);
    expect(await processed('notifications.event')).toBe(before.notify + 1);
    const inbox = async (u: TestUser) => ((await u.req({ url: '/api/v1/notifications/?page_size=100' })).json().results as { type: string; payload: { message_id: number } }[]).filter((n) => n.type === 'message');
    expect((await inbox(z)).map((n) => n.payload.message_id).sort((a, b) => a - b)).toEqual(sent);
    expect(await inbox(y)).toEqual([]);
    expect(await inbox(x)).toEqual([]);
  });
});


describe('notifications created in a batch', () => {
  it('follow create()’s rules: mutes, self-actions, push and e-mail settings, one row per dedupe key', async () => {
    const [actor, plain, muter, quiet] = await Promise.all([t.user(), t.user(), t.user(), t.user()]);
    expect((await muter.req({ method: 'POST', url: `/api/v1/users/${actor.id}/mute` })).statusCode).toBeLessThan(300);
    expect((await quiet.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { settings: { push_enabled: false, email_enabled: false } } })).statusCode).toBe(200);
    const item = (u: TestUser, key: string) => ({ userId: u.id, type: 'message', payload: { actor_id: actor.id, preview: key }, dedupeKey: `batch:${key}`, actorId: actor.id });
    const items = [item(plain, 'p'), item(plain, 'p'), item(muter, 'm'), item(quiet, 'q'), item(actor, 'self')];
    expect(await t.ctx.services.notifications.createMany(items)).toBe(2);
    // Again: the dedupe keys store nothing twice.
    expect(await t.ctx.services.notifications.createMany(items)).toBe(0);
    await t.drain();
    const mine = async (u: TestUser) => (await u.req({ url: '/api/v1/notifications/?page_size=100' })).json().results as { type: string; payload: { preview: string } }[];
    expect((await mine(plain)).map((n) => n.payload.preview)).toEqual(['p']);
    expect((await mine(quiet)).map((n) => n.payload.preview)).toEqual(['q']);
    expect(await mine(muter)).toEqual([]);
    expect(await mine(actor)).toEqual([]);
    // Delivery is asked for where the settings allow it: plain's row has its event, quiet's none.
    const created = (await t.ctx.db.select().from(outbox).where(eq(outbox.name, 'notification.created'))).map((r) => r.payload as { userId: number; push: boolean; email: boolean });
    expect(created.filter((e) => e.userId === plain.id)).toEqual([expect.objectContaining({ push: true, email: true })]);
    expect(created.filter((e) => e.userId === quiet.id)).toEqual([]);
  });
});
