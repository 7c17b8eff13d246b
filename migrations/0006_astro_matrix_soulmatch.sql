CREATE TABLE "astro_results" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "astro_results_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"birth_data_hash" varchar(64) NOT NULL,
	"rules_version" varchar(32) NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "astro_birth_data" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "astro_birth_data_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"date_of_birth" date NOT NULL,
	"time_of_birth" time(6) NOT NULL,
	"timezone" varchar(64) NOT NULL,
	"city" varchar(128) DEFAULT '' NOT NULL,
	"country" varchar(128) DEFAULT '' NOT NULL,
	"latitude" double precision NOT NULL,
	"longitude" double precision NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "astro_natal_charts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "astro_natal_charts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"birth_data_id" bigint NOT NULL,
	"birth_hash" varchar(64) NOT NULL,
	"rules_version" varchar(32) NOT NULL,
	"planets" jsonb NOT NULL,
	"aspects" jsonb NOT NULL,
	"angles" jsonb NOT NULL,
	"signs" jsonb NOT NULL,
	"calculated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "matrix_astro_profiles" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "matrix_astro_profiles_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"sun" varchar(32) DEFAULT '' NOT NULL,
	"moon" varchar(32) DEFAULT '' NOT NULL,
	"ascendant" varchar(32) DEFAULT '' NOT NULL,
	"planets" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"aspects" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"houses" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"raw_payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "matrix_data" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "matrix_data_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"life_path" varchar(32) DEFAULT '' NOT NULL,
	"traits" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"raw_payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "soulmatch_profiles" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"sun" varchar(32) DEFAULT '' NOT NULL,
	"moon" varchar(32) DEFAULT '' NOT NULL,
	"life_path" varchar(32) DEFAULT '' NOT NULL,
	"avg_sentiment" double precision DEFAULT 0 NOT NULL,
	"social_score" double precision DEFAULT 0 NOT NULL,
	"traits" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "soulmatch_results" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "soulmatch_results_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"viewer_id" bigint NOT NULL,
	"target_id" bigint NOT NULL,
	"rules_version" varchar(32) NOT NULL,
	"inputs_digest" varchar(64) NOT NULL,
	"score" double precision NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "soulmatch_scores" (
	"user_id" bigint NOT NULL,
	"target_id" bigint NOT NULL,
	"score" double precision NOT NULL,
	"breakdown" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "soulmatch_scores_user_id_target_id_pk" PRIMARY KEY("user_id","target_id")
);
--> statement-breakpoint
ALTER TABLE "astro_birth_data" ADD CONSTRAINT "astro_birth_data_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "astro_natal_charts" ADD CONSTRAINT "astro_natal_charts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "astro_natal_charts" ADD CONSTRAINT "astro_natal_charts_birth_data_id_astro_birth_data_id_fk" FOREIGN KEY ("birth_data_id") REFERENCES "public"."astro_birth_data"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "matrix_astro_profiles" ADD CONSTRAINT "matrix_astro_profiles_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "matrix_data" ADD CONSTRAINT "matrix_data_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "soulmatch_profiles" ADD CONSTRAINT "soulmatch_profiles_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "soulmatch_results" ADD CONSTRAINT "soulmatch_results_viewer_id_users_id_fk" FOREIGN KEY ("viewer_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "soulmatch_results" ADD CONSTRAINT "soulmatch_results_target_id_users_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "soulmatch_scores" ADD CONSTRAINT "soulmatch_scores_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "soulmatch_scores" ADD CONSTRAINT "soulmatch_scores_target_id_users_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "astro_results_hash_rules_key" ON "astro_results" USING btree ("birth_data_hash","rules_version");--> statement-breakpoint
CREATE UNIQUE INDEX "astro_birth_data_user_key" ON "astro_birth_data" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "astro_natal_charts_user_key" ON "astro_natal_charts" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "astro_natal_charts_birth_data_key" ON "astro_natal_charts" USING btree ("birth_data_id");--> statement-breakpoint
CREATE UNIQUE INDEX "matrix_astro_profiles_user_key" ON "matrix_astro_profiles" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "matrix_data_user_key" ON "matrix_data" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "soulmatch_results_pair_key" ON "soulmatch_results" USING btree ("viewer_id","target_id","rules_version");--> statement-breakpoint
CREATE INDEX "soulmatch_scores_user_score_idx" ON "soulmatch_scores" USING btree ("user_id","score");