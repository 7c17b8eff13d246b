CREATE TABLE "coin_accounts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "coin_accounts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint,
	"account_key" varchar(255) NOT NULL,
	"label" varchar(255) DEFAULT '' NOT NULL,
	"is_system" boolean DEFAULT false NOT NULL,
	"status" varchar(16) DEFAULT 'active' NOT NULL,
	"suspended_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coin_accounts_status_ck" CHECK ("coin_accounts"."status" in ('active', 'suspended')),
	CONSTRAINT "coin_accounts_kind_ck" CHECK (("coin_accounts"."is_system" and "coin_accounts"."user_id" is null and "coin_accounts"."account_key" like 'system:%') or (not "coin_accounts"."is_system" and "coin_accounts"."account_key" = 'user:' || "coin_accounts"."user_id"::text))
);
--> statement-breakpoint
CREATE TABLE "coin_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "coin_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_type" varchar(16) NOT NULL,
	"occurred_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_by" bigint,
	"idempotency_key" varchar(255),
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"note" varchar(255) DEFAULT '' NOT NULL,
	"ruleset_version" varchar(16) DEFAULT 'v1' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coin_events_type_ck" CHECK ("coin_events"."event_type" in ('mint', 'transfer', 'spend', 'refund'))
);
--> statement-breakpoint
CREATE TABLE "coin_idempotency" (
	"user_id" bigint NOT NULL,
	"scope" varchar(16) NOT NULL,
	"key" varchar(255) NOT NULL,
	"request_hash" varchar(64) NOT NULL,
	"event_id" bigint NOT NULL,
	"response" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coin_idempotency_user_id_scope_key_pk" PRIMARY KEY("user_id","scope","key")
);
--> statement-breakpoint
CREATE TABLE "coin_ledger_entries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "coin_ledger_entries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tx_id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"event_id" bigint NOT NULL,
	"account_key" varchar(255) NOT NULL,
	"amount_cents" bigint NOT NULL,
	"currency" varchar(16) DEFAULT 'SLC' NOT NULL,
	"direction" varchar(6) NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coin_amount_cents_gt_0" CHECK ("coin_ledger_entries"."amount_cents" > 0),
	CONSTRAINT "coin_direction_ck" CHECK ("coin_ledger_entries"."direction" in ('DEBIT', 'CREDIT'))
);
--> statement-breakpoint
CREATE TABLE "coin_monthly_snapshots" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "coin_monthly_snapshots_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"period" varchar(7) NOT NULL,
	"total_events" integer NOT NULL,
	"total_entries" integer NOT NULL,
	"total_volume_cents" bigint NOT NULL,
	"ledger_hash" varchar(128) NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coin_snapshots_period_uq" UNIQUE("period")
);
--> statement-breakpoint
CREATE TABLE "coin_products" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "coin_products_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"code" varchar(64) NOT NULL,
	"title" varchar(128) NOT NULL,
	"description" varchar(2000) DEFAULT '' NOT NULL,
	"price_slc" bigint NOT NULL,
	"duration_days" integer,
	"entitlement_key" varchar(32) NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coin_products_code_uq" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "coin_user_entitlements" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "coin_user_entitlements_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"key" varchar(32) NOT NULL,
	"active_until" timestamp (3) with time zone,
	"source" varchar(32) DEFAULT 'slc' NOT NULL,
	"meta" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_gift_types" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payment_gift_types_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"key" varchar(64),
	"name" varchar(64) NOT NULL,
	"price_cents" integer NOT NULL,
	"price_slc_cents" integer DEFAULT 0 NOT NULL,
	"kind" varchar(16) DEFAULT 'static' NOT NULL,
	"art_url" varchar(500) DEFAULT '' NOT NULL,
	"media_url" varchar(500) DEFAULT '' NOT NULL,
	"animation_url" varchar(500) DEFAULT '' NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"effects" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_gift_types_price_ck" CHECK ("payment_gift_types"."price_cents" > 0 and "payment_gift_types"."price_slc_cents" >= 0),
	CONSTRAINT "payment_gift_types_kind_ck" CHECK ("payment_gift_types"."kind" in ('static', 'animated'))
);
--> statement-breakpoint
CREATE TABLE "payment_checkouts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payment_checkouts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"provider" varchar(16) NOT NULL,
	"reference" varchar(64) NOT NULL,
	"provider_reference" varchar(128),
	"user_id" bigint NOT NULL,
	"amount_cents" bigint NOT NULL,
	"currency" varchar(8) NOT NULL,
	"slc_cents" bigint NOT NULL,
	"status" varchar(16) DEFAULT 'created' NOT NULL,
	"minted_coin_event_id" bigint,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_checkouts_amount_ck" CHECK ("payment_checkouts"."amount_cents" > 0 and "payment_checkouts"."slc_cents" > 0)
);
--> statement-breakpoint
CREATE TABLE "payment_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payment_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"provider" varchar(16) NOT NULL,
	"provider_event_id" varchar(128) NOT NULL,
	"event_type" varchar(64) NOT NULL,
	"user_id" bigint NOT NULL,
	"checkout_id" bigint,
	"amount_cents" bigint NOT NULL,
	"currency" varchar(8) DEFAULT 'USD' NOT NULL,
	"status" varchar(16) DEFAULT 'received' NOT NULL,
	"minted_coin_event_id" bigint,
	"raw_body_hash" varchar(64) DEFAULT '' NOT NULL,
	"verified_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_events_amount_ck" CHECK ("payment_events"."amount_cents" > 0)
);
--> statement-breakpoint
CREATE TABLE "payment_plans" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payment_plans_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" varchar(64) NOT NULL,
	"price_cents" integer NOT NULL,
	"interval" varchar(16) DEFAULT 'month' NOT NULL,
	"features" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"external_price_id" varchar(96),
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_plans_name_uq" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "payment_subscriptions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payment_subscriptions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"plan_id" bigint NOT NULL,
	"status" varchar(16) DEFAULT 'incomplete' NOT NULL,
	"current_period_start" timestamp (3) with time zone,
	"current_period_end" timestamp (3) with time zone,
	"external_customer_id" varchar(96),
	"external_subscription_id" varchar(96),
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_wallets" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payment_wallets_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"balance_cents" integer DEFAULT 0 NOT NULL,
	"external_customer_id" varchar(96),
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_wallets_user_uq" UNIQUE("user_id"),
	CONSTRAINT "payment_wallets_customer_uq" UNIQUE("external_customer_id")
);
--> statement-breakpoint
CREATE TABLE "paid_reactions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "paid_reactions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"sender_id" bigint NOT NULL,
	"target_type" varchar(8) NOT NULL,
	"post_id" bigint,
	"comment_id" bigint,
	"gift_type_id" bigint NOT NULL,
	"quantity" integer DEFAULT 1 NOT NULL,
	"total_amount_cents" bigint NOT NULL,
	"coin_event_id" bigint NOT NULL,
	"idempotency_key" varchar(128) NOT NULL,
	"note" varchar(255) DEFAULT '' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "coin_accounts" ADD CONSTRAINT "coin_accounts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coin_idempotency" ADD CONSTRAINT "coin_idempotency_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coin_ledger_entries" ADD CONSTRAINT "coin_ledger_entries_event_id_coin_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."coin_events"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coin_user_entitlements" ADD CONSTRAINT "coin_user_entitlements_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_checkouts" ADD CONSTRAINT "payment_checkouts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_events" ADD CONSTRAINT "payment_events_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_subscriptions" ADD CONSTRAINT "payment_subscriptions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_subscriptions" ADD CONSTRAINT "payment_subscriptions_plan_id_payment_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."payment_plans"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_wallets" ADD CONSTRAINT "payment_wallets_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "paid_reactions" ADD CONSTRAINT "paid_reactions_sender_id_users_id_fk" FOREIGN KEY ("sender_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "paid_reactions" ADD CONSTRAINT "paid_reactions_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."posts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "paid_reactions" ADD CONSTRAINT "paid_reactions_comment_id_comments_id_fk" FOREIGN KEY ("comment_id") REFERENCES "public"."comments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "coin_accounts_key_uq" ON "coin_accounts" USING btree ("account_key");--> statement-breakpoint
CREATE UNIQUE INDEX "coin_accounts_user_uq" ON "coin_accounts" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "coin_events_idem_uq" ON "coin_events" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "coin_events_created_idx" ON "coin_events" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "coin_entries_account_created_idx" ON "coin_ledger_entries" USING btree ("account_key","created_at","id");--> statement-breakpoint
CREATE INDEX "coin_entries_event_idx" ON "coin_ledger_entries" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "coin_entries_created_idx" ON "coin_ledger_entries" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "coin_entitlements_user_key_uq" ON "coin_user_entitlements" USING btree ("user_id","key");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_gift_types_key_uq" ON "payment_gift_types" USING btree ("key");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_gift_types_name_uq" ON "payment_gift_types" USING btree ("name");--> statement-breakpoint
CREATE INDEX "payment_gift_types_created_idx" ON "payment_gift_types" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_checkouts_reference_uq" ON "payment_checkouts" USING btree ("reference");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_checkouts_provider_ref_uq" ON "payment_checkouts" USING btree ("provider","provider_reference");--> statement-breakpoint
CREATE INDEX "payment_checkouts_user_idx" ON "payment_checkouts" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_events_provider_event_uq" ON "payment_events" USING btree ("provider","provider_event_id");--> statement-breakpoint
CREATE INDEX "payment_events_minted_idx" ON "payment_events" USING btree ("minted_coin_event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_subscriptions_user_plan_uq" ON "payment_subscriptions" USING btree ("user_id","plan_id");--> statement-breakpoint
CREATE UNIQUE INDEX "paid_reactions_sender_key_uq" ON "paid_reactions" USING btree ("sender_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "paid_reactions_post_idx" ON "paid_reactions" USING btree ("post_id","created_at","id");--> statement-breakpoint
CREATE INDEX "paid_reactions_comment_idx" ON "paid_reactions" USING btree ("comment_id","created_at","id");