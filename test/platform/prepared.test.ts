import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { openPostgres } from '../../src/platform/db/index.js';
import { prepared } from '../../src/platform/db/prepared.js';
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
