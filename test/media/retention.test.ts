// Media retention (src/modules/media/retention.ts): uploads nothing ever used are purged after
// MEDIA_ORPHAN_HOURS, file first and then row; everything a post, comment, message or profile uses
// stays, however old. Run through the queue as the scheduler would, or one pass at a time.
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
import { itServer } from '../support/server-only.js';
import { imagePart, multipart, png } from '../social/helpers.js';
import { modules } from '../../src/modules/index.js';
import { createMediaRetention, MEDIA_RETENTION_JOB } from '../../src/modules/media/retention.js';
import { ConfigError, loadConfig } from '../../src/config.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
beforeAll(async () => {
  t = await sharedTestApp();
  [alice, bob] = await Promise.all([t.user(), t.user()]);
});
afterAll(async () => t?.close());

type Asset = { id: number; s3_key: string; url: string | null };
const rows = async <T>(q: ReturnType<typeof sql>) => ((await t.ctx.db.execute(q)) as unknown as { rows: T[] }).rows;
const fileOf = (key: string) => path.join(t.ctx.config.storage.mediaDir, key);
const upload = async (u: TestUser, data = png()): Promise<Asset> => {
  const m = multipart({}, [{ field: 'file', filename: 'a.png', type: 'image/png', data }]);
  const r = await u.req({ method: 'POST', url: '/api/v1/media/', payload: m.payload, headers: m.headers });
  expect(r.statusCode).toBe(201);
  return r.json();
};
/** Makes assets look created `hours` ago. */
const age = (ids: number[], hours: number) =>
  t.ctx.db.execute(sql`update media_assets set created_at = now() - make_interval(hours => ${hours}) where id in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})`);
const exists = async (id: number) => (await rows(sql`select 1 from media_assets where id = ${id}`)).length === 1;
const purgeJob = async () => {
  await t.ctx.queue.enqueue(MEDIA_RETENTION_JOB, {});
  await t.drain();
};

describe('media retention', () => {
  it('the media module installs its hourly schedule; MEDIA_ORPHAN_HOURS is read and checked', () => {
    expect(modules.find((m) => m.name === 'media')?.schedules).toBeTypeOf('function');
    expect(loadConfig({}).media.orphanHours).toBe(24);
    expect(loadConfig({ MEDIA_ORPHAN_HOURS: '6' }).media.orphanHours).toBe(6);
    expect(() => loadConfig({ MEDIA_ORPHAN_HOURS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ MEDIA_ORPHAN_HOURS: 'soon' })).toThrow(/MEDIA_ORPHAN_HOURS/);
  });

  it('purges an unused upload past the grace period (file, then row) and a stale metadata record; a recent upload stays', async () => {
    const old = await upload(alice);
    const recent = await upload(alice);
    const record = (await alice.req({ method: 'POST', url: '/api/v1/media/', body: { s3_key: 'elsewhere/clip.mp4', mime: 'video/mp4' } })).json() as Asset;
    await age([old.id, record.id], 25);
    await age([recent.id], 23);
    expect(fs.existsSync(fileOf(old.s3_key))).toBe(true);

    await purgeJob();
    expect(fs.existsSync(fileOf(old.s3_key))).toBe(false);
    expect(await exists(old.id)).toBe(false);
    expect(await exists(record.id)).toBe(false);
    expect((await alice.req({ url: `/api/v1/media/${old.id}/` })).statusCode).toBe(404);
    expect(fs.existsSync(fileOf(recent.s3_key))).toBe(true);
    const listed = (await alice.req({ url: '/api/v1/media/' })).json().results.map((a: Asset) => a.id);
    expect(listed).toContain(recent.id);
    expect(listed).not.toContain(old.id);
  });

  it('keeps, however old, what a post, a comment, a message or a profile uses, and an attached asset whose post was deleted', async () => {
    // An upload attached to a post, files uploaded with a post and with a comment.
    const attached = await upload(alice);
    const post = (await alice.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'with media', media_ids: [attached.id] } })).json();
    const withImage = multipart({ text: 'photo' }, [imagePart('images', 0)]);
    const imagePost = (await alice.req({ method: 'POST', url: '/api/v1/posts/', payload: withImage.payload, headers: withImage.headers })).json();
    const commentForm = multipart({ post: String(post.id), body: '', text: '' }, [imagePart('images', 0)]);
    const comment = await bob.req({ method: 'POST', url: '/api/v1/comments/', payload: commentForm.payload, headers: commentForm.headers });
    expect(comment.statusCode).toBe(201);
    const commentImage = comment.json().images[0].id as number;
    // Published once, then its post deleted: the asset stays the owner's until they delete it.
    const survivor = await upload(alice);
    const gone = (await alice.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'short-lived', media_ids: [survivor.id] } })).json();
    expect((await alice.req({ method: 'DELETE', url: `/api/v1/posts/${gone.id}/` })).statusCode).toBe(204);
    // A DM attachment and an avatar: files their own modules keep, never media assets.
    const thread = (await alice.req({ method: 'POST', url: '/api/v1/threads/direct/', body: { user_id: bob.id } })).json().id;
    const dmForm = multipart({ body: 'pic', client_uuid: 'ret-1' }, [{ field: 'attachments', filename: 'a.png', type: 'image/png', data: png() }]);
    const dm = await alice.req({ method: 'POST', url: `/api/v1/threads/${thread}/messages/`, payload: dmForm.payload, headers: dmForm.headers });
    expect(dm.statusCode).toBe(201);
    const dmKey = new URL(dm.json().attachments[0].url).pathname.replace('/media/', '');
    const avatarForm = multipart({}, [{ field: 'avatar_image', filename: 'me.png', type: 'image/png', data: png() }]);
    const profile = await alice.req({ method: 'PATCH', url: '/api/v1/me/profile/', payload: avatarForm.payload, headers: avatarForm.headers });
    expect(profile.statusCode).toBe(200);
    const avatarKey = new URL(profile.json().avatar_image).pathname.replace('/media/', '');

    const kept = [attached.id, imagePost.images[0].id, commentImage, survivor.id];
    await age(kept, 24 * 400);
    await t.ctx.db.execute(sql`update msg_messages set created_at = now() - interval '400 days' where thread_id = ${thread}`);
    await purgeJob();

    for (const id of kept) expect(await exists(id), `asset ${id}`).toBe(true);
    const keys = await rows<{ s3_key: string }>(sql`select s3_key from media_assets where id in (${sql.join(kept.map((id) => sql`${id}`), sql`, `)})`);
    for (const { s3_key } of keys) expect(fs.existsSync(fileOf(s3_key)), s3_key).toBe(true);
    expect(fs.existsSync(fileOf(dmKey))).toBe(true);
    expect(fs.existsSync(fileOf(avatarKey))).toBe(true);
    const shown = (await alice.req({ url: `/api/v1/posts/${post.id}/` })).json();
    expect(shown.media.map((m: Asset) => m.id)).toEqual([attached.id]);
  });

  it('purges more orphans than one batch: a pass goes on batch after batch, and the next pass picks up where one stopped', async () => {
    // Through the job: 1,003 rows (batches of 1,000), every file on disk.
    const keys = Array.from({ length: 1003 }, (_, i) => `media/${bob.id}/bulk-${i}.png`);
    fs.mkdirSync(path.dirname(fileOf(keys[0])), { recursive: true });
    for (const k of keys) fs.writeFileSync(fileOf(k), png(1, 1, 0));
    await t.ctx.db.execute(sql`
      insert into media_assets (owner_id, s3_key, mime, status, stored, created_at)
      select ${bob.id}, k, 'image/png', 'ready', true, now() - interval '2 days'
      from unnest(${`{${keys.join(',')}}`}::text[]) as k`);
    await purgeJob();
    expect(await rows(sql`select id from media_assets where s3_key like ${`media/${bob.id}/bulk-%`}`)).toEqual([]);
    expect(keys.filter((k) => fs.existsSync(fileOf(k)))).toEqual([]);

    // One pass at a time, two per batch and one batch per pass: 5 orphans take 3 passes.
    const retention = createMediaRetention(t.ctx);
    const five = await Promise.all(Array.from({ length: 5 }, () => upload(bob)));
    await age(five.map((a) => a.id), 30);
    const passes = [];
    for (let i = 0; i < 4; i++) passes.push((await retention.purgeOrphans({ batch: 2, maxBatches: 1 })).assets);
    expect(passes).toEqual([2, 2, 1, 0]);
    for (const a of five) expect(fs.existsSync(fileOf(a.s3_key))).toBe(false);
  });

  it('a file storage will not delete keeps its row, hidden and unusable, until a later pass deletes both', async () => {
    const stuck = await upload(alice);
    await age([stuck.id], 48);
    // A non-empty directory where the file was: the local backend's delete fails on it.
    fs.rmSync(fileOf(stuck.s3_key));
    fs.mkdirSync(fileOf(stuck.s3_key));
    fs.writeFileSync(path.join(fileOf(stuck.s3_key), 'x'), 'x');

    const retention = createMediaRetention(t.ctx);
    expect(await retention.purgeOrphans()).toMatchObject({ failed: 1 });
    const [row] = await rows<{ purging_since: string | null }>(sql`select purging_since from media_assets where id = ${stuck.id}`);
    expect(row.purging_since).not.toBeNull();
    expect((await alice.req({ url: `/api/v1/media/${stuck.id}/` })).statusCode).toBe(404);
    expect((await alice.req({ url: '/api/v1/media/' })).json().results.map((a: Asset) => a.id)).not.toContain(stuck.id);
    const attach = await alice.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'too late', media_ids: [stuck.id] } });
    expect(attach.statusCode).toBe(400);
    expect(attach.json()).toEqual({ media_ids: [`Invalid media id(s): ${stuck.id}.`] });

    fs.rmSync(fileOf(stuck.s3_key), { recursive: true });
    await purgeJob();
    expect(await exists(stuck.id)).toBe(false);
  });

  /** Polls a condition (each check is a query); no timers. */
  async function until(check: () => Promise<boolean>) {
    while (!(await check())) await new Promise((r) => setImmediate(r));
  }
  /** True while another transaction holds the asset's row lock (the probe's own lock ends with its statement's transaction). */
  const lockedByOther = async (id: number) =>
    t.ctx.db.transaction(async (tx) => ((await tx.execute(sql`select id from media_assets where id = ${id} for update skip locked`)) as unknown as { rows: unknown[] }).rows.length === 0);
  const lockWaiters = async () =>
    Number((await rows<{ n: string }>(sql`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n);

  itServer('an asset attached while the purge runs survives with its post (the purge skips it, never waits for it)', async () => {
    const a = await upload(alice);
    await age([a.id], 48);
    // Hold alice's user row: her post's transaction locks the asset (markUsed) first, then waits on it.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    const holder = t.ctx.db.transaction(async (tx) => {
      await tx.execute(sql`select id from users where id = ${alice.id} for update`);
      held();
      await gate;
    });
    await holding;
    const posting = alice.req({ method: 'POST', url: '/api/v1/posts/', body: { text: 'racing', media_ids: [a.id] } });
    await until(() => lockedByOther(a.id));

    const purging = createMediaRetention(t.ctx).purgeOrphans();
    // A purge that waited for the post would deadlock the test: let the post go once it is seen waiting.
    let finished = false;
    void purging.then(() => (finished = true));
    await until(async () => finished || (await lockWaiters()) >= 2);
    const waited = !finished;
    release();
    await holder;
    const created = await posting;
    expect(created.statusCode).toBe(201);
    await purging;

    expect(waited, 'the purge waited for the post').toBe(false);
    expect(await exists(a.id)).toBe(true);
    expect(fs.existsSync(fileOf(a.s3_key))).toBe(true);
    expect((await alice.req({ url: `/api/v1/posts/${created.json().id}/` })).json().media.map((m: Asset) => m.id)).toEqual([a.id]);
  });

  itServer('many posts attaching old uploads while purges run: every created post keeps its asset, every refused one lost it', async () => {
    const author = (await t.ctx.services.users.getById(bob.id))!;
    const assets = await Promise.all(Array.from({ length: 24 }, () => upload(bob)));
    await age(assets.map((a) => a.id), 48);
    const retention = createMediaRetention(t.ctx);
    // Posts and small-batch purges started interleaved, all running at once.
    const purges: Promise<unknown>[] = [];
    const attempts = assets.map((a, i) => {
      if (i % 4 === 0) purges.push(retention.purgeOrphans({ batch: 2 }));
      return t.ctx.services.social.createPost(author, { text: `race ${a.id}`, mediaIds: [a.id] }).then(
        (p) => ({ asset: a, post: p.id as number | null }),
        (err: { status?: number }) => {
          expect(err.status).toBe(400);
          return { asset: a, post: null };
        },
      );
    });
    const [results] = await Promise.all([Promise.all(attempts), ...purges]);
    await retention.purgeOrphans();
    for (const r of results) {
      expect(await exists(r.asset.id), `asset ${r.asset.id}, post ${r.post}`).toBe(r.post !== null);
      if (r.post !== null) {
        expect((await bob.req({ url: `/api/v1/posts/${r.post}/` })).json().media.map((m: Asset) => m.id)).toEqual([r.asset.id]);
        expect(fs.existsSync(fileOf(r.asset.s3_key))).toBe(true);
      } else expect(fs.existsSync(fileOf(r.asset.s3_key))).toBe(false);
    }
  });
});
