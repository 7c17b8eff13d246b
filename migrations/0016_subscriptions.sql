CREATE TABLE "payment_webhook_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payment_webhook_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"provider" varchar(16) NOT NULL,
	"event_id" varchar(128) NOT NULL,
	"event_type" varchar(64) NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "payment_subscriptions" ADD COLUMN "last_event_at" timestamp (3) with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "payment_webhook_events_uq" ON "payment_webhook_events" USING btree ("provider","event_id");--> statement-breakpoint
CREATE INDEX "payment_plans_created_idx" ON "payment_plans" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_subscriptions_external_uq" ON "payment_subscriptions" USING btree ("external_subscription_id");--> statement-breakpoint
CREATE INDEX "payment_subscriptions_user_created_idx" ON "payment_subscriptions" USING btree ("user_id","created_at","id");--> statement-breakpoint
ALTER TABLE "payment_plans" ADD CONSTRAINT "payment_plans_price_ck" CHECK ("payment_plans"."price_cents" > 0);--> statement-breakpoint
ALTER TABLE "payment_subscriptions" ADD CONSTRAINT "payment_subscriptions_status_ck" CHECK ("payment_subscriptions"."status" in ('active', 'canceled', 'incomplete', 'past_due'));