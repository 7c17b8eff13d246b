CREATE TABLE "msg_attachments" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "msg_attachments_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"message_id" bigint NOT NULL,
	"storage_key" varchar(255) NOT NULL,
	"type" varchar(8) NOT NULL,
	"mime_type" varchar(128) NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "msg_messages" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "msg_messages_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"thread_id" bigint NOT NULL,
	"sender_id" bigint NOT NULL,
	"reply_to_id" bigint,
	"body" text DEFAULT '' NOT NULL,
	"type" varchar(16) DEFAULT 'text' NOT NULL,
	"meta" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" varchar(16) DEFAULT 'sent' NOT NULL,
	"delivered_at" timestamp (3) with time zone,
	"read_at" timestamp (3) with time zone,
	"client_uuid" varchar(64),
	"edited_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "msg_reactions" (
	"message_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"emoji" varchar(16) NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "msg_reactions_message_id_user_id_emoji_pk" PRIMARY KEY("message_id","user_id","emoji")
);
--> statement-breakpoint
CREATE TABLE "msg_thread_members" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "msg_thread_members_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"thread_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"role" varchar(16) DEFAULT 'member' NOT NULL,
	"last_read_message_id" bigint,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "msg_threads" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "msg_threads_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"is_group" boolean DEFAULT false NOT NULL,
	"title" varchar(120) DEFAULT '' NOT NULL,
	"created_by_id" bigint,
	"direct_key" varchar(64),
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "msg_attachments" ADD CONSTRAINT "msg_attachments_message_id_msg_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."msg_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "msg_messages" ADD CONSTRAINT "msg_messages_thread_id_msg_threads_id_fk" FOREIGN KEY ("thread_id") REFERENCES "public"."msg_threads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "msg_messages" ADD CONSTRAINT "msg_messages_sender_id_users_id_fk" FOREIGN KEY ("sender_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "msg_reactions" ADD CONSTRAINT "msg_reactions_message_id_msg_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."msg_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "msg_reactions" ADD CONSTRAINT "msg_reactions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "msg_thread_members" ADD CONSTRAINT "msg_thread_members_thread_id_msg_threads_id_fk" FOREIGN KEY ("thread_id") REFERENCES "public"."msg_threads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "msg_thread_members" ADD CONSTRAINT "msg_thread_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "msg_threads" ADD CONSTRAINT "msg_threads_created_by_id_users_id_fk" FOREIGN KEY ("created_by_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "msg_attachments_message_idx" ON "msg_attachments" USING btree ("message_id");--> statement-breakpoint
CREATE UNIQUE INDEX "msg_messages_client_uuid" ON "msg_messages" USING btree ("thread_id","sender_id","client_uuid");--> statement-breakpoint
CREATE INDEX "msg_messages_thread_idx" ON "msg_messages" USING btree ("thread_id","id");--> statement-breakpoint
CREATE INDEX "msg_messages_reply_idx" ON "msg_messages" USING btree ("reply_to_id") WHERE "msg_messages"."reply_to_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "msg_members_thread_user" ON "msg_thread_members" USING btree ("thread_id","user_id");--> statement-breakpoint
CREATE INDEX "msg_members_user_idx" ON "msg_thread_members" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "msg_threads_direct_key" ON "msg_threads" USING btree ("direct_key");--> statement-breakpoint
CREATE INDEX "msg_threads_updated_idx" ON "msg_threads" USING btree ("updated_at","id");