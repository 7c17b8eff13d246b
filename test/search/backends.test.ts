// One behaviour table for both search indexes: PostgreSQL (full text + pg_trgm, the default) and
// OpenSearch (through the in-memory stand-in, as no cluster runs here). Same documents, same queries,
// same answers, prefix matching included ("ali" finds "alice").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp } from '../support/app.js';
import { createPgBackend } from '../../src/modules/search/pg-backend.js';
import { createOpenSearchBackend } from '../../src/modules/search/opensearch-backend.js';
import type { SearchBackend, SearchDoc } from '../../src/modules/search/backend.js';
import { openSearchStandIn } from './opensearch-standin.js';

// Ids far above anything else in the test database, so the PostgreSQL index holds only these here.
const U = { alice: 9_100_001, bob: 9_100_002, carol: 9_100_003, dora: 9_100_004 };
const P = { toast: 9_200_001, jam: 9_200_002, secret: 9_200_003, plain: 9_200_004 };
const OWNER = { a: 9_300_001, b: 9_300_002, c: 9_300_003, viewer: 9_300_099 };

const DOCS: SearchDoc[] = [
  { type: 'user', refId: U.alice, ownerId: U.alice, visibility: 'public', name: 'Alice Liddell', handle: 'alice', bio: 'fell down a rabbit hole' },
  { type: 'user', refId: U.bob, ownerId: U.bob, visibility: 'public', name: 'Bob Marley', handle: 'bobm', bio: 'singer' },
  { type: 'user', refId: U.carol, ownerId: U.carol, visibility: 'inactive', name: 'Alice Cooper', handle: 'alicecooper', bio: 'retired' },
  { type: 'user', refId: U.dora, ownerId: U.dora, visibility: 'public', name: 'Dora Explorer', handle: 'ZoraBloom', bio: 'maps' },
  { type: 'post', refId: P.toast, ownerId: OWNER.a, visibility: 'public', text: 'Marmalade on toast, every morning' },
  { type: 'post', refId: P.jam, ownerId: OWNER.b, visibility: 'followers', text: 'marmalade and jam' },
  { type: 'post', refId: P.secret, ownerId: OWNER.c, visibility: 'private', text: 'secret marmalade recipe' },
  { type: 'post', refId: P.plain, ownerId: OWNER.a, visibility: 'public', text: 'toast only' },
];

/**
 * Users: the set of ids found (order between equally good matches is each engine's own). Typo tolerance
 * differs by design (pg_trgm similarity of the whole query to the handle, OpenSearch edit distance), so
 * the table holds only typos both catch; e.g. "alice marley" finds @alice by trigrams but not by edits.
 */
const USER_CASES: [string, number[]][] = [
  ['ali', [U.alice]], // a prefix of a name word; the inactive Alice never shows
  ['alice', [U.alice]],
  ['ALICE', [U.alice]],
  ['lidd', [U.alice]], // a prefix of the second name word
  ['alice lidd', [U.alice]], // every word a prefix, all must match
  ['dora lidd', []], // words of two different users match neither
  ['rabb', [U.alice]], // bio words too
  ['@bobm', [U.bob]], // a handle with its @
  ['zorabl', [U.dora]], // a handle prefix, whatever the handle's case
  ['zorablom', [U.dora]], // a mistyped handle
  ['nobody', []],
];

/** Posts: the ids found for a viewer, newest (highest id) first. */
const POST_CASES: [string, number, number[]][] = [
  ['marm', OWNER.viewer, [P.jam, P.toast]], // prefix; private posts only for their owner
  ['marm', OWNER.c, [P.secret, P.jam, P.toast]],
  ['Marmalade', OWNER.viewer, [P.jam, P.toast]],
  ['marmalade toast', OWNER.viewer, [P.toast]], // every word must match
  ['toa marm', OWNER.viewer, [P.toast]], // every word is a prefix, in any order
  ['toa', OWNER.viewer, [P.plain, P.toast]],
  ['jam marm', OWNER.viewer, [P.jam]],
  ['recipe', OWNER.viewer, []],
  ['!!', OWNER.viewer, []], // no words at all
];

let t: TestApp;
const backends: Record<string, () => SearchBackend> = {};

beforeAll(async () => {
  t = await sharedTestApp();
  const pg = createPgBackend(t.ctx);
  const os = createOpenSearchBackend(openSearchStandIn());
  await pg.upsertMany(DOCS);
  await os.upsertMany(DOCS);
  backends.postgres = () => pg;
  backends.opensearch = () => os;
});
afterAll(async () => t?.close());

describe.each(['postgres', 'opensearch'])('search backend: %s', (name) => {
  it.each(USER_CASES)('users %j → %j', async (q, want) => {
    expect((await backends[name]().users(q, 20)).sort()).toEqual([...want].sort());
  });

  it.each(POST_CASES)('posts %j for viewer %i → %j', async (q, viewer, want) => {
    expect(await backends[name]().posts(q, viewer, 20)).toEqual(want);
  });

  it('honours the limit', async () => {
    expect(await backends[name]().posts('marm', OWNER.c, 2)).toEqual([P.secret, P.jam]);
  });
});

describe('both backends after edits and deletes', () => {
  it('agree once a post is edited and another removed', async () => {
    for (const b of [backends.postgres(), backends.opensearch()]) {
      await b.upsert({ type: 'post', refId: P.plain, ownerId: OWNER.a, visibility: 'public', text: 'bread and butter' });
      await b.remove('post', P.toast);
      await b.remove('post', P.toast); // removing twice is fine
      expect(await b.posts('toa', OWNER.viewer, 20)).toEqual([]);
      expect(await b.posts('butt', OWNER.viewer, 20)).toEqual([P.plain]);
      await b.upsert({ type: 'user', refId: U.bob, ownerId: U.bob, visibility: 'inactive', name: 'Bob Marley', handle: 'bobm', bio: 'singer' });
      expect(await b.users('bob', 20)).toEqual([]);
    }
  });

  it('take a batch whose texts hold quotes, braces and backslashes, and a ref twice (the last wins)', async () => {
    const odd = 9_200_010;
    const twice = 9_200_011;
    for (const b of [backends.postgres(), backends.opensearch()]) {
      await b.upsertMany([
        { type: 'post', refId: odd, ownerId: OWNER.a, visibility: 'public', text: 'say "quoth" {brace}, back\\slash NULL ünïcode 😀' },
        { type: 'post', refId: twice, ownerId: OWNER.a, visibility: 'public', text: 'firstdraft' },
        { type: 'post', refId: twice, ownerId: OWNER.b, visibility: 'public', text: 'seconddraft' },
        { type: 'user', refId: 9_100_010, ownerId: 9_100_010, visibility: 'public', name: 'Quin "Q" O\'Hara', handle: 'QuinOH', bio: '{}' },
      ]);
      for (const q of ['quoth', 'brace', 'null', 'ünïcode']) expect(await b.posts(q, OWNER.viewer, 20)).toEqual([odd]);
      expect(await b.posts('firstdraft', OWNER.viewer, 20)).toEqual([]);
      expect(await b.posts('seconddraft', OWNER.viewer, 20)).toEqual([twice]);
      expect(await b.users('quinoh', 20)).toEqual([9_100_010]);
      expect(await b.users('hara', 20)).toEqual([9_100_010]);
    }
  });
});
