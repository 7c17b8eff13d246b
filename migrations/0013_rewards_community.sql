CREATE TABLE "community_acceptances" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "community_acceptances_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"problem_id" bigint NOT NULL,
	"agreement_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_agreements" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "community_agreements_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"problem_id" bigint NOT NULL,
	"license_spdx" varchar(32) DEFAULT 'MIT' NOT NULL,
	"version" varchar(16) DEFAULT '1.0' NOT NULL,
	"text" text NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_artifact_comments" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "community_artifact_comments_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"artifact_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_artifacts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "community_artifacts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"problem_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"title" varchar(200) NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"url" varchar(2000) DEFAULT '' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_comment_likes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "community_comment_likes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"comment_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_comments" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "community_comments_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"problem_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "community_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"problem_id" bigint NOT NULL,
	"actor_id" bigint,
	"type" varchar(64) NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_problem_likes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "community_problem_likes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"problem_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_problems" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "community_problems_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"title" varchar(200) NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"status" varchar(32) DEFAULT 'open' NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"views_count" integer DEFAULT 0 NOT NULL,
	"last_activity_at" timestamp (3) with time zone,
	"created_by" bigint,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_work" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "community_work_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"problem_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"status" varchar(32) DEFAULT 'marked' NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reward_contributors" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "reward_contributors_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint,
	"github_username" varchar(255),
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reward_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "reward_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"contributor_id" bigint NOT NULL,
	"event_type" varchar(32) NOT NULL,
	"points" integer NOT NULL,
	"occurred_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"reference" varchar(255) DEFAULT '' NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"notes" varchar(255) DEFAULT '' NOT NULL,
	"ruleset_version" varchar(16) DEFAULT 'v1' NOT NULL,
	"delivery_id" varchar(128),
	"dedupe_key" varchar(400),
	"created_by" bigint,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reward_events_type_ck" CHECK ("reward_events"."event_type" in ('pr_merged', 'bounty_paid', 'manual_adjustment', 'bonus', 'penalty'))
);
--> statement-breakpoint
CREATE TABLE "reward_ledger_entries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "reward_ledger_entries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tx_id" uuid NOT NULL,
	"event_id" bigint NOT NULL,
	"account" varchar(255) NOT NULL,
	"amount" bigint NOT NULL,
	"currency" varchar(16) DEFAULT 'POINTS' NOT NULL,
	"direction" varchar(6) NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reward_ledger_amount_ck" CHECK ("reward_ledger_entries"."amount" > 0),
	CONSTRAINT "reward_ledger_direction_ck" CHECK ("reward_ledger_entries"."direction" in ('DEBIT', 'CREDIT'))
);
--> statement-breakpoint
CREATE TABLE "reward_payouts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "reward_payouts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"snapshot_id" bigint NOT NULL,
	"contributor_id" bigint NOT NULL,
	"points" bigint NOT NULL,
	"amount_cents" bigint NOT NULL,
	"status" varchar(16) DEFAULT 'pending' NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reward_payouts_amount_ck" CHECK ("reward_payouts"."amount_cents" >= 0),
	CONSTRAINT "reward_payouts_status_ck" CHECK ("reward_payouts"."status" in ('pending', 'processing', 'paid', 'canceled'))
);
--> statement-breakpoint
CREATE TABLE "reward_snapshots" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "reward_snapshots_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"period" varchar(7) NOT NULL,
	"revenue_cents" bigint NOT NULL,
	"costs_cents" bigint NOT NULL,
	"pool_percent" smallint NOT NULL,
	"contributor_pool_cents" bigint NOT NULL,
	"total_points" bigint NOT NULL,
	"total_events" integer NOT NULL,
	"ledger_hash" varchar(64) NOT NULL,
	"csv_sha256" varchar(64) NOT NULL,
	"last_event_id" bigint NOT NULL,
	"dispute_window_ends_at" timestamp (3) with time zone NOT NULL,
	"created_by" bigint,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reward_snapshots_period_unique" UNIQUE("period"),
	CONSTRAINT "reward_snapshots_money_ck" CHECK ("reward_snapshots"."revenue_cents" >= 0 and "reward_snapshots"."costs_cents" >= 0 and "reward_snapshots"."contributor_pool_cents" >= 0),
	CONSTRAINT "reward_snapshots_pct_ck" CHECK ("reward_snapshots"."pool_percent" between 0 and 100)
);
--> statement-breakpoint
ALTER TABLE "community_acceptances" ADD CONSTRAINT "community_acceptances_problem_id_community_problems_id_fk" FOREIGN KEY ("problem_id") REFERENCES "public"."community_problems"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_acceptances" ADD CONSTRAINT "community_acceptances_agreement_id_community_agreements_id_fk" FOREIGN KEY ("agreement_id") REFERENCES "public"."community_agreements"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_agreements" ADD CONSTRAINT "community_agreements_problem_id_community_problems_id_fk" FOREIGN KEY ("problem_id") REFERENCES "public"."community_problems"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_artifact_comments" ADD CONSTRAINT "community_artifact_comments_artifact_id_community_artifacts_id_fk" FOREIGN KEY ("artifact_id") REFERENCES "public"."community_artifacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_artifacts" ADD CONSTRAINT "community_artifacts_problem_id_community_problems_id_fk" FOREIGN KEY ("problem_id") REFERENCES "public"."community_problems"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_comment_likes" ADD CONSTRAINT "community_comment_likes_comment_id_community_comments_id_fk" FOREIGN KEY ("comment_id") REFERENCES "public"."community_comments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_comments" ADD CONSTRAINT "community_comments_problem_id_community_problems_id_fk" FOREIGN KEY ("problem_id") REFERENCES "public"."community_problems"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_events" ADD CONSTRAINT "community_events_problem_id_community_problems_id_fk" FOREIGN KEY ("problem_id") REFERENCES "public"."community_problems"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_problem_likes" ADD CONSTRAINT "community_problem_likes_problem_id_community_problems_id_fk" FOREIGN KEY ("problem_id") REFERENCES "public"."community_problems"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_work" ADD CONSTRAINT "community_work_problem_id_community_problems_id_fk" FOREIGN KEY ("problem_id") REFERENCES "public"."community_problems"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reward_events" ADD CONSTRAINT "reward_events_contributor_id_reward_contributors_id_fk" FOREIGN KEY ("contributor_id") REFERENCES "public"."reward_contributors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reward_ledger_entries" ADD CONSTRAINT "reward_ledger_entries_event_id_reward_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."reward_events"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reward_payouts" ADD CONSTRAINT "reward_payouts_snapshot_id_reward_snapshots_id_fk" FOREIGN KEY ("snapshot_id") REFERENCES "public"."reward_snapshots"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reward_payouts" ADD CONSTRAINT "reward_payouts_contributor_id_reward_contributors_id_fk" FOREIGN KEY ("contributor_id") REFERENCES "public"."reward_contributors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "community_acceptances_uq" ON "community_acceptances" USING btree ("user_id","agreement_id");--> statement-breakpoint
CREATE UNIQUE INDEX "community_agreements_active_uq" ON "community_agreements" USING btree ("problem_id") WHERE "community_agreements"."is_active";--> statement-breakpoint
CREATE INDEX "community_artifact_comments_idx" ON "community_artifact_comments" USING btree ("artifact_id","created_at");--> statement-breakpoint
CREATE INDEX "community_artifacts_problem_idx" ON "community_artifacts" USING btree ("problem_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "community_comment_likes_uq" ON "community_comment_likes" USING btree ("comment_id","user_id");--> statement-breakpoint
CREATE INDEX "community_comments_problem_idx" ON "community_comments" USING btree ("problem_id","created_at");--> statement-breakpoint
CREATE INDEX "community_events_problem_idx" ON "community_events" USING btree ("problem_id","created_at");--> statement-breakpoint
CREATE INDEX "community_events_type_idx" ON "community_events" USING btree ("type","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "community_problem_likes_uq" ON "community_problem_likes" USING btree ("problem_id","user_id");--> statement-breakpoint
CREATE INDEX "community_problems_created_idx" ON "community_problems" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "community_problems_status_idx" ON "community_problems" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "community_work_uq" ON "community_work" USING btree ("problem_id","user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "reward_contributors_user_uq" ON "reward_contributors" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "reward_contributors_github_uq" ON "reward_contributors" USING btree (lower("github_username"));--> statement-breakpoint
CREATE INDEX "reward_events_contributor_idx" ON "reward_events" USING btree ("contributor_id","occurred_at");--> statement-breakpoint
CREATE INDEX "reward_events_type_idx" ON "reward_events" USING btree ("event_type","occurred_at");--> statement-breakpoint
CREATE INDEX "reward_events_occurred_idx" ON "reward_events" USING btree ("occurred_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "reward_events_delivery_uq" ON "reward_events" USING btree ("delivery_id");--> statement-breakpoint
CREATE UNIQUE INDEX "reward_events_dedupe_uq" ON "reward_events" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "reward_ledger_event_idx" ON "reward_ledger_entries" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "reward_ledger_account_idx" ON "reward_ledger_entries" USING btree ("account","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "reward_payouts_snapshot_contributor_uq" ON "reward_payouts" USING btree ("snapshot_id","contributor_id");--> statement-breakpoint
CREATE INDEX "reward_payouts_contributor_idx" ON "reward_payouts" USING btree ("contributor_id","created_at");