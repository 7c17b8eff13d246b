import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
import { commentBy, makeStaff, postBy } from './helpers.js';
import { enforcements } from '../../src/modules/moderation/schema.js';
import { MODERATION_JOBS } from '../../src/modules/moderation/service.js';
import { itServer } from '../support/server-only.js';

let t: TestApp;
let mod: TestUser;
let owner: TestUser;

beforeAll(async () => {
  t = await sharedTestApp();
  [mod, owner] = [await t.user(), await t.user()];
  await makeStaff(t, mod);
});
afterAll(async () => t?.close());

const enforce = (body: unknown) => mod.req({ method: 'POST', url: '/api/v1/moderation/admin/enforcements/', body });
const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();
const isActive = async (id: number) => (await t.ctx.services.users.getById(id))!.isActive;
const auditActions = async (objectId: number) =>
  (await mod.req({ url: '/api/v1/audit/events/?page_size=100' })).json().results.filter((e: { object_id: string }) => e.object_id === String(objectId)).map((e: { action: string }) => e.action);

describe('POST moderation/admin/enforcements/', () => {
  it('warn is recorded and audited; the user stays active', async () => {
    const u = await t.user();
    const res = await enforce({ target_type: 'user', target_id: u.id, action: 'warn', reason: 'tone' });
    expect(res.statusCode).toBe(201);
    const e = res.json();
    expect(e).toMatchObject({ target_type: 'user', target_id: u.id, action: 'warn', reason: 'tone', expires_at: null, lifted_at: null, created_by: mod.id, report_id: null });
    expect(await isActive(u.id)).toBe(true);
    expect(await auditActions(e.id)).toEqual(['moderation.enforcement.created']);
  });

  it('suspend deactivates the user at once (their token stops working) and resolves the linked report', async () => {
    const [u, reporter] = [await t.user(), await t.user()];
    const r = (await reporter.req({ method: 'POST', url: '/api/v1/moderation/reports/', body: { target_type: 'user', target_id: u.id, reason: 'abuse' } })).json();
    expect((await u.req({ url: '/api/v1/users/me/' })).statusCode).toBe(200);
    const res = await enforce({ target_type: 'user', target_id: u.id, action: 'suspend', expires_at: inAnHour(), report_id: r.id });
    expect(res.statusCode).toBe(201);
    expect(res.json().expires_at).toMatch(/Z$/);
    expect(await isActive(u.id)).toBe(false);
    expect((await u.req({ url: '/api/v1/users/me/' })).statusCode).toBe(401);
    expect((await reporter.req({ url: `/api/v1/moderation/reports/${r.id}/` })).json().status).toBe('resolved');
  });

  it('GET enforcements/ and {id}/ for staff, with pagination and 404s', async () => {
    const u = await t.user();
    const e = (await enforce({ target_type: 'user', target_id: u.id, action: 'warn' })).json();
    const list = await mod.req({ url: '/api/v1/moderation/enforcements/?page_size=1' });
    expect(list.statusCode).toBe(200);
    expect(list.json().results).toHaveLength(1);
    expect(list.json().results[0].id).toBe(e.id);
    expect(list.json().next).toMatch(/cursor=/);
    expect((await mod.req({ url: `/api/v1/moderation/enforcements/${e.id}/` })).json()).toMatchObject({ id: e.id, action: 'warn' });
    expect((await mod.req({ url: '/api/v1/moderation/enforcements/999999999/' })).statusCode).toBe(404);
    expect((await mod.req({ url: '/api/v1/moderation/enforcements/?cursor=bad' })).statusCode).toBe(400);
  });

  it.each([
    [{ target_type: 'user', target_id: 999_999_999, action: 'warn' }, 'code', 'unknown_target'],
    [{ target_type: 'message', target_id: 999_999_999, action: 'warn' }, 'code', 'unknown_target'],
    [{ target_type: 'user', target_id: 1, action: 'delete' }, 'field', 'action'],
    [{ target_type: 'user', target_id: 1, action: 'suspend', expires_at: 'tomorrow' }, 'field', 'expires_at'],
    [{ target_type: 'user', target_id: 1, action: 'suspend', expires_at: 5 }, 'field', 'expires_at'],
    [{ target_type: 'user', target_id: 1, action: 'warn', reason: 'x'.repeat(256) }, 'field', 'reason'],
    [{ target_type: 'user', target_id: 1, action: 'warn', extra: true }, 'field', 'extra'],
  ])('rejects bad input %#', async (body, kind, key) => {
    const res = await enforce(body);
    expect(res.statusCode).toBe(400);
    if (kind === 'code') expect(res.json().code).toBe(key);
    else expect(res.json()[key]).toBeDefined();
  });

  it('restricting actions are for users only: a real post cannot be banned', async () => {
    const post = await postBy(owner, 'a real post');
    const ban = await enforce({ target_type: 'post', target_id: post, action: 'ban' });
    expect(ban.statusCode).toBe(400);
    expect(ban.json().code).toBe('invalid_action_for_target');
    expect(await isActive(owner.id)).toBe(true);
  });

  it('hide on a real post takes it out of view through the social module; the audit records it', async () => {
    const viewer = await t.user();
    const post = await postBy(owner, 'soon hidden');
    expect((await viewer.req({ url: `/api/v1/posts/${post}/` })).statusCode).toBe(200);
    const res = await enforce({ target_type: 'post', target_id: post, action: 'hide', reason: 'spam' });
    expect(res.statusCode).toBe(201);
    expect((await viewer.req({ url: `/api/v1/posts/${post}/` })).statusCode).toBe(404);
    expect(await auditActions(res.json().id)).toContain('moderation.enforcement.created');
  });

  it('rejects a past expiry, an unknown report and enforcing on oneself, changing nothing', async () => {
    const u = await t.user();
    const past = await enforce({ target_type: 'user', target_id: u.id, action: 'suspend', expires_at: new Date(Date.now() - 60_000).toISOString() });
    expect(past.statusCode).toBe(400);
    expect(past.json().expires_at).toEqual(['Must be in the future.']);
    const badReport = await enforce({ target_type: 'user', target_id: u.id, action: 'suspend', report_id: 999_999_999 });
    expect(badReport.statusCode).toBe(400);
    expect(badReport.json().report_id).toBeDefined();
    expect(await isActive(u.id)).toBe(true);
    const self = await enforce({ target_type: 'user', target_id: mod.id, action: 'ban' });
    expect(self.json().code).toBe('cannot_enforce_self');
    expect(await isActive(mod.id)).toBe(true);
  });
});

describe('expiry', () => {
  it('the expiry job restores a user whose suspension ran out, and audits it', async () => {
    const u = await t.user();
    const e = (await enforce({ target_type: 'user', target_id: u.id, action: 'suspend', expires_at: inAnHour() })).json();
    expect(await isActive(u.id)).toBe(false);
    // Nothing is due yet: the job changes nothing.
    await t.ctx.queue.enqueue(MODERATION_JOBS.expire, {});
    await t.drain();
    expect(await isActive(u.id)).toBe(false);
    // Move the expiry into the past instead of waiting for it.
    await t.ctx.db.update(enforcements).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(enforcements.id, e.id));
    await t.ctx.queue.enqueue(MODERATION_JOBS.expire, {});
    await t.drain();
    expect(await isActive(u.id)).toBe(true);
    expect((await mod.req({ url: `/api/v1/moderation/enforcements/${e.id}/` })).json().lifted_at).toMatch(/Z$/);
    expect(await auditActions(e.id)).toEqual(['moderation.enforcement.expired', 'moderation.enforcement.created']);
  });

  it('a user with another running ban stays inactive when one suspension expires', async () => {
    const u = await t.user();
    await enforce({ target_type: 'user', target_id: u.id, action: 'suspend', expires_at: inAnHour() });
    await enforce({ target_type: 'user', target_id: u.id, action: 'ban' });
    const later = new Date(Date.now() + 2 * 3600_000);
    expect(await t.ctx.services.moderation.expireDue(later)).toBeGreaterThanOrEqual(1);
    expect(await isActive(u.id)).toBe(false);
  });

  itServer('concurrent expiry runs lift each enforcement once', async () => {
    const u = await t.user();
    const e = (await enforce({ target_type: 'user', target_id: u.id, action: 'suspend', expires_at: inAnHour() })).json();
    const later = new Date(Date.now() + 2 * 3600_000);
    await Promise.all([t.ctx.services.moderation.expireDue(later), t.ctx.services.moderation.expireDue(later), t.ctx.services.moderation.expireDue(later)]);
    expect(await isActive(u.id)).toBe(true);
    expect((await auditActions(e.id)).filter((a: string) => a === 'moderation.enforcement.expired')).toHaveLength(1);
  });
});

describe('banned-word auto-flagging', () => {
  const systemReports = async () =>
    (await mod.req({ url: '/api/v1/moderation/admin/reports/?page_size=100' })).json().results.filter((r: { source: string }) => r.source === 'auto');

  it('files one system report per target on whole-word, case-insensitive matches', async () => {
    // Real content over HTTP: the social and messaging modules' own events reach the flagger.
    const postId = await postBy(owner, 'Total SCAM, avoid!');
    const commentId = await commentBy(owner, postId, 'so offensive');
    const friend = await t.user();
    const thread = (await owner.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: friend.id } })).json().id;
    const sent = await owner.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: String(thread), body: 'buy spam now' } });
    expect(sent.statusCode).toBe(201);
    const messageId = sent.json().id;
    await t.drain();
    // A second match on the same target while its report is pending files nothing new.
    await t.ctx.services.moderation.autoFlag('post', postId, 'scam again');
    const auto = await systemReports();
    const post = auto.filter((r: { target_type: string; target_id: number }) => r.target_type === 'post' && r.target_id === postId);
    expect(post).toHaveLength(1);
    // The system files it: never the author as reporter.
    expect(post[0]).toMatchObject({ reporter: null, reason: 'auto_flag:banned_word', status: 'open' });
    expect(post[0].notes).toContain('matched "scam"');
    expect(auto.some((r: { target_type: string; target_id: number }) => r.target_type === 'comment' && r.target_id === commentId)).toBe(true);
    expect(auto.some((r: { target_type: string; target_id: number }) => r.target_type === 'message' && r.target_id === messageId)).toBe(true);
    // The author does not see it among their own reports.
    expect((await owner.req({ url: '/api/v1/moderation/reports/' })).json().results).toEqual([]);
  });

  it('does not match inside other words ("scampi", "spammer", "inoffensive")', async () => {
    const postId = await postBy(owner, 'Scampi for dinner, the spammer was inoffensive');
    await t.drain();
    expect((await systemReports()).some((r: { target_type: string; target_id: number }) => r.target_type === 'post' && r.target_id === postId)).toBe(false);
    expect(t.ctx.services.moderation.matchBanned('spam-bot')).toBe('spam');
    expect(t.ctx.services.moderation.matchBanned('ÜBERspam')).toBeNull();
  });
});
