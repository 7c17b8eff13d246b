-- Rewards: the ledger is append-only at the database level (fix §8.3/§8.4: corrections are new events).
CREATE OR REPLACE FUNCTION "reward_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS "reward_events_no_change" ON "reward_events";
--> statement-breakpoint
CREATE TRIGGER "reward_events_no_change" BEFORE UPDATE OR DELETE ON "reward_events" FOR EACH ROW EXECUTE FUNCTION "reward_append_only"();
--> statement-breakpoint
DROP TRIGGER IF EXISTS "reward_events_no_truncate" ON "reward_events";
--> statement-breakpoint
CREATE TRIGGER "reward_events_no_truncate" BEFORE TRUNCATE ON "reward_events" FOR EACH STATEMENT EXECUTE FUNCTION "reward_append_only"();
--> statement-breakpoint
DROP TRIGGER IF EXISTS "reward_ledger_entries_no_change" ON "reward_ledger_entries";
--> statement-breakpoint
CREATE TRIGGER "reward_ledger_entries_no_change" BEFORE UPDATE OR DELETE ON "reward_ledger_entries" FOR EACH ROW EXECUTE FUNCTION "reward_append_only"();
--> statement-breakpoint
DROP TRIGGER IF EXISTS "reward_ledger_entries_no_truncate" ON "reward_ledger_entries";
--> statement-breakpoint
CREATE TRIGGER "reward_ledger_entries_no_truncate" BEFORE TRUNCATE ON "reward_ledger_entries" FOR EACH STATEMENT EXECUTE FUNCTION "reward_append_only"();
--> statement-breakpoint
DROP TRIGGER IF EXISTS "reward_snapshots_no_change" ON "reward_snapshots";
--> statement-breakpoint
CREATE TRIGGER "reward_snapshots_no_change" BEFORE UPDATE OR DELETE ON "reward_snapshots" FOR EACH ROW EXECUTE FUNCTION "reward_append_only"();
--> statement-breakpoint
-- Payouts: never deleted; only status (along the allowed transitions), metadata and updated_at change.
CREATE OR REPLACE FUNCTION "reward_payouts_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'reward_payouts rows cannot be deleted' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.id <> OLD.id OR NEW.snapshot_id <> OLD.snapshot_id OR NEW.contributor_id <> OLD.contributor_id
     OR NEW.points <> OLD.points OR NEW.amount_cents <> OLD.amount_cents OR NEW.created_at <> OLD.created_at THEN
    RAISE EXCEPTION 'reward_payouts amounts are immutable' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.status <> OLD.status AND NOT (
       (OLD.status = 'pending' AND NEW.status IN ('processing', 'canceled'))
    OR (OLD.status = 'processing' AND NEW.status IN ('paid', 'canceled'))) THEN
    RAISE EXCEPTION 'reward payout cannot move from % to %', OLD.status, NEW.status USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS "reward_payouts_guard" ON "reward_payouts";
--> statement-breakpoint
CREATE TRIGGER "reward_payouts_guard" BEFORE UPDATE OR DELETE ON "reward_payouts" FOR EACH ROW EXECUTE FUNCTION "reward_payouts_guard"();
