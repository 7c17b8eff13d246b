import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { sharedTestApp, type TestApp } from '../support/app.js';
import { commands } from '../../src/commands/index.js';

let t: TestApp;
beforeAll(async () => {
  t = await sharedTestApp();
});
afterAll(async () => t?.close());

const one = async <T>(q: ReturnType<typeof sql>) => ((await t.ctx.db.execute(q)).rows as T[])[0];

it('seed-demo spreads demo posts over demo users and keeps posts_count exact', async () => {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await commands['seed-demo'].run(t.ctx, ['--users', '25', '--follows', '60', '--posts', '400']);
  } finally {
    spy.mockRestore();
  }
  const totals = await one<{ posts: number; authors: number; followers: number }>(sql`
    select count(*)::int as posts, count(distinct author_id)::int as authors,
           count(*) filter (where visibility = 'followers')::int as followers from posts`);
  expect(totals.posts).toBe(400);
  expect(totals.authors).toBeGreaterThan(20);
  expect(totals.followers).toBeGreaterThan(0);
  const drift = await one<{ n: number }>(sql`
    select count(*)::int as n from users u
    where u.posts_count <> (select count(*) from posts p where p.author_id = u.id)`);
  expect(drift.n).toBe(0);

  // The demo log-in sees a page of posts through the API, newest first.
  const login = await t.request({ method: 'POST', url: '/api/v1/auth/login/', body: { email: 'demo-mentor@demo.selflink.app', password: 'changeme123' } });
  const page = await t.request({ url: '/api/v1/posts/?page_size=50', headers: { authorization: `Bearer ${login.json().token}` } });
  expect(page.statusCode).toBe(200);
  expect(page.json().results).toHaveLength(50);
  expect(page.json().results[0].text.length).toBeGreaterThan(10);
});
