CREATE TABLE "mentor_daily_tasks" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "mentor_daily_tasks_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"task" varchar(255) NOT NULL,
	"due_date" date NOT NULL,
	"status" varchar(16) DEFAULT 'pending' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mentor_jobs" (
	"id" varchar(36) PRIMARY KEY NOT NULL,
	"user_id" bigint NOT NULL,
	"session_id" bigint NOT NULL,
	"request_message_id" bigint NOT NULL,
	"kind" varchar(16) NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" varchar(16) DEFAULT 'pending' NOT NULL,
	"reply_message_id" bigint,
	"error" varchar(64),
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mentor_memory" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"notes" jsonb DEFAULT '{"entries":[]}'::jsonb NOT NULL,
	"last_summary" text DEFAULT '' NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mentor_messages" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "mentor_messages_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"session_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"role" varchar(16) NOT NULL,
	"content" text NOT NULL,
	"meta" jsonb,
	"reply_to_id" bigint,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mentor_profiles" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "mentor_profiles_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"tone" varchar(32) DEFAULT 'gentle' NOT NULL,
	"level" varchar(32) DEFAULT 'basic' NOT NULL,
	"preferences" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mentor_sessions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "mentor_sessions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" bigint NOT NULL,
	"mode" varchar(32) DEFAULT 'daily_mentor' NOT NULL,
	"language" varchar(8),
	"chat_key" varchar(48),
	"active" boolean DEFAULT true NOT NULL,
	"date" date,
	"question" text DEFAULT '' NOT NULL,
	"answer" text DEFAULT '' NOT NULL,
	"sentiment" varchar(16) DEFAULT '' NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"started_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "mentor_daily_tasks" ADD CONSTRAINT "mentor_daily_tasks_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mentor_jobs" ADD CONSTRAINT "mentor_jobs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mentor_jobs" ADD CONSTRAINT "mentor_jobs_session_id_mentor_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."mentor_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mentor_memory" ADD CONSTRAINT "mentor_memory_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mentor_messages" ADD CONSTRAINT "mentor_messages_session_id_mentor_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."mentor_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mentor_messages" ADD CONSTRAINT "mentor_messages_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mentor_profiles" ADD CONSTRAINT "mentor_profiles_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mentor_sessions" ADD CONSTRAINT "mentor_sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "mentor_daily_tasks_user_idx" ON "mentor_daily_tasks" USING btree ("user_id","created_at","id");--> statement-breakpoint
CREATE INDEX "mentor_jobs_user_idx" ON "mentor_jobs" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "mentor_messages_user_created_idx" ON "mentor_messages" USING btree ("user_id","created_at","id");--> statement-breakpoint
CREATE INDEX "mentor_messages_session_idx" ON "mentor_messages" USING btree ("session_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "mentor_messages_reply_to_key" ON "mentor_messages" USING btree ("reply_to_id");--> statement-breakpoint
CREATE UNIQUE INDEX "mentor_profiles_user_key" ON "mentor_profiles" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "mentor_sessions_chat_key" ON "mentor_sessions" USING btree ("user_id","chat_key") WHERE "mentor_sessions"."chat_key" is not null;--> statement-breakpoint
CREATE INDEX "mentor_sessions_user_created_idx" ON "mentor_sessions" USING btree ("user_id","created_at","id");--> statement-breakpoint
CREATE INDEX "mentor_sessions_user_mode_date_idx" ON "mentor_sessions" USING btree ("user_id","mode","date");