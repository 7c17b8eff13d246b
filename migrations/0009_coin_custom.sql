-- coin_custom: rules of the SLC ledger enforced by the database itself, and the seed rows.
-- Self-contained and safe to re-run (create or replace / drop if exists / on conflict do nothing).

-- 1. Append-only: events, ledger lines and monthly snapshots refuse UPDATE, DELETE and TRUNCATE.
create or replace function coin_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception 'coin ledger is append-only: % on % refused', tg_op, tg_table_name using errcode = '55000';
end $$;
--> statement-breakpoint
drop trigger if exists coin_events_append_only on coin_events;
--> statement-breakpoint
create trigger coin_events_append_only before update or delete on coin_events for each row execute function coin_refuse_change();
--> statement-breakpoint
drop trigger if exists coin_events_no_truncate on coin_events;
--> statement-breakpoint
create trigger coin_events_no_truncate before truncate on coin_events for each statement execute function coin_refuse_change();
--> statement-breakpoint
drop trigger if exists coin_entries_append_only on coin_ledger_entries;
--> statement-breakpoint
create trigger coin_entries_append_only before update or delete on coin_ledger_entries for each row execute function coin_refuse_change();
--> statement-breakpoint
drop trigger if exists coin_entries_no_truncate on coin_ledger_entries;
--> statement-breakpoint
create trigger coin_entries_no_truncate before truncate on coin_ledger_entries for each statement execute function coin_refuse_change();
--> statement-breakpoint
drop trigger if exists coin_snapshots_append_only on coin_monthly_snapshots;
--> statement-breakpoint
create trigger coin_snapshots_append_only before update or delete on coin_monthly_snapshots for each row execute function coin_refuse_change();
--> statement-breakpoint
drop trigger if exists coin_snapshots_no_truncate on coin_monthly_snapshots;
--> statement-breakpoint
create trigger coin_snapshots_no_truncate before truncate on coin_monthly_snapshots for each statement execute function coin_refuse_change();
--> statement-breakpoint

-- 2. Every line, checked at commit (deferred): its event balances per currency, its account exists
--    and is active, the currency is SLC, and a user account it debits does not end below zero.
create or replace function coin_check_entry() returns trigger language plpgsql as $$
declare
  s bigint;
  bal bigint;
  acc record;
begin
  if new.currency <> 'SLC' then
    raise exception 'coin ledger currency must be SLC, got %', new.currency using errcode = '23514';
  end if;
  select coalesce(sum(case when direction = 'CREDIT' then amount_cents else -amount_cents end), 0) into s
    from coin_ledger_entries where event_id = new.event_id and currency = new.currency;
  if s <> 0 then
    raise exception 'coin event % is unbalanced by %', new.event_id, s using errcode = '23514';
  end if;
  select is_system, status into acc from coin_accounts where account_key = new.account_key;
  if not found then
    raise exception 'unknown coin account %', new.account_key using errcode = '23503';
  end if;
  if acc.status <> 'active' then
    raise exception 'coin account % is not active', new.account_key using errcode = '23514';
  end if;
  if new.direction = 'DEBIT' and not acc.is_system then
    select coalesce(sum(case when direction = 'CREDIT' then amount_cents else -amount_cents end), 0) into bal
      from coin_ledger_entries where account_key = new.account_key;
    if bal < 0 then
      raise exception 'coin account % would go negative', new.account_key using errcode = '23514';
    end if;
  end if;
  return null;
end $$;
--> statement-breakpoint
drop trigger if exists coin_entries_check on coin_ledger_entries;
--> statement-breakpoint
create constraint trigger coin_entries_check after insert on coin_ledger_entries deferrable initially deferred for each row execute function coin_check_entry();
--> statement-breakpoint

-- 3. Seeds: the three system accounts and the default products.
insert into coin_accounts (account_key, label, is_system) values
  ('system:fees', 'Fees', true),
  ('system:revenue', 'Revenue', true),
  ('system:mint', 'Mint', true)
on conflict (account_key) do nothing;
--> statement-breakpoint
insert into coin_products (code, title, description, price_slc, duration_days, entitlement_key, is_active, sort_order) values
  ('premium_month', 'Premium (Monthly)', 'Unlock Premium features for 30 days.', 1000, 30, 'premium', true, 10),
  ('premium_plus_month', 'Premium+ (Monthly)', 'Unlock Premium+ features for 30 days.', 2000, 30, 'premium_plus', true, 20)
on conflict (code) do nothing;
