// An author's own next reads show their new post from the response on, with no relay pass between:
// post.created's listeners all run after the answer (docs/events.md), so the request itself drops
// what the author reads next. The relay loop is stopped here, so nothing else can.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ SESSION_CACHE_TTL_MS: '60000' });
  await t.ctx.events.stop();
});
afterAll(async () => t?.close());

describe('a new post, before any relay pass', () => {
  it('shows on its author\'s users/me (posts_count) and reused for_you page', async () => {
    const u = await t.user();
    const me = async () => (await u.req({ url: '/api/v1/users/me/' })).json().posts_count as number;
    const forYou = async () => ((await u.req({ url: '/api/v1/feed/for_you/?limit=50' })).json().items as { type: string; post?: { id: number } }[]).flatMap((i) => (i.post ? [i.post.id] : []));
    // Warm: the session and the reused first page are cached.
    expect(await me()).toBe(0);
    expect(await me()).toBe(0);
    await forYou();
    const made = await u.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'mine, at once' } });
    expect(made.statusCode).toBe(201);
    expect(await me()).toBe(1);
    expect(await forYou()).toContain(made.json().id);
    // The event is still waiting for the loop: only the request's own drops ran.
    expect(await t.ctx.events.pending()).toBeGreaterThan(0);
    await t.drain();
  });
});
