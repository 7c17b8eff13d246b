// SLC operations: invariant check, monthly snapshot, account backfill, payment audit.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from './index.js';
import { parseArgs } from './index.js';
import { PROVIDERS, type Provider } from '../modules/payments/service.js';

export const coinInvariantCheck: Command = {
  help: 'check the SLC ledger invariants (balanced events, mint provenance, accounts, no overdraft); exit 1 on any failure',
  async run(ctx) {
    const r = await ctx.services.coin.invariantCheck();
    console.log('coin_invariant_check:');
    for (const [k, v] of Object.entries(r.checks)) console.log(`- ${k}=${v}`);
    if (!r.ok) {
      console.error(`coin invariants failed: ${r.failures.join(', ')}`);
      return 1;
    }
    return 0;
  },
};

export const coinSnapshot: Command = {
  help: 'coin-snapshot --month YYYY-MM [--dry-run] [--output-dir DIR]: reproducible ledger hash + CSV of one UTC month',
  async run(ctx, args) {
    const { opts } = parseArgs(args);
    const month = typeof opts.month === 'string' ? opts.month : '';
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) {
      console.error('--month YYYY-MM is required');
      return 2;
    }
    const dry = opts['dry-run'] === true;
    if (!dry && (await ctx.services.coin.snapshotExists(month))) {
      console.error(`snapshot for ${month} already exists`);
      return 1;
    }
    const snap = await ctx.services.coin.buildSnapshot(month);
    const dir = typeof opts['output-dir'] === 'string' ? path.resolve(opts['output-dir']) : path.join(ctx.config.storage.mediaDir, 'coin_snapshots', month);
    fs.mkdirSync(dir, { recursive: true });
    const csvPath = path.join(dir, 'snapshot.csv');
    const manifestPath = path.join(dir, 'manifest.json');
    fs.writeFileSync(csvPath, snap.csv);
    fs.writeFileSync(manifestPath, JSON.stringify(snap.manifest, null, 2));
    if (!dry && !(await ctx.services.coin.storeSnapshot(snap.manifest))) {
      console.error(`snapshot for ${month} already exists`);
      return 1;
    }
    console.log(`csv=${csvPath}`);
    console.log(`manifest=${manifestPath}`);
    console.log(`ledger_hash=${snap.ledgerHash} csv_sha256=${snap.csvSha256}`);
    return 0;
  },
};

export const coinBackfillAccounts: Command = {
  help: 'coin-backfill-accounts [--batch-size N]: create the missing user:<id> coin accounts (idempotent)',
  async run(ctx, args) {
    const { opts } = parseArgs(args);
    const n = Number(opts['batch-size'] ?? 1000);
    const batch = Number.isInteger(n) ? Math.min(10_000, Math.max(1, n)) : 1000;
    const total = await ctx.services.coin.backfillAccounts(batch, (upTo, created) => console.log(`processed_up_to_user_id=${upTo} created=${created}`));
    console.log(`total_created=${total}`);
    return 0;
  },
};

export const coinPaymentAudit: Command = {
  help: 'coin-payment-audit [--provider stripe] [--limit 50] [--show]: payment events without a mint',
  async run(ctx, args) {
    const { opts } = parseArgs(args);
    const provider = (typeof opts.provider === 'string' ? opts.provider : 'stripe') as Provider;
    if (!(PROVIDERS as readonly string[]).includes(provider)) {
      console.error(`--provider must be one of ${PROVIDERS.join(', ')}`);
      return 2;
    }
    const limit = Math.min(500, Math.max(1, Number(opts.limit ?? 50) || 50));
    const a = await ctx.services.payments.paymentAudit(provider);
    console.log(`provider=${provider} total_events=${a.total}`);
    console.log(`unminted_events=${a.unminted.length}`);
    if (opts.show === true) for (const r of a.unminted.slice(0, limit)) console.log(`- id=${r.id} provider_event_id=${r.providerEventId} status=${r.status} amount_cents=${r.amountCents} currency=${r.currency}`);
    return 0;
  },
};
