CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE TABLE "search_documents" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "search_documents_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"type" varchar(8) NOT NULL,
	"ref_id" bigint NOT NULL,
	"owner_id" bigint NOT NULL,
	"visibility" varchar(16) NOT NULL,
	"tsv" "tsvector" NOT NULL,
	"handle" text DEFAULT '' NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "search_documents_type_ref_key" ON "search_documents" USING btree ("type","ref_id");--> statement-breakpoint
CREATE INDEX "search_documents_tsv_idx" ON "search_documents" USING gin ("tsv");--> statement-breakpoint
CREATE INDEX "search_documents_handle_trgm_idx" ON "search_documents" USING gin ("handle" gin_trgm_ops);