// N+1 guard: a page of 25 items must cost the same number of database queries as a page of 5.
// Queries are counted per request through the async context (src/platform/db/query-count.ts), so
// background work (the outbox relay, jobs) does not blur the count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/app.js';
import { countQueries } from '../../src/platform/db/query-count.js';
import { sessionCacheOf } from '../../src/modules/users/session-cache.js';

let t: TestApp;
let viewer: TestUser;
const AUTHORS = 5;
const PER_AUTHOR = 6;
const THREADS = 26;

beforeAll(async () => {
  // The rendered-page cache off: this counts what building a page costs (a warm page costs none:
  // test/perf/page-cache.test.ts).
  t = await createTestApp({ SESSION_CACHE_TTL_MS: '60000', PAGE_CACHE_TTL_MS: '0' });
  await sessionCacheOf(t.ctx).subscribed();
  viewer = await t.user();
  const authors = await Promise.all(Array.from({ length: AUTHORS }, () => t.user()));
  const postIds: number[] = [];
  for (const a of authors) {
    expect((await viewer.req({ method: 'POST', url: `/api/v1/users/${a.id}/follow/`, body: {} })).statusCode).toBe(200);
    const row = (await t.ctx.services.users.getById(a.id))!;
    for (let i = 0; i < PER_AUTHOR; i++) postIds.push((await t.ctx.services.social.createPost(row, { text: `post ${i} by ${a.handle}`, visibility: i % 3 === 2 ? 'followers' : 'public' })).id);
  }
  // Engagement of different kinds on some posts: likes and comments by the viewer and by authors.
  for (const [i, id] of postIds.entries()) {
    if (i % 2 === 0) expect((await viewer.req({ method: 'POST', url: `/api/v1/posts/${id}/like/`, body: {} })).statusCode).toBeLessThan(300);
    if (i % 3 === 0) expect((await authors[i % AUTHORS].req({ method: 'POST', url: '/api/v1/comments/', body: { post: id, text: 'nice' } })).statusCode).toBe(201);
  }
  // Threads: one direct thread with a message per peer.
  const peers = await Promise.all(Array.from({ length: THREADS - AUTHORS }, () => t.user()));
  for (const p of [...authors, ...peers]) {
    // (through the service: the HTTP create limit is 20 a minute)
    await t.ctx.services.messaging.getOrCreateDirect(viewer.id, p.id, `hi ${p.handle}`);
  }
  await t.drain();
}, 120_000);
afterAll(async () => t?.close());

async function queriesFor(url: string, expectItems: number) {
  // Warm-up: session cache and first-page caches filled, as for a client scrolling.
  expect((await viewer.req({ url })).statusCode).toBe(200);
  const { result, queries } = await countQueries(() => viewer.req({ url }));
  expect(result.statusCode).toBe(200);
  const body = result.json();
  const items = (body.items ?? body.results ?? body).filter((x: { type?: string }) => !x.type || x.type === 'post');
  expect(items.length).toBe(expectItems);
  return queries;
}

describe('N+1 guard: query count does not grow with the page size', () => {
  for (const [name, path] of [
    ['feed/home/', '/api/v1/feed/home/?page_size='],
    ['feed/for_you/', '/api/v1/feed/for_you/?page_size='],
    ['posts/', '/api/v1/posts/?page_size='],
    ['threads/', '/api/v1/threads/?page_size='],
  ] as const) {
    it(name, async () => {
      const small = await queriesFor(path + '5', 5);
      const large = await queriesFor(path + '25', 25);
      if (process.env.SHOW_QUERIES) console.log(`${name}: ${small} queries for 5 items, ${large} for 25`);
      expect(large, `${name}: ${small} queries for 5 items, ${large} for 25`).toBeLessThanOrEqual(small);
    });
  }

  it('a thread page is one statement: the threads with their members, last messages, unread counts and follows', async () => {
    expect(await queriesFor('/api/v1/threads/?page_size=25', 25)).toBe(1);
  });

  // Writes: a fixed number of round trips, the change and its event in one statement.
  it('a message send is one statement (its checks and the write); message.created is left to the loop', async () => {
    const peer = await t.user();
    const th = (await viewer.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: peer.id } })).json().id;
    await t.drain();
    const { result, queries } = await countQueries(() => viewer.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th, body: 'counted' } }));
    expect(result.statusCode).toBe(201);
    // The statement checks membership and the users module's refusal as it writes; the sender comes
    // from the session cache's user rows. No relay claim: moderation and the reminders only queue
    // background work (afterResponse).
    expect(queries).toBe(1);
    // The app always sends a client_uuid: the statement itself dedupes, no look-up before it; a retry
    // costs the look-up after it (and the stored message's presenter: its reactions and attachments),
    // and answers the first message.
    const once = () => viewer.req({ method: 'POST', url: '/api/v1/messages/', body: { thread: th, body: 'counted', client_uuid: 'counted-1' } });
    const first = await countQueries(once);
    expect(first.result.statusCode).toBe(201);
    expect(first.queries).toBe(1);
    const retry = await countQueries(once);
    expect(retry.result.json().id).toBe(first.result.json().id);
    expect(retry.queries).toBe(4);
    await t.drain();
  });

  it('a post without media costs one write and the presenter', async () => {
    const { result, queries } = await countQueries(() => viewer.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'counted' } }));
    expect(result.statusCode).toBe(201);
    // the statement (post, posts_count, event) and the author (the new posts_count drops its cached
    // row); its own facts need no page query (a new post has no likes, media or gifts), and
    // post.created's listeners are all background work, relayed after the answer.
    expect(queries).toBe(2);
    await t.drain();
  });

  it('users/me/ answers a warm session without a query', async () => {
    expect((await viewer.req({ url: '/api/v1/users/me/' })).statusCode).toBe(200);
    const { queries } = await countQueries(() => viewer.req({ url: '/api/v1/users/me/' }));
    expect(queries).toBe(0);
  });
});
