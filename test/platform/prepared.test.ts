import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/platform/db/index.js';
import { prepared, withFixedDecoders } from '../../src/platform/db/prepared.js';
import type { Db } from '../../src/platform/db/index.js';
import { posts } from '../../src/modules/social/schema.js';
import { users } from '../../src/modules/users/schema.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createLogger } from '../../src/platform/log.js';
import { loadConfig } from '../../src/config.js';
import { describeServer } from '../support/server-only.js';
import { TEST_DATABASE_URL } from '../support/mode.js';

it('DATABASE_PREPARED_STATEMENTS turns named statements off (poolers that cannot keep them)', () => {
  expect(loadConfig({}).database.namedStatements).toBe(true);
  expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: 'false' }).database.namedStatements).toBe(false);
});

describeServer('prepared statements', () => {
  it('are built once per database handle and sent named, or unnamed when switched off', async () => {
    const plusOne = prepared('test_plus_one', (db) => db.select({ n: sql<number>`${sql.placeholder('x')}::int + 1` }).from(sql`(values (1)) as v(one)`));
    for (const named of [true, false]) {
      // One connection, so the catalogue query below sees the statements this handle prepared.
      const database = await openPostgres(TEST_DATABASE_URL, 1, createLogger('silent'), 'selflink-test', named);
      try {
        expect(plusOne(database.db)).toBe(plusOne(database.db));
        expect(await plusOne(database.db).execute({ x: 41 })).toEqual([{ n: 42 }]);
        expect(await plusOne(database.db).execute({ x: 1 })).toEqual([{ n: 2 }]);
        const { rows } = await database.db.execute<{ name: string }>(sql`select name from pg_prepared_statements`);
        expect(rows.map((r) => r.name)).toEqual(named ? ['test_plus_one'] : []);
      } finally {
        await database.close();
      }
    }
  });
});

describe('rows mapped with decoders fixed when the statement is built', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('are the rows drizzle maps, nested objects, dates, mapped and raw sql and nulls included', async () => {
    const author = await t.user();
    const row = (await t.ctx.services.users.getById(author.id))!;
    for (const text of ['one', 'two']) await t.ctx.services.social.createPost(row, { text, visibility: 'public' });
    const build = (db: Db) =>
      db
        .select({
          post: posts,
          handle: users.handle,
          likesPlusOne: sql<number>`${posts.likeCount} + 1`.mapWith(Number),
          asText: sql<string>`${posts.id}::text`,
          nothing: sql<string | null>`null`,
          at: posts.createdAt,
        })
        .from(posts)
        .innerJoin(users, eq(users.id, posts.authorId))
        .where(eq(posts.authorId, sql.placeholder('author')))
        .orderBy(posts.id);
    const plain = build(t.ctx.db).prepare('');
    const fixed = withFixedDecoders(build(t.ctx.db).prepare(''));
    expect((fixed as unknown as { customResultMapper?: unknown }).customResultMapper).toBeTypeOf('function');
    const expected = await plain.execute({ author: author.id });
    expect(expected).toHaveLength(2);
    expect(expected[0].post.createdAt).toBeInstanceOf(Date);
    expect(await fixed.execute({ author: author.id })).toEqual(expected);
  });

  it('leave a join that may be null to drizzle, which makes its object null', async () => {
    const lonely = await t.user();
    const build = (db: Db) => db.select({ user: users, post: posts }).from(users).leftJoin(posts, eq(posts.authorId, users.id)).where(eq(users.id, sql.placeholder('id')));
    const fixed = withFixedDecoders(build(t.ctx.db).prepare(''));
    expect((fixed as unknown as { customResultMapper?: unknown }).customResultMapper).toBeUndefined();
    const [r] = await fixed.execute({ id: lonely.id });
    expect(r.post).toBeNull();
    expect(r.user.id).toBe(lonely.id);
  });

  it("map the flat fields of a join that may be null, and objects of joins that may not (a thread page's lateral joins)", async () => {
    const [lonely, author] = [await t.user(), await t.user()];
    const row = (await t.ctx.services.users.getById(author.id))!;
    await t.ctx.services.social.createPost(row, { text: 'newest', visibility: 'public' });
    const build = (db: Db) => {
      const newest = db.select({ text: posts.text, at: posts.createdAt }).from(posts).where(eq(posts.authorId, users.id)).orderBy(sql`${posts.id} desc`).limit(1).as('newest');
      return db
        .select({ user: users, text: newest.text, at: newest.at })
        .from(users)
        .leftJoinLateral(newest, sql`true`)
        .where(sql`${users.id} = any(${sql.placeholder('ids')}::bigint[])`)
        .orderBy(users.id);
    };
    const plain = build(t.ctx.db).prepare('');
    const fixed = withFixedDecoders(build(t.ctx.db).prepare(''));
    expect((fixed as unknown as { customResultMapper?: unknown }).customResultMapper).toBeTypeOf('function');
    const expected = await plain.execute({ ids: [lonely.id, author.id] });
    expect(expected.map((r) => [r.user.id, r.text])).toEqual([[lonely.id, null], [author.id, 'newest']]);
    expect(expected[1].at).toBeInstanceOf(Date);
    expect(await fixed.execute({ ids: [lonely.id, author.id] })).toEqual(expected);
  });
});
