-- Media retention: assets posts and comments already use are marked used, so the orphan purge
-- (src/modules/media/retention.ts) never takes them. From now on the social module marks them
-- itself through the media service (markUsed, insertStored); this one-time backfill reads its link
-- tables because the data predates that. Assets never linked stay unmarked: orphans once past the grace period.
UPDATE "media_assets" SET "used_at" = "created_at"
WHERE "used_at" IS NULL
  AND ("id" IN (SELECT "media_id" FROM "post_media") OR "id" IN (SELECT "media_id" FROM "comment_media"));
