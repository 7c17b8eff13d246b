// DATABASE_REPLICA_URL (issue 14 item 3): read-only hot paths read through the replica's pool, writes and
// a user's reads of their own state stay on the primary. The "replica" here is a second database made
// from the same migrated template but never written to, so a read that went to it cannot see what was
// written to the primary: that difference is the proof of where each read went. pg_stat_activity shows
// the replica pool's sessions under application_name `selflink-replica`.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, sharedTestApp, type TestApp } from '../support/app.js';
import { SERVER_MODE, TEST_DATABASE_URL, templateDbName } from '../support/mode.js';

const SKIP = SERVER_MODE ? null : 'embedded mode: a read replica is a PostgreSQL feature (SELFLINK_TEST_MODE=server)';
if (SKIP) console.warn(`read-replica skipped: ${SKIP}`);

describe.skipIf(SKIP !== null)('DATABASE_REPLICA_URL', () => {
  const replicaDb = `sl_t_replica_${process.pid}_${randomBytes(4).toString('hex')}`;
  const replicaUrl = Object.assign(new URL(TEST_DATABASE_URL), { pathname: `/${replicaDb}` }).toString();
  let t: TestApp;
  let plain: TestApp;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${replicaDb} template ${templateDbName()}`);
    await admin.end();
    t = await createTestApp({ DATABASE_REPLICA_URL: replicaUrl });
    plain = await sharedTestApp();
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await plain?.close();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`drop database if exists ${replicaDb} with (force)`);
    await admin.end();
  });

  it('profiles, follower lists, post lists and search read the replica; writes and users/me use the primary', async () => {
    const alice = await t.user({ handle: 'alice_replica' });
    const bob = await t.user({ handle: 'bob_replica' });
    // Writes and the writer's own view: the primary.
    expect((await alice.req({ url: '/api/v1/users/me/' })).json()).toMatchObject({ id: alice.id, handle: 'alice_replica' });
    expect((await bob.req({ method: 'POST', url: `/api/v1/users/${alice.id}/follow/` })).statusCode).toBeLessThan(300);
    const post = await alice.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'written to the primary' } });
    expect(post.statusCode).toBe(201);
    await t.drain();

    // Someone else's profile: the replica has no such user.
    expect((await bob.req({ url: `/api/v1/users/${alice.id}/` })).statusCode).toBe(404);
    // Alice's own follower list: bob follows her on the primary, the list is read from the replica.
    expect((await alice.req({ url: `/api/v1/users/${alice.id}/followers/` })).json()).toEqual([]);
    // Post lists (profile grid) and search: empty on the replica.
    expect((await bob.req({ url: `/api/v1/posts/?author=${alice.id}` })).json().results).toEqual([]);
    expect((await bob.req({ url: '/api/v1/search/users/?q=alice_replica' })).json()).toEqual([]);

    // The replica's sessions are its own pool.
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const r = await admin.query(`select count(*)::int as n from pg_stat_activity where datname = $1 and application_name = 'selflink-replica'`, [replicaDb]);
      expect(r.rows[0].n).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
  });

  it('without DATABASE_REPLICA_URL the same reads see the primary', async () => {
    const alice = await plain.user({ handle: 'alice_primary' });
    const bob = await plain.user({ handle: 'bob_primary' });
    const post = await alice.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'on the primary' } });
    expect(post.statusCode).toBe(201);
    await plain.drain();
    expect((await bob.req({ url: `/api/v1/users/${alice.id}/` })).json()).toMatchObject({ id: alice.id });
    expect((await bob.req({ url: `/api/v1/posts/?author=${alice.id}` })).json().results.map((p: { id: number }) => p.id)).toEqual([post.json().id]);
    expect((await bob.req({ method: 'POST', url: `/api/v1/users/${alice.id}/follow/` })).statusCode).toBeLessThan(300);
    expect((await alice.req({ url: `/api/v1/users/${alice.id}/followers/` })).json().map((u: { id: number }) => u.id)).toEqual([bob.id]);
    expect(plain.ctx.readDb).toBe(plain.ctx.db);
  });
});
