// Admin commands: one-shot tasks run as `selflink <command>`.
import type { Ctx } from '../context.js';
import { bootstrapAdmin } from './bootstrap-admin.js';
import { seedDemo } from './seed-demo.js';
import { loadFixtures } from './load-fixtures.js';
import { setPassword, flagsCommand } from './accounts.js';
import { verifyAudit } from './verify-audit.js';
import { storageStatus } from './storage-status.js';
import { searchReindex } from './search-reindex.js';
import { seedSoulmatch } from './seed-soulmatch.js';
import { seedGiftTypes } from './seed-gift-types.js';
import { coinBackfillAccounts, coinInvariantCheck, coinPaymentAudit, coinSnapshot } from './coin.js';
import { backup, restore } from './backup.js';
import { doctor } from './doctor.js';
import { rewardsAdjust, rewardsLink, rewardsPayout, rewardsSnapshot, rewardsVerify } from './rewards.js';

export interface Command {
  help: string;
  /** Longer `--help` text (options); `selflink <command> --help` prints it and exits 0. */
  usage?: string;
  /** false: the command runs without applying migrations first (doctor reports them instead). */
  migrate?: boolean;
  run(ctx: Ctx, args: string[]): Promise<number | void>;
}

export const commands: Record<string, Command> = {
  'bootstrap-admin': bootstrapAdmin,
  'seed-demo': seedDemo,
  'load-fixtures': loadFixtures,
  'set-password': setPassword,
  flags: flagsCommand,
  'verify-audit': verifyAudit,
  'storage-status': storageStatus,
  'search-reindex': searchReindex,
  'seed-soulmatch': seedSoulmatch,
  'seed-gift-types': seedGiftTypes,
  'coin-invariant-check': coinInvariantCheck,
  'coin-snapshot': coinSnapshot,
  'coin-backfill-accounts': coinBackfillAccounts,
  'coin-payment-audit': coinPaymentAudit,
  backup,
  restore,
  doctor,
  'rewards-snapshot': rewardsSnapshot,
  'rewards-verify': rewardsVerify,
  'rewards-link': rewardsLink,
  'rewards-adjust': rewardsAdjust,
  'rewards-payout': rewardsPayout,
};

/** Parses `--name value` and `--flag` options. */
export function parseArgs(args: string[]): { opts: Record<string, string | true>; rest: string[] } {
  const opts: Record<string, string | true> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2);
      if (v !== undefined) opts[k] = v;
      else if (args[i + 1] !== undefined && !args[i + 1].startsWith('--')) opts[k] = args[++i];
      else opts[k] = true;
    } else rest.push(a);
  }
  return { opts, rest };
}
