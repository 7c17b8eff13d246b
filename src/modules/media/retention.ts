// Retention of media (contract §6.10: "media until user deletion or legal hold"; docs/operations.md).
// Media in use stays. What goes is orphaned uploads: assets no post or comment has ever used
// (`used_at` null: a `POST media/` upload or metadata record never attached) older than
// MEDIA_ORPHAN_HOURS. DM attachments and avatars are files their own modules' rows name, never media
// assets: this job only deletes files named by orphaned asset rows and never lists storage, so it
// cannot touch them.
//
// Each batch is mark, then sweep:
//  1. mark — one statement takes unused old rows `for update skip locked` and sets `purging_since`.
//     A post being created holds its attached assets locked (media.markUsed) until it commits, so
//     they are skipped; a post that committed after this statement's snapshot changed the row, and
//     PostgreSQL re-checks a changed row against the condition before locking it, so it is dropped.
//     A marked asset can never be used (markUsed refuses it with a 400) and its owner no longer sees it.
//  2. sweep — delete each marked row's file, then the row. File first: the row is the only record of
//     the file, so if storage fails the row stays (marked, hidden) and the next pass tries again;
//     no file is ever left that no row names. Deleting a file that is already gone succeeds on both
//     backends, so a pass that died between the two steps is finished by the next one.
import { and, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { RETENTION_BATCH, RETENTION_MAX_BATCHES } from '../../platform/retention.js';
import { mediaAssets } from './schema.js';

export const MEDIA_RETENTION_JOB = 'media.retention';
const HOUR_MS = 3_600_000;
/** Storage deletes in flight at once (S3 round trips; the local disk does not mind). */
const DELETE_CONCURRENCY = 8;

interface Doomed {
  id: number;
  key: string;
  stored: boolean;
}

export interface MediaPurge {
  /** Rows deleted (their files gone first). */
  assets: number;
  /** Files deleted from storage. */
  files: number;
  /** Files storage would not delete: their rows stay marked for the next pass. */
  failed: number;
}

const rowsOf = (r: unknown) =>
  (r as { rows: { id: number | string; key: string; stored: boolean }[] }).rows.map((x) => ({ id: Number(x.id), key: x.key, stored: x.stored }));

export function createMediaRetention(ctx: Ctx) {
  /** Step 1: takes up to `limit` unused assets created before `before` (see the header). */
  async function mark(before: Date, limit: number): Promise<Doomed[]> {
    const r = await ctx.db.execute(sql`
      with taken as (
        select id from media_assets
        where used_at is null and purging_since is null and created_at < ${before.toISOString()}
        order by created_at, id limit ${limit}
        for update skip locked)
      update media_assets m set purging_since = now() from taken
      where m.id = taken.id and m.used_at is null
      returning m.id, m.s3_key as key, m.stored`);
    return rowsOf(r);
  }

  /** Rows an earlier pass marked but did not finish, in id order after `afterId`. */
  async function leftovers(afterId: number, limit: number): Promise<Doomed[]> {
    const r = await ctx.db.execute(sql`
      select id, s3_key as key, stored from media_assets
      where purging_since is not null and id > ${afterId} order by id limit ${limit}`);
    return rowsOf(r);
  }

  /** Step 2: files first, then the rows whose file is gone. */
  async function sweep(doomed: Doomed[]): Promise<MediaPurge> {
    const gone: number[] = [];
    let files = 0;
    let failed = 0;
    for (let i = 0; i < doomed.length; i += DELETE_CONCURRENCY) {
      await Promise.all(
        doomed.slice(i, i + DELETE_CONCURRENCY).map(async (a) => {
          if (a.stored) {
            try {
              await ctx.storage.delete(a.key);
              files++;
            } catch (err) {
              failed++;
              ctx.log.warn({ err, id: a.id, key: a.key }, 'retention: media file not deleted; its row stays for the next pass');
              return;
            }
          }
          gone.push(a.id);
        }),
      );
    }
    const deleted = gone.length
      ? await ctx.db.delete(mediaAssets).where(and(inArray(mediaAssets.id, gone), isNotNull(mediaAssets.purgingSince))).returning({ id: mediaAssets.id })
      : [];
    return { assets: deleted.length, files, failed };
  }

  return {
    /**
     * One pass: first the leftovers of earlier passes, then new orphans batch by batch, each loop at
     * most `maxBatches` batches (the next hourly pass goes on). Stops marking while storage fails.
     */
    async purgeOrphans(opts: { now?: Date; batch?: number; maxBatches?: number } = {}): Promise<MediaPurge> {
      const now = opts.now ?? new Date();
      const batch = opts.batch ?? RETENTION_BATCH;
      const maxBatches = opts.maxBatches ?? RETENTION_MAX_BATCHES;
      const before = new Date(now.getTime() - ctx.config.media.orphanHours * HOUR_MS);
      const total: MediaPurge = { assets: 0, files: 0, failed: 0 };
      const add = (r: MediaPurge) => {
        total.assets += r.assets;
        total.files += r.files;
        total.failed += r.failed;
        return r;
      };
      let after = 0;
      for (let i = 0; i < maxBatches; i++) {
        const left = await leftovers(after, batch);
        if (!left.length) break;
        add(await sweep(left));
        after = left[left.length - 1].id;
        if (left.length < batch) break;
      }
      for (let i = 0; i < maxBatches; i++) {
        const taken = await mark(before, batch);
        const r = add(await sweep(taken));
        if (taken.length < batch || r.failed) break;
      }
      return total;
    },
  };
}

export function mediaRetentionJobs(ctx: Ctx) {
  const r = createMediaRetention(ctx);
  ctx.queue.define(MEDIA_RETENTION_JOB, async () => {
    const purged = await r.purgeOrphans();
    if (purged.assets) ctx.log.info(purged, 'retention: orphaned media uploads purged');
    if (purged.failed) ctx.log.warn(purged, 'retention: some media files could not be deleted; retried next pass');
  }, { attempts: 3 });
}

export async function mediaSchedules(ctx: Ctx) {
  await ctx.queue.schedule(MEDIA_RETENTION_JOB, 3_600_000);
}
