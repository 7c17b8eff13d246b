// Rendered feed pages (the page cache: src/platform/pages.ts, docs/perf.md): a warm page costs no
// query, and every write that changes what a page shows drops it — one test per kind of write, read
// right after it (no drain unless the change is a background job's). Thread lists: thread-pages.test.ts.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { createSiblingApp, type SiblingApp } from '../support/sibling.js';
import { SERVER_MODE } from '../support/mode.js';
import { countQueries } from '../../src/platform/db/query-count.js';
import { sessionCacheOf } from '../../src/modules/users/session-cache.js';
import { postTag } from '../../src/modules/social/service.js';
import { matrixCardKey } from '../../src/modules/matrix/service.js';
import { coinEnv, fund } from '../coin/helpers.js';

// A long TTL makes "still cached" certain; the session cache on, as in production.
const LONG = { PAGE_CACHE_TTL_MS: '60000', SESSION_CACHE_TTL_MS: '60000' };
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ ...LONG, ...coinEnv(), RATE_LIMITS_ENABLED: 'false' });
  await Promise.all([t.ctx.pages.subscribed(), sessionCacheOf(t.ctx).subscribed()]);
}, 60_000);
afterAll(async () => t?.close());

type Post = { id: number; text: string; like_count: number; liked: boolean; comment_count: number; author: { name: string; flags?: { online?: boolean } }; recent_gifts: { key: string }[] };
const FEEDS = ['/api/v1/feed/home/', '/api/v1/feed/for_you/'] as const;
const read = async (u: TestUser, url: string, app: { request: TestApp['request'] } = t) => {
  const res = await app.request({ url, token: u.token });
  expect(res.statusCode).toBe(200);
  return res;
};
const postsIn = async (u: TestUser, url: string) => ((await read(u, url)).json().items as { type: string; post?: Post }[]).filter((i) => i.type === 'post').map((i) => i.post!);
const find = async (u: TestUser, url: string, id: number) => (await postsIn(u, url)).find((p) => p.id === id);
const ok = async (p: Promise<{ statusCode: number }>) => expect((await p).statusCode).toBeLessThan(300);

/** A reader following an author with one public post; both feeds read twice, so both are cached. */
async function scene() {
  const [author, reader] = await Promise.all([t.user(), t.user()]);
  await ok(reader.req({ method: 'POST', url: `/api/v1/users/${author.id}/follow/`, body: {} }));
  const res = await author.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'original text' } });
  expect(res.statusCode).toBe(201);
  const postId = res.json().id as number;
  await t.drain();
  // A first read queues the insight cards' jobs, which drop the reader's pages as they finish.
  for (const url of FEEDS) await read(reader, url);
  await t.drain();
  for (const url of FEEDS) {
    const first = await read(reader, url);
    const again = await countQueries(() => read(reader, url));
    expect(again.queries).toBe(0);
    expect(again.result.body).toBe(first.body);
    expect(first.json().items.map((i: { id: unknown }) => i.id)).toContain(postId);
  }
  return { author, reader, postId };
}
const inBoth = async (u: TestUser, id: number) => Promise.all(FEEDS.map((url) => find(u, url, id)));

describe('rendered feed pages', () => {
  it('serve a warm page without a query, the same bytes, counted in cache_lookups_total', async () => {
    const { reader } = await scene();
    const hits = async () => (await t.ctx.metrics.registry.getSingleMetric('cache_lookups_total')!.get()).values.find((v) => v.labels.cache === 'pages' && v.labels.outcome === 'hit')?.value ?? 0;
    const before = await hits();
    await read(reader, FEEDS[0]);
    expect(await hits()).toBe(before + 1);
  });

  it('are one per viewer and URL', async () => {
    const { author, reader, postId } = await scene();
    const other = await t.user();
    expect((await find(other, FEEDS[0], postId))).toBeUndefined(); // not following: not in their home
    const small = await read(reader, `${FEEDS[0]}?page_size=1`);
    expect(small.json().items.filter((i: { type: string }) => i.type === 'post')).toHaveLength(1);
    expect((await find(author, FEEDS[0], postId))?.id).toBe(postId);
  });

  it('show a like by someone else (count), and the viewer\'s own like and unlike', async () => {
    const { reader, postId } = await scene();
    const other = await t.user();
    await ok(other.req({ method: 'POST', url: `/api/v1/posts/${postId}/like/`, body: {} }));
    for (const p of await inBoth(reader, postId)) expect([p?.like_count, p?.liked]).toEqual([1, false]);
    await ok(reader.req({ method: 'POST', url: `/api/v1/posts/${postId}/like/`, body: {} }));
    for (const p of await inBoth(reader, postId)) expect([p?.like_count, p?.liked]).toEqual([2, true]);
    await ok(other.req({ method: 'POST', url: `/api/v1/posts/${postId}/unlike/`, body: {} }));
    for (const p of await inBoth(reader, postId)) expect(p?.like_count).toBe(1);
  });

  it('show a comment by someone else, and its deletion', async () => {
    const { reader, postId } = await scene();
    const other = await t.user();
    const c = await other.req({ method: 'POST', url: '/api/v1/comments/', body: { post: postId, text: 'hi' } });
    expect(c.statusCode).toBe(201);
    for (const p of await inBoth(reader, postId)) expect(p?.comment_count).toBe(1);
    await ok(other.req({ method: 'DELETE', url: `/api/v1/comments/${c.json().id}/` }));
    for (const p of await inBoth(reader, postId)) expect(p?.comment_count).toBe(0);
  });

  it('show an edit, and drop a deleted post', async () => {
    const { author, reader, postId } = await scene();
    await ok(author.req({ method: 'PATCH', url: `/api/v1/posts/${postId}/`, body: { text: 'edited text' } }));
    for (const p of await inBoth(reader, postId)) expect(p?.text).toBe('edited text');
    await ok(author.req({ method: 'DELETE', url: `/api/v1/posts/${postId}/` }));
    expect(await inBoth(reader, postId)).toEqual([undefined, undefined]);
  });

  it('follow visibility changes both ways (private hides it; public again shows it to pages that no longer carried it)', async () => {
    const { author, reader, postId } = await scene();
    await ok(author.req({ method: 'PATCH', url: `/api/v1/posts/${postId}/`, body: { visibility: 'private' } }));
    expect(await inBoth(reader, postId)).toEqual([undefined, undefined]);
    expect(await find(reader, FEEDS[0], postId)).toBeUndefined(); // cached without it
    await ok(author.req({ method: 'PATCH', url: `/api/v1/posts/${postId}/`, body: { visibility: 'public' } }));
    expect((await find(reader, FEEDS[0], postId))?.id).toBe(postId);
  });

  it('follow a moderation takedown and its reversal', async () => {
    const { reader, postId } = await scene();
    expect(await t.ctx.services.social.hidePost(postId)).toBe(true);
    expect(await inBoth(reader, postId)).toEqual([undefined, undefined]);
    expect(await find(reader, FEEDS[0], postId)).toBeUndefined();
    expect(await t.ctx.services.social.hidePost(postId, false)).toBe(true);
    expect((await find(reader, FEEDS[0], postId))?.id).toBe(postId);
  });

  it('follow a block either way, and its removal', async () => {
    const { author, reader, postId } = await scene();
    await ok(author.req({ method: 'POST', url: `/api/v1/users/${reader.id}/block/`, body: {} }));
    expect(await inBoth(reader, postId)).toEqual([undefined, undefined]);
    await ok(author.req({ method: 'DELETE', url: `/api/v1/users/${reader.id}/block/` }));
    // The block ended the follow: the post is public, so for_you shows it again.
    expect((await find(reader, FEEDS[1], postId))?.id).toBe(postId);
  });

  it('follow the author\'s suspension and reactivation', async () => {
    const { author, reader, postId } = await scene();
    // (drained: the user row cache of session-cache.ts hears of a direct service call through its event)
    await t.ctx.services.users.setActive(author.id, false);
    await t.drain();
    expect(await inBoth(reader, postId)).toEqual([undefined, undefined]);
    expect(await find(reader, FEEDS[0], postId)).toBeUndefined(); // cached without it
    await t.ctx.services.users.setActive(author.id, true);
    await t.drain();
    expect((await find(reader, FEEDS[0], postId))?.id).toBe(postId);
  });

  it('show the author\'s rename', async () => {
    const { author, reader, postId } = await scene();
    const name = `Renamed ${randomUUID().slice(0, 6)}`;
    await ok(author.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { name } }));
    for (const p of await inBoth(reader, postId)) expect(p?.author.name).toBe(name);
  });

  it('show the author\'s follower count after someone else follows them', async () => {
    const { author, reader, postId } = await scene();
    const fan = await t.user();
    const before = (await find(reader, FEEDS[0], postId))!.author as { followers_count?: number };
    await ok(fan.req({ method: 'POST', url: `/api/v1/users/${author.id}/follow/`, body: {} }));
    for (const p of await inBoth(reader, postId)) expect((p?.author as { followers_count?: number }).followers_count).toBe(before.followers_count! + 1);
  });

  it('show a media asset its owner edited in place', async () => {
    const [author, reader] = await Promise.all([t.user(), t.user()]);
    await ok(reader.req({ method: 'POST', url: `/api/v1/users/${author.id}/follow/`, body: {} }));
    const asset = (await author.req({ method: 'POST', url: '/api/v1/media/', body: { s3_key: 'external/a.png', mime: 'image/png', width: 10, height: 10 } })).json();
    const res = await author.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'with media', media_ids: [asset.id] } });
    await t.drain();
    const width = async () => ((await find(reader, FEEDS[0], res.json().id)) as unknown as { media: { width: number }[] }).media[0].width;
    expect(await width()).toBe(10);
    expect(await width()).toBe(10);
    await ok(author.req({ method: 'PATCH', url: `/api/v1/media/${asset.id}/`, body: { width: 640 } }));
    expect(await width()).toBe(640);
  });

  it('show a followed author\'s new post once it is fanned out, and lose an unfollowed author\'s', async () => {
    const { author, reader, postId } = await scene();
    const res = await author.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'second' } });
    await t.drain(); // the fan-out job
    expect((await find(reader, FEEDS[0], res.json().id))?.text).toBe('second');
    await ok(reader.req({ method: 'DELETE', url: `/api/v1/users/${author.id}/follow/` }));
    await t.drain(); // the timeline rebuild
    expect(await find(reader, FEEDS[0], postId)).toBeUndefined();
  });

  it('show a paid gift', async () => {
    const { reader, postId } = await scene();
    const other = await t.user();
    await fund(t, other, 1000);
    const types = (await t.request({ url: '/api/v1/payments/gifts/?page_size=50' })).json().results;
    const heart = types.find((g: { key: string }) => g.key === 'test_heart_1usd');
    const res = await other.req({ method: 'POST', url: `/api/v1/posts/${postId}/gifts/`, body: { gift_type_id: heart.id, quantity: 1 }, headers: { 'idempotency-key': randomUUID() } });
    expect(res.statusCode).toBe(201);
    for (const p of await inBoth(reader, postId)) expect(p?.recent_gifts.map((g) => g.key)).toEqual(['test_heart_1usd']);
  });

  it('show an author\'s presence to a reader who shares a thread, as it changes', async () => {
    const { author, reader, postId } = await scene();
    const online = async () => (await find(reader, FEEDS[0], postId))?.author.flags?.online;
    await t.ctx.services.realtime.setPresence(author.id, true);
    expect(await online()).toBe(false); // no thread in common
    // A group thread someone else starts with both of them.
    const host = await t.user();
    await ok(host.req({ method: 'POST', url: '/api/v1/threads/', body: { participant_ids: [author.id, reader.id], is_group: true, title: 'trio' } }));
    expect(await online()).toBe(true);
    await t.ctx.services.realtime.setPresence(author.id, false);
    expect(await online()).toBe(false);
    await t.ctx.services.realtime.setPresence(author.id, true);
    expect(await online()).toBe(true);
    await t.ctx.services.realtime.setPresence(author.id, false);
    expect(await online()).toBe(false);
  });
});

describe('users/me from the page cache', () => {
  type Me = { name: string; followers_count: number; following_count: number; posts_count: number; updated_at: string; settings: { privacy: string } | null };
  /** Read twice: the second read is from the cache (no query, the same bytes). */
  const warm = async (u: TestUser) => {
    const first = await read(u, '/api/v1/users/me/');
    const again = await countQueries(() => read(u, '/api/v1/users/me/'));
    expect(again.queries).toBe(0);
    expect(again.result.body).toBe(first.body);
    return first.json() as Me;
  };
  const meOf = async (u: TestUser) => (await read(u, '/api/v1/users/me/')).json() as Me;

  it('shows the user\'s own writes at once: a rename, settings, a post, a follow', async () => {
    const [u, other] = await Promise.all([t.user(), t.user()]);
    const before = await warm(u);
    const name = `Renamed ${randomUUID().slice(0, 6)}`;
    await ok(u.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { name } }));
    expect((await meOf(u)).name).toBe(name);
    await warm(u);
    await ok(u.req({ method: 'PATCH', url: '/api/v1/users/me/', body: { settings: { privacy: 'private' } } }));
    expect((await meOf(u)).settings?.privacy).toBe('private');
    await warm(u);
    await ok(u.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'one more' } }));
    expect((await meOf(u)).posts_count).toBe(before.posts_count + 1);
    await warm(u);
    await ok(u.req({ method: 'POST', url: `/api/v1/users/${other.id}/follow/`, body: {} }));
    expect((await meOf(u)).following_count).toBe(before.following_count + 1);
  });

  it('shows what others change: a new follower, a rename through the service (its event), and never outlives a session', async () => {
    const [u, fan] = await Promise.all([t.user(), t.user()]);
    const before = await warm(u);
    await ok(fan.req({ method: 'POST', url: `/api/v1/users/${u.id}/follow/`, body: {} }));
    expect((await meOf(u)).followers_count).toBe(before.followers_count + 1);
    await warm(u);
    const name = `Set ${randomUUID().slice(0, 6)}`;
    await t.ctx.services.users.update(u.id, { name });
    await t.drain();
    expect((await meOf(u)).name).toBe(name);
    await warm(u);
    await t.ctx.services.users.setPassword(u.id, 'a-new-password-123');
    await t.drain();
    expect((await u.req({ url: '/api/v1/users/me/' })).statusCode).toBe(401);
  });

  it('is one per user: another user\'s token never reads it', async () => {
    const [u, w] = await Promise.all([t.user(), t.user()]);
    await warm(u);
    const seen = (await read(w, '/api/v1/users/me/')).json() as { id: number; handle: string };
    expect([seen.id, seen.handle]).toEqual([w.id, w.handle]);
  });
});

describe('rendered feed pages and the insight cards', () => {
  const cardOf = async (u: TestUser, type: string) => ((await read(u, FEEDS[0])).json().items as { type: string; [k: string]: unknown }[]).find((i) => i.type === type);

  it('show the mentor card a background answer changed', async () => {
    const { reader } = await scene();
    const subtitle = async () => ((await cardOf(reader, 'mentor_insight'))?.mentor as { subtitle: string }).subtitle;
    const placeholder = await subtitle();
    expect(placeholder).toMatch(/not ready yet/);
    await t.holdJobs(async () => {
      expect((await reader.req({ method: 'POST', url: '/api/v1/mentor/daily/entry/?async=true', body: { text: 'A calm morning.' } })).statusCode).toBeLessThan(300);
      expect(await subtitle()).toBe(placeholder);
      expect(await subtitle()).toBe(placeholder); // cached while the answer is being written
    });
    expect(await subtitle()).not.toBe(placeholder);
  });

  it('show the matrix card its job computed', async () => {
    const { author, reader } = await scene();
    // The composer places the card after the fifth post.
    for (let i = 0; i < 6; i++) await ok(author.req({ method: 'POST', url: '/api/v1/posts/', body: { text: `more ${i}` } }));
    await ok(reader.req({ method: 'POST', url: '/api/v1/astro/natal/', body: { source: 'form', birth_date: '1990-01-01', birth_time: '12:00', city: 'Tbilisi', country: 'Georgia' } }));
    await t.drain();
    await t.holdJobs(async () => {
      await t.ctx.kv.del(matrixCardKey(reader.id)); // as on a new day
      expect(await cardOf(reader, 'matrix_insight')).toBeUndefined(); // (a miss queues the card's job)
      expect(await cardOf(reader, 'matrix_insight')).toBeUndefined();
    });
    expect(await cardOf(reader, 'matrix_insight')).toBeDefined();
  });
});

describe.runIf(SERVER_MODE)('two instances', () => {
  let b: SiblingApp;
  beforeAll(async () => {
    b = await createSiblingApp(t, LONG);
    await Promise.all([b.ctx.pages.subscribed(), sessionCacheOf(b.ctx).subscribed()]);
  });
  afterAll(async () => b?.close());

  it('a like on A shows on B\'s cached page once the drop is delivered', async () => {
    const { reader, postId } = await scene();
    const onB = async () => ((await read(reader, FEEDS[0], b)).json().items as { post?: Post }[]).find((i) => i.post?.id === postId)?.post?.like_count;
    expect(await onB()).toBe(0);
    expect((await countQueries(() => onB())).queries).toBe(0); // now from B's cache
    const delivered = b.ctx.pages.delivered(postTag(postId));
    const other = await t.user();
    await ok(other.req({ method: 'POST', url: `/api/v1/posts/${postId}/like/`, body: {} }));
    await delivered;
    expect(await onB()).toBe(1);
  });
});
