// The media module's rules: files are accepted by their bytes (never by name or declared type),
// stored through ctx.storage, recorded as MediaAsset rows and presented with absolute or presigned URLs.
import { randomBytes } from 'node:crypto';
import { and, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { DbOrTx } from '../../platform/db/index.js';
import { fieldError } from '../../platform/http/errors.js';
import type { UploadedFile } from '../../platform/http/multipart.js';
import { sniffMedia } from '../../platform/storage/sniff.js';
import { mediaAssets, type MediaRow } from './schema.js';

export type MediaKind = 'image' | 'video';

export interface UploadRules {
  /** Form field the file came in, used as the key of field errors. */
  field: string;
  /** Which kinds the caller accepts; defaults to both. */
  accept?: MediaKind[];
  /** Storage folder, e.g. `posts/images`. */
  prefix?: string;
}

/** A file that passed the checks and sits in storage, not yet recorded. */
export interface StoredUpload {
  key: string;
  mime: string;
  kind: MediaKind;
  size: number;
  checksum: string;
  width: number | null;
  height: number | null;
}

export const NOT_AN_IMAGE = 'Upload a valid image. The file you uploaded was either not an image or a corrupted image.';
export const NOT_A_VIDEO = 'Unsupported video format.';

export function createMediaService(ctx: Ctx) {
  const db = () => ctx.db;
  const limits = () => ({ image: ctx.config.http.uploadMaxBytes, video: ctx.config.http.videoMaxBytes });

  /** Checks a file's real type and size; throws a field error naming `rules.field`. */
  function inspect(file: UploadedFile, rules: UploadRules) {
    const accept = rules.accept ?? ['image', 'video'];
    const sniffed = sniffMedia(file.head);
    if (!sniffed || !accept.includes(sniffed.kind)) {
      throw fieldError(rules.field, accept.length === 1 && accept[0] === 'video' ? NOT_A_VIDEO : accept.length === 1 ? NOT_AN_IMAGE : 'Upload a valid image or video file.');
    }
    if (file.size > limits()[sniffed.kind]) {
      throw fieldError(rules.field, sniffed.kind === 'video' ? 'Video file is too large.' : `Image file is too large (max ${limits().image} bytes).`);
    }
    return sniffed;
  }

  /** Validates every file first, then writes them; nothing is stored when any file is bad. */
  async function storeUploads(ownerId: number, files: { file: UploadedFile; rules: UploadRules }[]): Promise<StoredUpload[]> {
    const checked = files.map((f) => ({ ...f, sniffed: inspect(f.file, f.rules) }));
    const stored: StoredUpload[] = [];
    try {
      for (const { file, rules, sniffed } of checked) {
        const key = `${rules.prefix ?? 'media'}/${ownerId}/${randomBytes(12).toString('hex')}.${sniffed.ext}`;
        // Streamed from the upload's temporary file: never read whole into memory.
        await ctx.storage.put(key, file, sniffed.mime);
        stored.push({ key, mime: sniffed.mime, kind: sniffed.kind, size: file.size, checksum: file.sha256, width: sniffed.width, height: sniffed.height });
      }
    } catch (err) {
      await discard(stored.map((s) => s.key));
      throw err;
    }
    return stored;
  }

  /**
   * Records stored files as ready assets (inside the caller's transaction when given). They count as
   * used from birth (files uploaded with a post or comment) unless `used: false` (a bare upload).
   */
  async function insertStored(ownerId: number, stored: StoredUpload[], tx: DbOrTx = db(), opts: { meta?: Record<string, unknown>; used?: boolean } = {}): Promise<MediaRow[]> {
    if (!stored.length) return [];
    const usedAt = opts.used === false ? null : new Date();
    return tx
      .insert(mediaAssets)
      .values(
        stored.map((s) => ({
          ownerId,
          s3Key: s.key,
          mime: s.mime,
          width: s.width,
          height: s.height,
          status: 'ready' as const,
          checksum: s.checksum,
          size: s.size,
          stored: true,
          meta: opts.meta ?? {},
          usedAt,
        })),
      )
      .returning();
  }

  /** Best-effort removal of files whose rows were never written or were deleted. */
  async function discard(keys: string[]) {
    await Promise.all(keys.map((k) => ctx.storage.delete(k).catch((err) => ctx.log.warn({ err, key: k }, 'could not delete media file'))));
  }

  async function createFromUpload(ownerId: number, file: UploadedFile, rules: UploadRules = { field: 'file' }): Promise<MediaRow> {
    const stored = await storeUploads(ownerId, [{ file, rules }]);
    try {
      return (await insertStored(ownerId, stored, db(), { used: false }))[0];
    } catch (err) {
      await discard(stored.map((s) => s.key));
      throw err;
    }
  }

  async function getMany(ids: number[]): Promise<Map<number, MediaRow>> {
    const unique = [...new Set(ids)];
    if (!unique.length) return new Map();
    const rows = await db().select().from(mediaAssets).where(inArray(mediaAssets.id, unique));
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** The owner's asset; one retention is deleting (an unused upload past its grace period) is gone already. */
  async function getOwned(ownerId: number, id: number): Promise<MediaRow | null> {
    const [row] = await db()
      .select()
      .from(mediaAssets)
      .where(and(eq(mediaAssets.id, id), eq(mediaAssets.ownerId, ownerId), isNull(mediaAssets.purgingSince)))
      .limit(1);
    return row ?? null;
  }

  const invalidIds = (field: string, ids: number[]) => fieldError(field, `Invalid media id(s): ${ids.join(', ')}.`);

  /** The assets, in the order asked; any id that is unknown, someone else's or being purged is a 400 on `media_ids`. */
  async function assertOwned(ownerId: number, ids: number[], field = 'media_ids'): Promise<MediaRow[]> {
    const unique = [...new Set(ids)];
    const found = await getMany(unique);
    const missing = unique.filter((id) => found.get(id)?.ownerId !== ownerId || found.get(id)?.purgingSince);
    if (missing.length) throw invalidIds(field, missing);
    return unique.map((id) => found.get(id)!);
  }

  /**
   * Records, inside the caller's transaction, that a post or comment now uses these assets of the
   * owner, so retention never purges them. Every module that links an asset calls this in the
   * transaction that writes the link. The update locks the rows until the caller commits: a purge
   * running meanwhile skips them, and one that took an asset first (it is being deleted) makes this
   * a 400 on `field`, so the link is never written to a vanishing asset.
   */
  async function markUsed(ownerId: number, ids: number[], tx: DbOrTx, field = 'media_ids'): Promise<void> {
    const unique = [...new Set(ids)];
    if (!unique.length) return;
    const marked = await tx
      .update(mediaAssets)
      .set({ usedAt: sql`coalesce(${mediaAssets.usedAt}, now())` })
      .where(and(inArray(mediaAssets.id, unique), eq(mediaAssets.ownerId, ownerId), isNull(mediaAssets.purgingSince)))
      .returning({ id: mediaAssets.id });
    const ok = new Set(marked.map((m) => m.id));
    const missing = unique.filter((id) => !ok.has(id));
    if (missing.length) throw invalidIds(field, missing);
  }

  /** Deletes rows (any owner: callers check ownership) and then the files we stored for them. */
  async function deleteMany(ids: number[], tx: DbOrTx = db()): Promise<string[]> {
    if (!ids.length) return [];
    const gone = await tx.delete(mediaAssets).where(inArray(mediaAssets.id, ids)).returning({ key: mediaAssets.s3Key, stored: mediaAssets.stored });
    return gone.filter((g) => g.stored).map((g) => g.key);
  }

  /**
   * A URL the app can load: presigned (S3), or `/media/<key>` made absolute with the public origin;
   * short-lived and signed for every key outside the public prefixes (see platform/storage). Callers
   * present it only to viewers allowed to see the post, message or asset it belongs to.
   */
  async function urlFor(key: string, origin: string | undefined): Promise<string> {
    const url = await ctx.storage.url(key);
    return url.startsWith('/') ? (ctx.config.publicBaseUrl ?? origin ?? '') + url : url;
  }

  /** URL of an asset: our files through storage; metadata-only rows only when they name an absolute URL. */
  async function assetUrl(a: MediaRow, origin: string | undefined): Promise<string | null> {
    if (a.stored) return urlFor(a.s3Key, origin);
    return /^https?:\/\//i.test(a.s3Key) ? a.s3Key : null;
  }

  async function present(assets: MediaRow[], origin: string | undefined) {
    return Promise.all(
      assets.map(async (a) => ({
        id: a.id,
        s3_key: a.s3Key,
        mime: a.mime,
        width: a.width,
        height: a.height,
        duration: a.duration,
        status: a.status,
        checksum: a.checksum,
        meta: a.meta,
        url: await assetUrl(a, origin),
        created_at: a.createdAt.toISOString(),
      })),
    );
  }

  /**
   * SQL for the newest edit time (epoch ms) among the assets whose ids `mediaIds` selects: lets a
   * cache of presented media (social's post cache) see an in-place edit without a query of its own.
   */
  function editedAtSql(mediaIds: SQL): SQL<string> {
    return sql<string>`(select coalesce(floor(extract(epoch from max(${mediaAssets.updatedAt})) * 1000), 0)::bigint::text from ${mediaAssets} where ${mediaAssets.id} in (${mediaIds}))`;
  }

  return { inspect, storeUploads, insertStored, discard, createFromUpload, getMany, getOwned, assertOwned, markUsed, deleteMany, urlFor, assetUrl, present, editedAtSql };
}

export type MediaService = ReturnType<typeof createMediaService>;
export type PresentedMedia = Awaited<ReturnType<MediaService['present']>>[number];
