ALTER TABLE "media_assets" ADD COLUMN "used_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "media_assets" ADD COLUMN "purging_since" timestamp (3) with time zone;--> statement-breakpoint
CREATE INDEX "media_assets_unused_idx" ON "media_assets" USING btree ("created_at","id") WHERE "media_assets"."used_at" is null and "media_assets"."purging_since" is null;--> statement-breakpoint
CREATE INDEX "media_assets_purging_idx" ON "media_assets" USING btree ("id") WHERE "media_assets"."purging_since" is not null;