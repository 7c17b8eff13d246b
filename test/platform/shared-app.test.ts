// The worker's shared app (test/support/app.ts): one app, a fresh database copy and an empty store per
// file, and never handed on once a file changed it.
import { afterAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp } from '../support/app.js';

describe('sharedTestApp', () => {
  let open: TestApp | null = null;
  afterAll(async () => open?.close());

  it('hands the same app to the next file with a fresh database copy, an empty store and prepared statements on the new copy', async () => {
    const first = (open = await sharedTestApp());
    const alice = await first.user({ handle: 'shared_alice' });
    expect((await alice.req({ url: '/api/v1/users/me/' })).json().handle).toBe('shared_alice');
    await first.ctx.kv.set('shared-app-test', 'left behind');
    await first.close();

    const second = (open = await sharedTestApp());
    expect(second.app).toBe(first.app);
    expect(await second.ctx.kv.get('shared-app-test')).toBeNull();
    // The first copy's user is gone: its token names a user this copy never had.
    expect((await alice.req({ url: '/api/v1/users/me/' })).statusCode).toBe(401);
    // The handle is free again (registering it on the old copy would fail as taken).
    const again = await second.user({ handle: 'shared_alice' });
    expect((await again.req({ url: '/api/v1/users/me/' })).json()).toMatchObject({ id: again.id, handle: 'shared_alice' });
    await second.close();
    open = null;
  });

  it('refuses to hand on an app a file changed, and the next file gets a new one', async () => {
    const t = (open = await sharedTestApp());
    t.ctx.events.on('post.created', () => undefined, { key: 'shared-app-test' });
    await expect(t.close()).rejects.toThrow(/changed the shared app \(event listeners\)/);
    const next = (open = await sharedTestApp());
    expect(next.app).not.toBe(t.app);
    expect(next.ctx.events.listenerKeys()).not.toContain('shared-app-test');
    const u = await next.user();
    expect((await u.req({ url: '/api/v1/users/me/' })).statusCode).toBe(200);
    await next.close();
    open = null;
  });

  it('refuses a second sharedTestApp() before close()', async () => {
    const t = (open = await sharedTestApp());
    await expect(sharedTestApp()).rejects.toThrow(/in use/);
    await t.close();
    // A late second close() of a file that handed the app on is harmless.
    const next = (open = await sharedTestApp());
    await t.close();
    expect((await (await next.user()).req({ url: '/api/v1/users/me/' })).statusCode).toBe(200);
    await next.close();
    open = null;
  });

  it('builds a new app when an earlier file never closed it', async () => {
    const t = (open = await sharedTestApp());
    await t.ctx.kv.set('shared-app-test', 'abandoned');
    const file = expect.getState().testPath;
    expect.setState({ testPath: `${file}.another-file` });
    try {
      const next = (open = await sharedTestApp());
      expect(next.app).not.toBe(t.app);
      expect(await next.ctx.kv.get('shared-app-test')).toBeNull();
      expect((await (await next.user()).req({ url: '/api/v1/users/me/' })).statusCode).toBe(200);
      await next.close();
      open = null;
    } finally {
      expect.setState({ testPath: file });
    }
  });
});
