// GitHub webhook → reward events: signatures, deduplication, points, unlinked authors, linking, audit.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createTestApp, sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
import { itServer } from '../support/server-only.js';
import { users } from '../../src/modules/users/schema.js';
import { rewardEvents } from '../../src/modules/rewards/schema.js';
import { deliver, prPayload, SECRET, sign } from './helpers.js';

let t: TestApp;
let staff: TestUser;
let alice: TestUser;
let bob: TestUser;
// A second app without GITHUB_WEBHOOK_SECRET, alive for the whole file (closing an app seconds after
// starting its BullMQ workers trips ioredis "Connection is closed" rejections in server mode).
let bare: TestApp;

beforeAll(async () => {
  t = await createTestApp({ GITHUB_WEBHOOK_SECRET: SECRET });
  bare = await sharedTestApp();
  staff = await t.user();
  alice = await t.user();
  bob = await t.user();
  await t.ctx.db.update(users).set({ isStaff: true }).where(eq(users.id, staff.id));
  const link = await staff.req({ method: 'POST', url: '/api/v1/contrib-rewards/contributors/', body: { user_id: alice.id, github_username: 'Alice-Dev' } });
  expect(link.statusCode).toBe(201);
});
afterAll(async () => {
  await t?.close();
  await bare?.close();
});

const eventCount = async () => Number((await t.ctx.db.select({ n: sql<number>`count(*)` }).from(rewardEvents))[0].n);

describe('signature', () => {
  it('refuses missing, wrong and malformed signatures with 403 and writes nothing', async () => {
    const before = await eventCount();
    const p = prPayload({ login: 'alice-dev', number: 1 });
    for (const signature of [null, 'sha256=' + '0'.repeat(64), 'sha1=abc', 'garbage', sign(JSON.stringify(p), 'other-secret'), 'sha256=zz']) {
      const res = await deliver(t, p, { signature });
      expect(res.statusCode).toBe(403);
      expect(res.json().detail).toBe('Invalid signature.');
    }
    expect(await eventCount()).toBe(before);
  });

  it('refuses every delivery when no secret is configured', async () => {
    const res = await deliver(bare, prPayload({ login: 'alice-dev', number: 1 }));
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toBe('Webhook secret not configured.');
  });

  it('answers ping, push, opened and unmerged PRs with 2xx and records nothing; a signed non-JSON body is 400', async () => {
    const before = await eventCount();
    expect((await deliver(t, { zen: 'hi', hook_id: 1 }, { event: 'ping' })).statusCode).toBe(204);
    expect((await deliver(t, { ref: 'refs/heads/main' }, { event: 'push' })).statusCode).toBe(204);
    expect((await deliver(t, prPayload({ login: 'alice-dev', number: 2, action: 'opened', merged: false }))).statusCode).toBe(204);
    expect((await deliver(t, prPayload({ login: 'alice-dev', number: 3, merged: false }))).statusCode).toBe(204);
    const notJson = await deliver(t, null, { raw: 'this is { not json' });
    expect(notJson.statusCode).toBe(400);
    const noLogin = prPayload({ login: 'x', number: 4 }) as { pull_request: { user: unknown } };
    noLogin.pull_request.user = {};
    expect((await deliver(t, noLogin)).statusCode).toBe(400);
    expect(await eventCount()).toBe(before);
  });
});

describe('recording merged pull requests', () => {
  it('credits the PR author (not the merger) with size-label points and the payload hash', async () => {
    const p = prPayload({ login: 'alice-dev', number: 10, labels: ['bug', 'size/L'], mergedAt: '2025-03-10T12:00:00Z' });
    const raw = JSON.stringify(p);
    const res = await deliver(t, p, { raw });
    expect(res.statusCode).toBe(201);
    expect(res.json().detail).toBe('Recorded.');
    const list = await alice.req({ url: '/api/v1/contrib-rewards/events/' });
    expect(list.statusCode).toBe(200);
    const ev = list.json().results.find((e: { reference: string }) => e.reference === 'selflink/backend#10');
    expect(ev).toMatchObject({ event_type: 'pr_merged', points: 8, occurred_at: '2025-03-10T12:00:00.000Z', notes: '', contributor: { user_id: alice.id, github_username: 'Alice-Dev' } });
    expect(ev.metadata.payload_sha256).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(Object.keys(ev).sort()).toEqual(['contributor', 'event_type', 'id', 'metadata', 'notes', 'occurred_at', 'points', 'reference']);
    const one = await alice.req({ url: `/api/v1/contrib-rewards/events/${ev.id}/` });
    expect(one.json().id).toBe(ev.id);
    // Not visible to anyone else.
    expect((await bob.req({ url: `/api/v1/contrib-rewards/events/${ev.id}/` })).statusCode).toBe(404);
    expect((await t.request({ url: '/api/v1/contrib-rewards/events/' })).statusCode).toBe(401);
  });

  it('scores each size label as documented and 10 without one', async () => {
    const cases: [string[], number][] = [[['size/XS'], 1], [['size/S'], 2], [['size/M'], 5], [['size/XL'], 13], [[], 10], [['docs'], 10]];
    let n = 100;
    for (const [labels, points] of cases) {
      const number = n++;
      expect((await deliver(t, prPayload({ login: 'alice-dev', number, labels, mergedAt: '2025-03-11T00:00:00Z' }))).statusCode).toBe(201);
      const [row] = await t.ctx.db.select().from(rewardEvents).where(eq(rewardEvents.reference, `selflink/backend#${number}`));
      expect(row.points).toBe(points);
    }
  });

  it('deduplicates on the delivery id and on (repository, PR number), but not across repositories', async () => {
    const p = prPayload({ login: 'alice-dev', number: 20, mergedAt: '2025-03-12T00:00:00Z' });
    const first = await deliver(t, p, { delivery: 'dlv-20' });
    expect(first.statusCode).toBe(201);
    const before = await eventCount();
    const replay = await deliver(t, p, { delivery: 'dlv-20' });
    expect(replay.statusCode).toBe(200);
    expect(replay.json().detail).toBe('Already recorded.');
    expect((await deliver(t, p, { delivery: 'dlv-20-redelivered' })).statusCode).toBe(200);
    expect(await eventCount()).toBe(before);
    const other = await deliver(t, prPayload({ login: 'alice-dev', number: 20, repo: 'selflink/mobile', mergedAt: '2025-03-12T00:00:00Z' }));
    expect(other.statusCode).toBe(201);
    expect(await eventCount()).toBe(before + 1);
  });

  itServer('records one event for concurrent deliveries of the same PR', async () => {
    const before = await eventCount();
    const p = prPayload({ login: 'alice-dev', number: 30, mergedAt: '2025-03-13T00:00:00Z' });
    const raw = JSON.stringify(p);
    const res = await Promise.all(Array.from({ length: 8 }, (_, i) => deliver(t, p, { raw, delivery: `dlv-30-${i % 2}` })));
    expect(res.every((r) => r.statusCode < 300)).toBe(true);
    expect(res.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(await eventCount()).toBe(before + 1);
  });

  it('records PRs of unlinked authors as unpaid events that become the account’s once linked', async () => {
    const res = await deliver(t, prPayload({ login: 'bob-gh', number: 40, labels: ['size/M'], mergedAt: '2025-03-14T00:00:00Z' }));
    expect(res.statusCode).toBe(202);
    expect((await bob.req({ url: '/api/v1/contrib-rewards/events/' })).json().results).toHaveLength(0);
    const link = await staff.req({ method: 'POST', url: '/api/v1/contrib-rewards/contributors/', body: { user_id: bob.id, github_username: 'BOB-gh' } });
    expect(link.statusCode).toBe(200);
    expect(link.json()).toMatchObject({ user_id: bob.id, github_username: 'bob-gh' });
    const evs = (await bob.req({ url: '/api/v1/contrib-rewards/events/' })).json().results;
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ points: 5, reference: 'selflink/backend#40' });
  });

  it('appends an audit event (action containing "reward") for every recorded delivery, on one intact chain', async () => {
    const res = await deliver(t, prPayload({ login: 'alice-dev', number: 50, mergedAt: '2025-03-15T00:00:00Z' }));
    const id = res.json().id;
    const audit = await staff.req({ url: '/api/v1/audit/events/?page_size=100' });
    expect(audit.statusCode).toBe(200);
    const hit = audit.json().results.find((e: { object_id: string }) => e.object_id === String(id));
    expect(hit.action).toContain('reward');
    expect(hit.metadata.reward_event_id).toBe(id);
    expect((await t.ctx.services.audit.verify()).ok).toBe(true);
  });

  it('the ledger is append-only in the database', async () => {
    const refused = async (q: ReturnType<typeof sql>) => {
      const err = await t.ctx.db.execute(q).then(() => null, (e: Error & { cause?: Error }) => e);
      return String(err?.cause?.message ?? err?.message ?? 'no error');
    };
    expect(await refused(sql`update reward_events set points = 1000`)).toMatch(/append-only/);
    expect(await refused(sql`delete from reward_events`)).toMatch(/append-only/);
    expect(await refused(sql`update reward_ledger_entries set amount = 1`)).toMatch(/append-only/);
    expect(await refused(sql`delete from reward_ledger_entries`)).toMatch(/append-only/);
  });
});

describe('linking and adjustments (staff)', () => {
  it('links only for staff; unknown users and taken usernames are refused', async () => {
    const body = { user_id: bob.id, github_username: 'someone' };
    expect((await t.request({ method: 'POST', url: '/api/v1/contrib-rewards/contributors/', body })).statusCode).toBe(401);
    expect((await alice.req({ method: 'POST', url: '/api/v1/contrib-rewards/contributors/', body })).statusCode).toBe(403);
    const unknown = await staff.req({ method: 'POST', url: '/api/v1/contrib-rewards/contributors/', body: { user_id: 999999, github_username: 'nobody' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toHaveProperty('user_id');
    const carol = await t.user();
    const taken = await staff.req({ method: 'POST', url: '/api/v1/contrib-rewards/contributors/', body: { user_id: carol.id, github_username: 'alice-dev' } });
    expect(taken.statusCode).toBe(409);
    const bad = await staff.req({ method: 'POST', url: '/api/v1/contrib-rewards/contributors/', body: { user_id: carol.id, github_username: 'not a login!' } });
    expect(bad.statusCode).toBe(400);
    expect((await staff.req({ method: 'POST', url: '/api/v1/contrib-rewards/contributors/', body: { user_id: carol.id } })).json()).toHaveProperty('github_username');
  });

  it('corrections are new events with a reason and an audit entry', async () => {
    const url = '/api/v1/contrib-rewards/adjustments/';
    const body = { github_username: 'alice-dev', event_type: 'penalty', points: -3, reason: 'duplicate PR' };
    expect((await alice.req({ method: 'POST', url, body })).statusCode).toBe(403);
    const res = await staff.req({ method: 'POST', url, body });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ event_type: 'penalty', points: -3, notes: 'duplicate PR' });
    expect((await staff.req({ method: 'POST', url, body: { ...body, points: 3 } })).statusCode).toBe(400);
    expect((await staff.req({ method: 'POST', url, body: { ...body, reason: undefined } })).json()).toHaveProperty('reason');
    expect((await staff.req({ method: 'POST', url, body: { ...body, github_username: 'ghost' } })).statusCode).toBe(404);
    const audit = (await staff.req({ url: '/api/v1/audit/events/?page_size=5' })).json().results;
    expect(audit[0]).toMatchObject({ action: 'rewards.penalty', actor_user: staff.id, metadata: { reason: 'duplicate PR', points: -3 } });
  });
});
