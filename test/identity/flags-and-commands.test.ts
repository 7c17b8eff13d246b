import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sharedTestApp, type TestApp } from '../support/app.js';
import { commands } from '../../src/commands/index.js';
import { DJANGO_IMPORTED } from '../support/django-vectors.js';

let t: TestApp;
beforeAll(async () => {
  t = await sharedTestApp();
});
afterAll(async () => t?.close());

const run = async (name: string, args: string[]) => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const code = (await commands[name].run(t.ctx, args)) ?? 0;
    return { code, out: log.mock.calls.map((c) => c.join(' ')).join('\n'), err: err.mock.calls.map((c) => c.join(' ')).join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
};

describe('feature flags', () => {
  it('unknown → default, disabled → off, rollout by user id, null rollout → everyone; saves invalidate the cache', async () => {
    const flags = t.ctx.services.flags;
    expect(await flags.isEnabled('nope', 1)).toBe(false);
    expect(await flags.isEnabled('nope', 1, true)).toBe(true);
    await flags.set('beta', { enabled: false, rollout: null });
    expect(await flags.isEnabled('beta', 1)).toBe(false);
    await flags.set('beta', { enabled: true, rollout: 50 });
    expect(await flags.isEnabled('beta', 10)).toBe(true);
    expect(await flags.isEnabled('beta', 90)).toBe(false);
    expect(await flags.isEnabled('beta')).toBe(false);
    await flags.set('beta', { enabled: true, rollout: 0 });
    expect(await flags.isEnabled('beta', 10)).toBe(false);
    await flags.set('beta', { enabled: true, rollout: null });
    expect(await flags.isEnabled('beta', 90)).toBe(true);
    await flags.remove('beta');
    expect(await flags.isEnabled('beta', 90)).toBe(false);
  });
});

describe('admin commands', () => {
  it('bootstrap-admin creates a staff superuser with the moderation role, and resets the password when re-run', async () => {
    const r = await run('bootstrap-admin', ['--email', 'root@example.com', '--password', 'admin-pass-1', '--name', 'Root']);
    expect(r.code).toBe(0);
    const admin = await t.ctx.services.users.findByEmail('root@example.com');
    expect(admin).toMatchObject({ isStaff: true, isSuperuser: true });
    expect(admin!.roles).toContain('moderation_team');
    expect((await t.ctx.services.flags.list()).map((f) => f.key)).toEqual(expect.arrayContaining(['mentor_voice_beta', 'soulmatch_pro']));
    await run('bootstrap-admin', ['--email', 'root@example.com', '--password', 'admin-pass-2']);
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/login/', body: { email: 'root@example.com', password: 'admin-pass-1' } })).statusCode).toBe(400);
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/login/', body: { email: 'root@example.com', password: 'admin-pass-2' } })).statusCode).toBe(200);
    expect((await run('bootstrap-admin', ['--email', 'x@example.com', '--password', 'short'])).code).toBe(2);
  });

  it('seed-demo creates demo accounts that can log in, with follows and complete personal maps; re-running is safe', async () => {
    expect((await run('seed-demo', ['--users', '30', '--follows', '120'])).code).toBe(0);
    expect((await run('seed-demo', ['--users', '30', '--follows', '120'])).code).toBe(0);
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login/', body: { email: 'demo-mentor@demo.selflink.app', password: 'changeme123' } });
    expect(login.statusCode).toBe(200);
    const token = login.json().token;
    const me = (await t.request({ url: '/api/v1/users/me/', token })).json();
    expect(me.following_count).toBe(2);
    expect((await t.request({ url: '/api/v1/me/profile/', token })).json().is_complete).toBe(true);
    const demo = (await t.ctx.services.users.list({ q: 'user0000', cursor: null, limit: 100 })).rows;
    expect(demo).toHaveLength(30);
    // Counters match the follow rows exactly.
    for (const u of demo.slice(0, 5)) expect(u.followersCount).toBe((await t.ctx.services.users.followerIds(u.id)).length);
    await expect(run('seed-demo', ['--users', '-1'])).rejects.toThrow('--users must be a whole number');
  });

  it('load-fixtures imports Django users (pbkdf2 hashes log in), follows and flags', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fixtures-'));
    // A hash made by an independent pbkdf2 implementation (see the vectors' file), not by our hasher.
    const hash = DJANGO_IMPORTED.hash;
    const big = '7389201738291827364'; // original snowflake ids are above 2^53
    fs.writeFileSync(
      path.join(dir, 'dump.json'),
      JSON.stringify([
        { model: 'users.user', pk: big, fields: { email: 'old@example.com', handle: 'old_user', name: 'Old User', password: hash, is_active: true } },
        { model: 'users.user', pk: '7389201738291827365', fields: { email: 'old2@example.com', handle: 'old_two', name: 'Old Two', password: '!', is_active: true } },
        { model: 'social.follow', pk: 1, fields: { follower: big, followee: '7389201738291827365' } },
        { model: 'config.featureflag', pk: 1, fields: { key: 'legacy_flag', enabled: true, rollout: '0.00' } },
        { model: 'payments.plan', pk: 1, fields: {} },
      ]),
    );
    const r = await run('load-fixtures', ['--path', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('2 users, 1 follows, 1 feature flags');
    expect(r.out).toContain('skipped 1 row(s) of payments.plan');
    const wrong = await t.request({ method: 'POST', url: '/api/v1/auth/login/', body: { email: 'old@example.com', password: 'imported-pw-2' } });
    expect(wrong.statusCode).toBe(400);
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login/', body: { email: 'old@example.com', password: DJANGO_IMPORTED.password } });
    expect(login.statusCode).toBe(200);
    expect(login.json().user.following_count).toBe(1);
    expect(await t.ctx.services.flags.isEnabled('legacy_flag', 99)).toBe(true);
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/login/', body: { email: 'old2@example.com', password: '!' } })).statusCode).toBe(400);
    expect((await run('load-fixtures', ['--path', '/nonexistent/dir'])).code).toBe(1);
  });

  it('load-fixtures reads the shipped fixtures folder', async () => {
    const r = await run('load-fixtures', ['--path', 'fixtures']);
    expect(r.code).toBe(0);
    expect((await t.ctx.services.flags.list()).map((f) => f.key)).toContain('mentor_voice_beta');
  });

  it('set-password and flags commands', async () => {
    const u = await t.user();
    expect((await run('set-password', [u.email, 'brand-new-pw'])).code).toBe(0);
    expect((await u.req({ url: '/api/v1/users/me/' })).statusCode).toBe(401);
    expect((await run('set-password', ['nobody@example.com', 'brand-new-pw'])).code).toBe(1);
    expect((await run('flags', ['set', 'cli_flag', '--enabled', '--rollout', '25'])).code).toBe(0);
    expect((await run('flags', ['list'])).out).toContain('cli_flag\tenabled=true\trollout=25');
    expect((await run('flags', ['set', 'cli_flag', '--rollout', '250'])).code).toBe(2);
  });
});
