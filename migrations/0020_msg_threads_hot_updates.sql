DROP INDEX "msg_threads_updated_idx";--> statement-breakpoint
-- Every message updates its thread's updated_at: with no index on it and room on the page, that
-- update is HOT (no new index entries). Applies to pages written from now on.
ALTER TABLE "msg_threads" SET (fillfactor = 70);
