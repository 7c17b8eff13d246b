import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
import { commentBy, makeStaff, postBy } from './helpers.js';
import { itServer } from '../support/server-only.js';

let t: TestApp;
let reporter: TestUser;
let other: TestUser;
let target: TestUser;
let mod: TestUser;
let roleMod: TestUser;

beforeAll(async () => {
  t = await sharedTestApp();
  [reporter, other, target, mod, roleMod] = [await t.user(), await t.user(), await t.user(), await t.user(), await t.user()];
  await makeStaff(t, mod);
  await makeStaff(t, roleMod, 'role');
});
afterAll(async () => t?.close());

const report = (u: TestUser, body: unknown) => u.req({ method: 'POST', url: '/api/v1/moderation/reports/', body });

describe('POST moderation/reports/', () => {
  it('files a report on an existing user and shows it to the reporter only', async () => {
    const res = await report(reporter, { target_type: 'user', target_id: target.id, reason: 'harassment' });
    expect(res.statusCode).toBe(201);
    const r = res.json();
    expect(r).toEqual({ id: r.id, target_type: 'user', target_id: target.id, reason: 'harassment', status: 'open', notes: '', created_at: r.created_at });
    expect(r.created_at).toMatch(/Z$/);
    const mine = (await reporter.req({ url: '/api/v1/moderation/reports/' })).json();
    expect(mine.results.map((x: { id: number }) => x.id)).toContain(r.id);
    expect(mine).toMatchObject({ next: null, previous: null });
    const theirs = (await other.req({ url: '/api/v1/moderation/reports/' })).json();
    expect(theirs.results).toEqual([]);
    expect((await other.req({ url: `/api/v1/moderation/reports/${r.id}/` })).statusCode).toBe(404);
  });

  it('reports on registered content types work; the registry decides existence', async () => {
    const post = await postBy(target);
    const ok = await report(reporter, { target_type: 'post', target_id: post, reason: 'spam' });
    expect(ok.statusCode).toBe(201);
    const comment = await report(reporter, { target_type: 'comment', target_id: await commentBy(target, post), reason: 'spam' });
    expect(comment.statusCode).toBe(201);
    // A post that existed and was deleted is gone for moderation too.
    const gone = await postBy(target);
    expect((await target.req({ method: 'DELETE', url: `/api/v1/posts/${gone}/` })).statusCode).toBe(204);
    const missing = await report(reporter, { target_type: 'post', target_id: gone, reason: 'spam' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().code).toBe('unknown_target');
  });

  it('content the reporter cannot see cannot be reported', async () => {
    const hidden = (await target.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'just me', visibility: 'private' } })).json().id;
    const res = await report(reporter, { target_type: 'post', target_id: hidden, reason: 'spam' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('unknown_target');
  });

  it('unknown targets are 400 with a code', async () => {
    const noUser = await report(reporter, { target_type: 'user', target_id: 999_999_999, reason: 'x' });
    expect(noUser.statusCode).toBe(400);
    expect(noUser.json().code).toBe('unknown_target');
    const noMessage = await report(reporter, { target_type: 'message', target_id: 999_999_999, reason: 'x' });
    expect(noMessage.statusCode).toBe(400);
    expect(noMessage.json().code).toBe('unknown_target');
  });

  it('nobody can report themselves or their own content', async () => {
    const self = await report(target, { target_type: 'user', target_id: target.id, reason: 'x' });
    expect(self.statusCode).toBe(400);
    expect(self.json().code).toBe('cannot_report_self');
    const ownPost = await report(target, { target_type: 'post', target_id: await postBy(target), reason: 'x' });
    expect(ownPost.json().code).toBe('cannot_report_self');
  });

  it.each([
    [{ target_type: 'video', target_id: 1, reason: 'x' }, 'target_type'],
    [{ target_type: 'user', target_id: 'abc', reason: 'x' }, 'target_id'],
    [{ target_type: 'user', target_id: 0, reason: 'x' }, 'target_id'],
    [{ target_type: 'user', target_id: 1e16, reason: 'x' }, 'target_id'],
    [{ target_type: 'user', target_id: 1, reason: 'x'.repeat(256) }, 'reason'],
    [{ target_type: 'user', target_id: 1, reason: '' }, 'reason'],
    [{ target_type: 'user', target_id: 1 }, 'reason'],
    [{ target_type: 'user', target_id: 1, reason: 'x', status: 'resolved' }, 'status'],
  ])('rejects bad input %# with a field error', async (body, field) => {
    const res = await report(reporter, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()[field]).toBeDefined();
  });

  it('a duplicate pending report returns the existing one (200)', async () => {
    const u = await t.user();
    const post = await postBy(target);
    const first = await report(u, { target_type: 'post', target_id: post, reason: 'first' });
    expect(first.statusCode).toBe(201);
    const again = await report(u, { target_type: 'post', target_id: post, reason: 'second' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, reason: 'first' });
  });

  itServer('a duplicate pending report returns the existing one (200) under concurrency', async () => {
    const u = await t.user();
    const post = await postBy(target);
    const results = await Promise.all(Array.from({ length: 6 }, () => report(u, { target_type: 'post', target_id: post, reason: 'race' })));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(5);
    expect(new Set(results.map((r) => r.json().id)).size).toBe(1);
  });

  it('requires authentication', async () => {
    expect((await t.request({ method: 'POST', url: '/api/v1/moderation/reports/', body: { target_type: 'user', target_id: 1, reason: 'x' } })).statusCode).toBe(401);
  });
});

describe('reporter edits', () => {
  it('only the reason is editable, only while open; others get 404', async () => {
    const r = (await report(reporter, { target_type: 'post', target_id: await postBy(target), reason: 'spam' })).json();
    const patched = await reporter.req({ method: 'PATCH', url: `/api/v1/moderation/reports/${r.id}/`, body: { reason: 'scam' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().reason).toBe('scam');
    const put = await reporter.req({ method: 'PUT', url: `/api/v1/moderation/reports/${r.id}/`, body: { reason: 'fraud' } });
    expect(put.json().reason).toBe('fraud');
    expect((await reporter.req({ method: 'PUT', url: `/api/v1/moderation/reports/${r.id}/`, body: {} })).statusCode).toBe(400);
    const retarget = await reporter.req({ method: 'PATCH', url: `/api/v1/moderation/reports/${r.id}/`, body: { target_id: 1 } });
    expect(retarget.statusCode).toBe(400);
    const status = await reporter.req({ method: 'PATCH', url: `/api/v1/moderation/reports/${r.id}/`, body: { status: 'resolved' } });
    expect(status.statusCode).toBe(400);
    expect((await other.req({ method: 'PATCH', url: `/api/v1/moderation/reports/${r.id}/`, body: { reason: 'hijack' } })).statusCode).toBe(404);
    expect((await other.req({ method: 'DELETE', url: `/api/v1/moderation/reports/${r.id}/` })).statusCode).toBe(404);

    // Once staff picks it up, the reporter can no longer change or withdraw it.
    await mod.req({ method: 'PATCH', url: `/api/v1/moderation/admin/reports/${r.id}/`, body: { status: 'in_review' } });
    const locked = await reporter.req({ method: 'PATCH', url: `/api/v1/moderation/reports/${r.id}/`, body: { reason: 'late' } });
    expect(locked.statusCode).toBe(409);
    expect(locked.json().code).toBe('report_not_open');
    expect((await reporter.req({ method: 'DELETE', url: `/api/v1/moderation/reports/${r.id}/` })).statusCode).toBe(409);
    expect((await reporter.req({ url: `/api/v1/moderation/reports/${r.id}/` })).json()).toMatchObject({ reason: 'fraud', status: 'in_review' });
  });

  it('an open report can be withdrawn (204), then it is gone', async () => {
    const r = (await report(reporter, { target_type: 'post', target_id: await postBy(target), reason: 'x' })).json();
    expect((await reporter.req({ method: 'DELETE', url: `/api/v1/moderation/reports/${r.id}/` })).statusCode).toBe(204);
    expect((await reporter.req({ url: `/api/v1/moderation/reports/${r.id}/` })).statusCode).toBe(404);
  });

  it('lists page through cursors and reject bad ones', async () => {
    const u = await t.user();
    for (let i = 0; i < 3; i++) await report(u, { target_type: 'post', target_id: await postBy(target), reason: `r${i}` });
    const p1 = (await u.req({ url: '/api/v1/moderation/reports/?page_size=2' })).json();
    expect(p1.results.map((r: { reason: string }) => r.reason)).toEqual(['r2', 'r1']);
    const p2 = (await u.req({ url: p1.next.replace(/^https?:\/\/[^/]+/, '') })).json();
    expect(p2.results.map((r: { reason: string }) => r.reason)).toEqual(['r0']);
    expect(p2.next).toBeNull();
    expect((await u.req({ url: '/api/v1/moderation/reports/?cursor=zzz' })).statusCode).toBe(400);
    expect((await u.req({ url: '/api/v1/moderation/reports/?page_size=0' })).statusCode).toBe(400);
    expect((await u.req({ url: '/api/v1/moderation/reports/abc/' })).statusCode).toBe(400);
  });
});

describe('staff queue', () => {
  it('non-moderators get 403 on every staff route', async () => {
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/v1/moderation/admin/reports/'],
      ['POST', '/api/v1/moderation/admin/reports/', { target_type: 'user', target_id: target.id, reason: 'x' }],
      ['GET', '/api/v1/moderation/admin/reports/1/'],
      ['PUT', '/api/v1/moderation/admin/reports/1/', { status: 'resolved' }],
      ['PATCH', '/api/v1/moderation/admin/reports/1/', { status: 'resolved' }],
      ['DELETE', '/api/v1/moderation/admin/reports/1/'],
      ['GET', '/api/v1/moderation/enforcements/'],
      ['GET', '/api/v1/moderation/enforcements/1/'],
      ['POST', '/api/v1/moderation/admin/enforcements/', { target_type: 'user', target_id: target.id, action: 'warn' }],
    ];
    for (const [method, url, body] of calls) {
      const res = await other.req({ method: method as never, url, body });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
  });

  it('the moderation_team role works without is_staff; lists carry reporter and filter by status', async () => {
    const r = (await report(reporter, { target_type: 'post', target_id: await postBy(target), reason: 'queue me' })).json();
    const res = await roleMod.req({ url: '/api/v1/moderation/admin/reports/?status=open&page_size=100' });
    expect(res.statusCode).toBe(200);
    const item = res.json().results.find((x: { id: number }) => x.id === r.id);
    expect(item).toMatchObject({ reporter: reporter.id, source: 'user', status: 'open' });
    expect(res.json().results.every((x: { status: string }) => x.status === 'open')).toBe(true);
    expect((await roleMod.req({ url: '/api/v1/moderation/admin/reports/?status=bogus' })).statusCode).toBe(400);
  });

  it('POST admin/reports/ files a staff report (no 500)', async () => {
    const res = await mod.req({ method: 'POST', url: '/api/v1/moderation/admin/reports/', body: { target_type: 'user', target_id: target.id, reason: 'pattern', notes: 'seen before' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ reporter: mod.id, source: 'staff', notes: 'seen before', status: 'open' });
    const empty = await mod.req({ method: 'POST', url: '/api/v1/moderation/admin/reports/', body: {} });
    expect(empty.statusCode).toBe(400);
  });

  it('status and notes changes are saved and audited; PUT needs status; unknown ids 404', async () => {
    const r = (await report(reporter, { target_type: 'post', target_id: await postBy(target), reason: 'x' })).json();
    const res = await mod.req({ method: 'PATCH', url: `/api/v1/moderation/admin/reports/${r.id}/`, body: { status: 'resolved', notes: 'removed' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'resolved', notes: 'removed', reporter: reporter.id });
    const events = (await mod.req({ url: '/api/v1/audit/events/?page_size=100' })).json().results;
    const ev = events.find((e: { object_id: string; action: string }) => e.object_id === String(r.id) && e.action === 'moderation.report.status_changed');
    expect(ev).toMatchObject({ actor_user: mod.id, object_type: 'report', metadata: { status_from: 'open', status_to: 'resolved', notes_changed: true } });

    expect((await mod.req({ method: 'PUT', url: `/api/v1/moderation/admin/reports/${r.id}/`, body: { notes: 'x' } })).statusCode).toBe(400);
    expect((await mod.req({ method: 'PATCH', url: `/api/v1/moderation/admin/reports/${r.id}/`, body: { status: 'closed' } })).statusCode).toBe(400);
    expect((await mod.req({ method: 'PATCH', url: `/api/v1/moderation/admin/reports/${r.id}/`, body: { reason: 'x' } })).statusCode).toBe(400);
    expect((await mod.req({ method: 'PUT', url: '/api/v1/moderation/admin/reports/999999999/', body: { status: 'dismissed' } })).statusCode).toBe(404);
    expect((await mod.req({ url: '/api/v1/moderation/admin/reports/999999999/' })).statusCode).toBe(404);
    const put = await mod.req({ method: 'PUT', url: `/api/v1/moderation/admin/reports/${r.id}/`, body: { status: 'dismissed' } });
    expect(put.json()).toMatchObject({ status: 'dismissed', notes: 'removed' });
  });

  it('DELETE removes a report and audits it', async () => {
    const r = (await report(reporter, { target_type: 'post', target_id: await postBy(target), reason: 'x' })).json();
    expect((await mod.req({ method: 'DELETE', url: `/api/v1/moderation/admin/reports/${r.id}/` })).statusCode).toBe(204);
    expect((await mod.req({ url: `/api/v1/moderation/admin/reports/${r.id}/` })).statusCode).toBe(404);
    expect((await mod.req({ method: 'DELETE', url: `/api/v1/moderation/admin/reports/${r.id}/` })).statusCode).toBe(404);
    const events = (await mod.req({ url: '/api/v1/audit/events/?page_size=100' })).json().results;
    expect(events.some((e: { object_id: string; action: string }) => e.object_id === String(r.id) && e.action === 'moderation.report.deleted')).toBe(true);
  });
});
