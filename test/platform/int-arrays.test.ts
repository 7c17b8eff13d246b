// Integer array parameters written as PostgreSQL array literals (src/platform/db/int-arrays.ts): the
// literal itself, and in server mode the values PostgreSQL reads back through the wrapped client.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intArrayLiteral, withIntArrayParams } from '../../src/platform/db/int-arrays.js';
import { SERVER_MODE, TEST_DATABASE_URL } from '../support/mode.js';

describe('intArrayLiteral', () => {
  it('writes safe integers and nulls, and refuses anything else', () => {
    expect(intArrayLiteral([])).toBe('{}');
    expect(intArrayLiteral([1, 22, -3])).toBe('{1,22,-3}');
    expect(intArrayLiteral([null, 5, undefined])).toBe('{NULL,5,NULL}');
    expect(intArrayLiteral([Number.MAX_SAFE_INTEGER])).toBe(`{${Number.MAX_SAFE_INTEGER}}`);
    for (const other of [[1.5], ['1'], [2 ** 53], [NaN], [[1, 2]], [true], [1, 'x']]) expect(intArrayLiteral(other)).toBeNull();
  });
});

describe.skipIf(!SERVER_MODE)('a wrapped pg client (server mode)', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new (withIntArrayParams(pg.Client))({ connectionString: TEST_DATABASE_URL });
    await client.connect();
  });
  afterAll(async () => client?.end());

  it('reads back what pg would have sent, whatever the array holds and however the values are passed', async () => {
    const ints = [1, null, -3, 2 ** 52];
    const text = ['a"b', 'c\\d', null, '{x,y}'];
    const sql = 'select $1::bigint[]::text[] as ints, $2::text[] as text, $3::numeric[]::text[] as nums, $4::bigint[]::text[] as empty, $5::jsonb as doc, $6::int as one';
    const values = [ints, text, [1.5, 2], [], JSON.stringify([1, 2]), 7];
    const expected = { ints: ['1', null, '-3', String(2 ** 52)], text, nums: ['1.5', '2'], empty: [], doc: [1, 2], one: 7 };
    // (read back as text: what the process's type parsers make of bigint and numeric is not the point)
    expect((await client.query(sql, values)).rows[0]).toEqual(expected);
    expect((await client.query({ text: sql, values })).rows[0]).toEqual(expected);
    expect((await client.query({ text: sql, name: 'int_arrays_roundtrip' }, values)).rows[0]).toEqual(expected);
    // The caller's arrays are not changed.
    expect(values[0]).toEqual(ints);
  });

  it('pairs rows by position in unnest, as the page queries do', async () => {
    const { rows } = await client.query('select v::text, p::text from unnest($1::bigint[], $2::bigint[]) as t(v, p) order by p', [[null, 4, 4], [10, 11, 12]]);
    expect(rows).toEqual([
      { v: null, p: '10' },
      { v: '4', p: '11' },
      { v: '4', p: '12' },
    ]);
  });
});
