// GitHub sign-in links the GitHub login to the rewards contributor (against a local fake GitHub),
// and the audit chain stays a single chain under concurrent reward deliveries.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/app.js';
import { itServer } from '../support/server-only.js';
import { auditEvents } from '../../src/modules/audit/schema.js';
import { deliver, prPayload, runCommand, SECRET } from './helpers.js';

let t: TestApp;
let server: http.Server;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/token') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const code = JSON.parse(body).code as string;
        json(200, code.startsWith('code-') ? { access_token: `tok-${code.slice(5)}` } : { error: 'bad_verification_code' });
      });
      return;
    }
    const who = (req.headers.authorization ?? '').replace('Bearer tok-', '');
    if (url.pathname === '/api/user') return json(200, { id: who === 'octo' ? 4242 : 5151, login: who === 'octo' ? 'OctoCat' : who, name: who });
    if (url.pathname === '/api/user/emails') return json(200, [{ email: `${who}@example.com`, primary: true, verified: true }]);
    json(404, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t = await createTestApp({ GITHUB_WEBHOOK_SECRET: SECRET, GITHUB_CLIENT_ID: 'gh', GITHUB_CLIENT_SECRET: 'gh-secret', GITHUB_TOKEN_URL: `${base}/token`, GITHUB_API_URL: `${base}/api` });
});
afterAll(async () => {
  await t?.close();
  server?.close();
});

describe('GitHub sign-in', () => {
  it('links the GitHub login, so earlier unlinked PRs become the account’s', async () => {
    expect((await deliver(t, prPayload({ login: 'octocat', number: 7, mergedAt: '2025-06-01T00:00:00Z' }))).statusCode).toBe(202);
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/social/github/callback/', body: { code: 'code-octo' } });
    expect(login.statusCode).toBe(200);
    const token = login.json().token;
    const evs = await t.request({ url: '/api/v1/contrib-rewards/events/', token });
    expect(evs.json().results).toHaveLength(1);
    expect(evs.json().results[0].contributor).toMatchObject({ github_username: 'octocat', user_id: login.json().user.id });
    // Signing in again changes nothing; later PRs are credited straight away.
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/social/github/callback/', body: { code: 'code-octo' } })).statusCode).toBe(200);
    expect((await deliver(t, prPayload({ login: 'OCTOCAT', number: 8, mergedAt: '2025-06-02T00:00:00Z' }))).statusCode).toBe(201);
    expect((await t.request({ url: '/api/v1/contrib-rewards/events/', token })).json().results).toHaveLength(2);
  });

  it('rewards-link and rewards-adjust commands', async () => {
    const u = await t.user();
    expect((await runCommand(t, 'rewards-link', ['--user', u.email, '--github', 'cmd-user'])).code).toBe(0);
    expect((await runCommand(t, 'rewards-link', ['--user', u.email, '--github', 'OctoCat'])).code).toBe(1);
    const adj = await runCommand(t, 'rewards-adjust', ['--github', 'cmd-user', '--type', 'bonus', '--points', '4', '--reason', 'docs sprint']);
    expect(adj.code).toBe(0);
    expect((await runCommand(t, 'rewards-adjust', ['--github', 'cmd-user', '--type', 'bonus', '--points', '4'])).code).not.toBe(0);
    const evs = (await u.req({ url: '/api/v1/contrib-rewards/events/' })).json().results;
    expect(evs[0]).toMatchObject({ event_type: 'bonus', points: 4, notes: 'docs sprint' });
  });
});

describe('audit chain', () => {
  itServer('has no forks under concurrent reward deliveries', async () => {
    const res = await Promise.all(Array.from({ length: 24 }, (_, i) => deliver(t, prPayload({ login: `racer${i % 4}`, number: 1000 + i, mergedAt: '2025-06-05T00:00:00Z' }))));
    expect(res.every((r) => r.statusCode === 202)).toBe(true);
    const rows = await t.ctx.db.select({ prev: auditEvents.hashPrev, self: auditEvents.hashSelf }).from(auditEvents).orderBy(asc(auditEvents.seq));
    const prevs = rows.map((r) => r.prev);
    expect(new Set(prevs).size).toBe(prevs.length); // no two events share a predecessor
    for (let i = 1; i < rows.length; i++) expect(rows[i].prev).toBe(rows[i - 1].self);
    expect((await runCommand(t, 'verify-audit', [])).code).toBe(0);
  });
});
