// Community: problems, the agreement gate, work marks, likes, comments, artifacts, events, summary
// (figures from the rewards ledger), login/logout, string ids and no-store on every response.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { deliver, prPayload, runCommand, SECRET } from '../rewards/helpers.js';

let t: TestApp;
let ann: TestUser;
let ben: TestUser;
let problemId: string;

beforeAll(async () => {
  t = await createTestApp({ GITHUB_WEBHOOK_SECRET: SECRET, COMMUNITY_LOGIN_RATE: '3/min' });
  ann = await t.user();
  ben = await t.user();
});
afterAll(async () => t?.close());

const P = '/api/v1/community';
const isoZ = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('problems and the agreement gate', () => {
  it('creates a problem with one active MIT agreement and lists it publicly with string ids', async () => {
    expect((await t.request({ method: 'POST', url: `${P}/problems/`, body: { title: 'x' } })).statusCode).toBe(401);
    expect((await ann.req({ method: 'POST', url: `${P}/problems/`, body: {} })).json()).toHaveProperty('title');
    const res = await ann.req({ method: 'POST', url: `${P}/problems/`, body: { title: 'Make the feed faster', description: 'p99 too high' } });
    expect(res.statusCode).toBe(201);
    const p = res.json();
    problemId = p.id;
    expect(typeof p.id).toBe('string');
    expect(p).toMatchObject({ status: 'open', comments_count: 0, likes_count: 0, artifacts_count: 0, working_count: 0, has_liked: false, is_working: false });
    expect(p.last_activity_at).toMatch(isoZ);
    expect(res.headers['cache-control']).toContain('no-store');
    const list = await t.request({ url: `${P}/problems/` });
    expect(list.statusCode).toBe(200);
    expect(list.headers['cache-control']).toContain('no-store');
    expect(list.headers['x-sl-db']).toBeUndefined();
    expect(list.headers['x-sl-instance']).toBeUndefined();
    expect(list.json().results[0]).toMatchObject({ id: problemId, title: 'Make the feed faster' });
    const ag = await t.request({ url: `${P}/problems/${problemId}/agreement/` });
    expect(ag.json().agreement).toMatchObject({ license_spdx: 'MIT', version: '1.0', is_active: true });
    expect(ag.json().agreement.text).toContain('Permission is hereby granted');
    expect(typeof ag.json().agreement.id).toBe('string');
    const ev = (await t.request({ url: `${P}/problems/${problemId}/events/` })).json().results;
    expect(ev[0].type).toBe('problem.created');
    expect(Object.keys(ev[0]).sort()).toEqual(['actor', 'created_at', 'id', 'metadata', 'type']);
  });

  it('counts views on the detail route and 404s unknown or malformed ids', async () => {
    await t.request({ url: `${P}/problems/${problemId}/` });
    const d = await t.request({ url: `${P}/problems/${problemId}/` });
    expect(d.json().views_count).toBeGreaterThanOrEqual(2);
    expect(d.json().working_on_this).toEqual([]);
    expect((await t.request({ url: `${P}/problems/999999/` })).statusCode).toBe(404);
    expect((await t.request({ url: `${P}/problems/abc/` })).statusCode).toBe(400);
  });

  it('refuses writes without the agreement (AGREEMENT_REQUIRED) and allows them after acceptance', async () => {
    const c = await ben.req({ method: 'POST', url: `${P}/problems/${problemId}/comments/`, body: { body: 'I can help' } });
    expect(c.statusCode).toBe(403);
    expect(c.json().detail).toBe('AGREEMENT_REQUIRED');
    for (const [method, url] of [
      ['POST', 'work'],
      ['POST', 'like'],
      ['POST', 'artifacts'],
    ] as const) {
      const r = await ben.req({ method, url: `${P}/problems/${problemId}/${url}/`, body: url === 'artifacts' ? { title: 'a' } : {} });
      expect(r.json().detail, url).toBe('AGREEMENT_REQUIRED');
    }
    expect((await t.request({ method: 'POST', url: `${P}/problems/${problemId}/comments/`, body: { body: 'x' } })).statusCode).toBe(401);
    const acc = await ben.req({ method: 'POST', url: `${P}/problems/${problemId}/agreement/accept/` });
    expect(acc.statusCode).toBe(200);
    expect(acc.json()).toMatchObject({ accepted: true, problem_id: problemId });
    expect(typeof acc.json().agreement_id).toBe('string');
    const ok = await ben.req({ method: 'POST', url: `${P}/problems/${problemId}/comments/`, body: { body: 'I can help' } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ body: 'I can help', likes_count: 0, has_liked: false, user: { id: String(ben.id), username: ben.handle, avatar_url: null } });
    expect((await ben.req({ method: 'POST', url: `${P}/problems/${problemId}/comments/`, body: { body: '' } })).json()).toHaveProperty('body');
  });

  it('work marks, likes and comment likes are idempotent and counted', async () => {
    const w1 = await ben.req({ method: 'POST', url: `${P}/problems/${problemId}/work/`, body: { note: 'on it' } });
    expect(w1.statusCode).toBe(201);
    const w2 = await ben.req({ method: 'POST', url: `${P}/problems/${problemId}/work/` });
    expect(w2.statusCode).toBe(200);
    expect(w2.json()).toEqual({ working_count: 1, is_working: true, problem_id: problemId });
    const detail = (await ben.req({ url: `${P}/problems/${problemId}/` })).json();
    expect(detail).toMatchObject({ is_working: true, working_count: 1, working_on_this: [{ id: String(ben.id) }] });
    const del = await ben.req({ method: 'DELETE', url: `${P}/problems/${problemId}/work/` });
    expect(del.json()).toMatchObject({ is_working: false, working_count: 0 });

    await ben.req({ method: 'POST', url: `${P}/problems/${problemId}/like/` });
    const like = await ben.req({ method: 'POST', url: `${P}/problems/${problemId}/like/` });
    expect(like.json()).toEqual({ likes_count: 1, has_liked: true, problem_id: problemId });
    expect((await ben.req({ method: 'DELETE', url: `${P}/problems/${problemId}/like/` })).json()).toMatchObject({ likes_count: 0, has_liked: false });

    const comments = (await ben.req({ url: `${P}/problems/${problemId}/comments/` })).json().results;
    const cid = comments[0].id;
    const cl = await ben.req({ method: 'POST', url: `${P}/problems/${problemId}/comments/${cid}/like/` });
    expect(cl.json()).toEqual({ problem_id: problemId, comment_id: cid, has_liked: true, likes_count: 1 });
    expect((await ben.req({ url: `${P}/problems/${problemId}/comments/` })).json().results[0]).toMatchObject({ likes_count: 1, has_liked: true });
    const other = (await ann.req({ method: 'POST', url: `${P}/problems/`, body: { title: 'other' } })).json();
    await ben.req({ method: 'POST', url: `${P}/problems/${other.id}/agreement/accept/` });
    expect((await ben.req({ method: 'POST', url: `${P}/problems/${other.id}/comments/${cid}/like/` })).statusCode).toBe(404);
    const types = (await t.request({ url: `${P}/problems/${problemId}/events/?page_size=50` })).json().results.map((e: { type: string }) => e.type);
    for (const ty of ['problem.agreement_accepted', 'problem.comment_created', 'problem.work_marked', 'problem.work_unmarked', 'problem.liked', 'problem.unliked', 'problem.comment_liked']) expect(types).toContain(ty);
  });

  it('artifacts and their comments', async () => {
    expect((await ben.req({ method: 'POST', url: `${P}/problems/${problemId}/artifacts/`, body: { title: 'PR', url: 'javascript:alert(1)' } })).json()).toHaveProperty('url');
    const a = await ben.req({ method: 'POST', url: `${P}/problems/${problemId}/artifacts/`, body: { title: 'PR #1', description: 'fix', url: 'https://github.com/x/y/pull/1' } });
    expect(a.statusCode).toBe(201);
    const art = a.json();
    expect(art).toMatchObject({ title: 'PR #1', url: 'https://github.com/x/y/pull/1', user: { id: String(ben.id) } });
    expect((await t.request({ url: `${P}/artifacts/` })).json().results[0].id).toBe(art.id);
    expect((await t.request({ url: `${P}/artifacts/${art.id}/` })).json().title).toBe('PR #1');
    expect((await t.request({ url: `${P}/problems/${problemId}/artifacts/` })).json().results).toHaveLength(1);
    const carl = await t.user();
    expect((await carl.req({ method: 'POST', url: `${P}/artifacts/${art.id}/comments/`, body: { body: 'nice' } })).json().detail).toBe('AGREEMENT_REQUIRED');
    const c = await ben.req({ method: 'POST', url: `${P}/artifacts/${art.id}/comments/`, body: { body: 'nice' } });
    expect(c.statusCode).toBe(201);
    expect(Object.keys(c.json()).sort()).toEqual(['body', 'created_at', 'id', 'user']);
    expect((await t.request({ url: `${P}/artifacts/${art.id}/comments/` })).json().results[0].body).toBe('nice');
  });
});

describe('community auth and summary', () => {
  it('logs in by e-mail, answers me, and logout revokes that access token', async () => {
    const bad = await t.request({ method: 'POST', url: `${P}/auth/login/`, body: { username: ann.email, password: 'wrong-password' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toBe('INVALID_CREDENTIALS');
    const res = await t.request({ method: 'POST', url: `${P}/auth/login/`, body: { username: ann.email, password: ann.password } });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b).toMatchObject({ token_type: 'Bearer', user: { id: String(ann.id), username: ann.handle, avatar_url: null } });
    expect(b.access).toBeTruthy();
    expect(b.refresh).toBeTruthy();
    expect((await t.request({ url: `${P}/auth/me/`, token: b.access })).json()).toEqual({ user: { id: String(ann.id), username: ann.handle, avatar_url: null } });
    const out = await t.request({ method: 'POST', url: `${P}/auth/logout/`, token: b.access });
    expect(out.json()).toEqual({ ok: true });
    expect((await t.request({ url: `${P}/auth/me/`, token: b.access })).statusCode).toBe(401);
    // Other sessions of the same user are untouched.
    expect((await ann.req({ url: `${P}/auth/me/` })).statusCode).toBe(200);
  });

  it('rate-limits login attempts per IP', async () => {
    // COMMUNITY_LOGIN_RATE is 3/min here and the test above used two attempts.
    const codes: number[] = [];
    for (let i = 0; i < 2; i++) codes.push((await t.request({ method: 'POST', url: `${P}/auth/login/`, body: { username: 'x@example.com', password: 'nope' } })).statusCode);
    expect(codes).toEqual([400, 429]);
    const limited = await t.request({ method: 'POST', url: `${P}/auth/login/`, body: { username: ann.email, password: ann.password } });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeTruthy();
  });

  it('answers CORS preflight for the community web app', async () => {
    const res = await t.request({ method: 'OPTIONS' as 'GET', url: `${P}/problems/1/work/`, headers: { origin: 'https://community.self-link.com', 'access-control-request-method': 'POST' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://community.self-link.com');
    const evil = await t.request({ method: 'OPTIONS' as 'GET', url: `${P}/problems/`, headers: { origin: 'https://evil.example' } });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('summary shows real income and contributors from the rewards ledger', async () => {
    const before = (await t.request({ url: `${P}/summary/` })).json();
    expect(before.total_income).toEqual({ amount: '0.00', currency: 'USD' });
    expect((await deliver(t, prPayload({ login: 'dev-one', number: 1, mergedAt: '2025-05-02T00:00:00Z' }))).statusCode).toBe(202);
    expect((await deliver(t, prPayload({ login: 'dev-two', number: 2, mergedAt: '2025-05-03T00:00:00Z', labels: ['size/XS'] }))).statusCode).toBe(202);
    expect((await runCommand(t, 'rewards-snapshot', ['--month', '2025-05', '--revenue-cents', '123456', '--costs-cents', '23456'])).code).toBe(0);
    const res = await t.request({ url: `${P}/summary/` });
    expect(res.headers['cache-control']).toContain('no-store');
    const s = res.json();
    expect(s.as_of).toMatch(isoZ);
    expect(s.total_income).toEqual({ amount: '1234.56', currency: 'USD' });
    expect(s.contributors_reward).toEqual({ amount: '500.00', currency: 'USD' });
    expect(s.contributors.count).toBe(2);
    expect(s.distribution_preview[0]).toMatchObject({ github_username: 'dev-one', points: 10 });
  });
});
