DROP INDEX "outbox_pending_idx";--> statement-breakpoint
CREATE INDEX "outbox_pending_id_idx" ON "outbox" USING btree ("id") WHERE "outbox"."delivered_at" is null;--> statement-breakpoint
-- A claim sets attempts and next_attempt_at, neither indexed now: with room left on the page the
-- update is HOT. Marking delivered is not (delivered_at is indexed). Applies to pages written from now on.
ALTER TABLE "outbox" SET (fillfactor = 70);--> statement-breakpoint
-- A queue table: every event leaves two dead versions behind within seconds. Vacuumed after a fixed
-- number of them, not a fifth of a table that keeps a day of delivered rows, so claims do not walk
-- index entries of long-gone versions.
ALTER TABLE "outbox" SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);
