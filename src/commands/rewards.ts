// Reward commands: the monthly snapshot, its verification, linking and staff corrections.
import path from 'node:path';
import type { Command } from './index.js';
import { parseArgs } from './index.js';
import { ApiError } from '../platform/http/errors.js';
import { ADJUSTMENT_TYPES, PAYOUT_STATUSES, SnapshotError, parseIntArg, parsePeriod, type AdjustmentType, type PayoutStatus } from '../modules/rewards/service.js';

const MAX_CENTS = 10n ** 15n;

function fail(msg: string, code = 2): number {
  console.error(msg);
  return code;
}

function apiMessage(err: unknown): string {
  if (err instanceof ApiError) return JSON.stringify(err.body);
  return err instanceof Error ? err.message : String(err);
}

async function staffActor(ctx: Parameters<Command['run']>[0], by: string | true | undefined): Promise<number | null | string> {
  if (by === undefined) return null;
  if (by === true) return 'the value of --by is missing';
  const u = await ctx.services.users.findByEmail(by);
  if (!u || !u.isStaff) return `--by ${by} is not a staff account`;
  return u.id;
}

export const rewardsSnapshot: Command = {
  help: 'rewards-snapshot --month YYYY-MM --revenue-cents N --costs-cents N [--pool-percent 50] [--dry-run] [--output DIR]: writes snapshot.csv + manifest.json, prints the ledger hash',
  async run(ctx, args) {
    const { opts } = parseArgs(args);
    const p = typeof opts.month === 'string' ? parsePeriod(opts.month) : null;
    if (!p) return fail(`--month must be a month like 2026-01 (got ${String(opts.month ?? 'nothing')})`);
    if (p.start.getTime() > Date.now()) return fail(`${p.period} has not started yet`);
    const revenue = parseIntArg(opts['revenue-cents'] ?? '0', { min: 0n, max: MAX_CENTS });
    if (revenue === null) return fail('--revenue-cents must be a whole number of cents, 0 or more');
    const costs = parseIntArg(opts['costs-cents'] ?? '0', { min: 0n, max: MAX_CENTS });
    if (costs === null) return fail('--costs-cents must be a whole number of cents, 0 or more');
    const pct = parseIntArg(opts['pool-percent'] ?? '50', { min: 0n, max: 100n });
    if (pct === null) return fail('--pool-percent must be a whole number from 0 to 100');
    if (opts.output === true) return fail('--output needs a directory');
    const by = await staffActor(ctx, opts.by);
    if (typeof by === 'string') return fail(by);
    try {
      const r = await ctx.services.rewards.snapshot({
        period: p,
        revenueCents: revenue,
        costsCents: costs,
        poolPercent: pct,
        dryRun: opts['dry-run'] === true,
        outputDir: typeof opts.output === 'string' ? path.resolve(opts.output) : null,
        actorId: by,
      });
      const m = r.manifest as Record<string, unknown>;
      console.log(`Ledger hash: ${r.ledgerHash}`);
      console.log(`CSV SHA-256: ${r.csvSha256}`);
      console.log(`Period ${p.period}: ${String(m.total_events)} events, ${String(m.total_points)} points, pool ${String(m.contributor_pool_cents)} cents (${pct}% of max(${revenue} - ${costs}, 0))`);
      for (const x of [...r.payouts].sort((a, b) => (a.amountCents === b.amountCents ? a.contributorId - b.contributorId : a.amountCents > b.amountCents ? -1 : 1)).slice(0, 20)) {
        console.log(`  contributor ${x.contributorId}${x.githubUsername ? ` (${x.githubUsername})` : ''}: ${x.points} points → ${x.amountCents} cents`);
      }
      if (r.payouts.length > 20) console.log(`  … ${r.payouts.length - 20} more in manifest.json`);
      console.log(`Files: ${r.files.csv} ${r.files.manifest}`);
      console.log(r.snapshot ? `Snapshot ${r.snapshot.id} saved; payouts pending until ${r.snapshot.disputeWindowEndsAt.toISOString()}` : 'Dry run: nothing saved');
      return 0;
    } catch (err) {
      if (err instanceof SnapshotError) return fail(err.message, 1);
      throw err;
    }
  },
};

export const rewardsVerify: Command = {
  help: 'rewards-verify --month YYYY-MM: recomputes the ledger hash (and CSV hash) of a saved month; exit 0 only when they match',
  async run(ctx, args) {
    const { opts } = parseArgs(args);
    const p = typeof opts.month === 'string' ? parsePeriod(opts.month) : null;
    if (!p) return fail(`--month must be a month like 2026-01 (got ${String(opts.month ?? 'nothing')})`);
    const r = await ctx.services.rewards.verify(p);
    if (!r.snapshot) return fail(`no snapshot for ${p.period}`, 1);
    console.log(`Ledger hash: ${r.ledgerHash}`);
    console.log(`stored:      ${r.snapshot.ledgerHash}`);
    console.log(`CSV SHA-256: ${r.csvSha256} (stored ${r.snapshot.csvSha256}; published file ${r.fileOk === null ? 'absent' : r.fileOk ? 'matches' : 'DIFFERS'})`);
    if (r.ok) {
      console.log(`${p.period}: OK`);
      return 0;
    }
    console.error(`${p.period}: MISMATCH`);
    return 1;
  },
};

export const rewardsLink: Command = {
  help: 'rewards-link --user <email|id> --github <username> [--by staff-email]: links a GitHub username to an account',
  async run(ctx, args) {
    const { opts } = parseArgs(args);
    if (typeof opts.user !== 'string' || typeof opts.github !== 'string') return fail('usage: selflink rewards-link --user <email|id> --github <username>');
    const user = /^\d+$/.test(opts.user) ? await ctx.services.users.getById(Number(opts.user)) : await ctx.services.users.findByEmail(opts.user);
    if (!user) return fail(`no user ${opts.user}`, 1);
    const by = await staffActor(ctx, opts.by);
    if (typeof by === 'string') return fail(by);
    try {
      const { contributor, created } = await ctx.services.rewards.link(user.id, opts.github, { actorId: by, source: 'command' });
      console.log(`${created ? 'linked' : 'already linked'}: user ${user.id} ↔ GitHub ${contributor.githubUsername} (contributor ${contributor.id})`);
      return 0;
    } catch (err) {
      return fail(apiMessage(err), 1);
    }
  },
};

export const rewardsAdjust: Command = {
  help: 'rewards-adjust --github <username>|--user <id>|--contributor <id> --type manual_adjustment|bonus|penalty --points N --reason TEXT [--reference R] [--by staff-email]',
  async run(ctx, args) {
    const { opts } = parseArgs(args);
    const type = opts.type;
    if (typeof type !== 'string' || !(ADJUSTMENT_TYPES as readonly string[]).includes(type)) return fail(`--type must be one of ${ADJUSTMENT_TYPES.join(', ')}`);
    const points = parseIntArg(opts.points, { min: -1_000_000n, max: 1_000_000n });
    if (points === null || points === 0n) return fail('--points must be a non-zero integer');
    if (typeof opts.reason !== 'string' || !opts.reason.trim()) return fail('--reason is required');
    const targets = ['github', 'user', 'contributor'].filter((k) => typeof opts[k] === 'string');
    if (targets.length !== 1) return fail('give exactly one of --github, --user, --contributor');
    const by = await staffActor(ctx, opts.by);
    if (typeof by === 'string') return fail(by);
    const num = (v: unknown) => (typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : -1);
    try {
      const { event } = await ctx.services.rewards.adjust({
        actorId: by,
        eventType: type as AdjustmentType,
        points: Number(points),
        reason: opts.reason,
        reference: typeof opts.reference === 'string' ? opts.reference : undefined,
        githubUsername: typeof opts.github === 'string' ? opts.github : undefined,
        userId: typeof opts.user === 'string' ? num(opts.user) : undefined,
        contributorId: typeof opts.contributor === 'string' ? num(opts.contributor) : undefined,
      });
      console.log(`recorded ${event.eventType} ${event.points} points as event ${event.id} (${event.occurredAt.toISOString()})`);
      return 0;
    } catch (err) {
      return fail(apiMessage(err), 1);
    }
  },
};

export const rewardsPayout: Command = {
  help: 'rewards-payout --id N --status processing|paid|canceled --by staff-email [--note TEXT]: moves a payout once its dispute window has ended',
  async run(ctx, args) {
    const { opts } = parseArgs(args);
    const id = typeof opts.id === 'string' && /^\d{1,15}$/.test(opts.id) ? Number(opts.id) : null;
    if (id === null) return fail('--id must be a payout id');
    if (typeof opts.status !== 'string' || !(PAYOUT_STATUSES as readonly string[]).includes(opts.status)) return fail(`--status must be one of ${PAYOUT_STATUSES.join(', ')}`);
    const by = await staffActor(ctx, opts.by ?? true);
    if (typeof by === 'string') return fail(by);
    try {
      const r = await ctx.services.rewards.setPayoutStatus(id, opts.status as PayoutStatus, { id: by!, ip: null }, typeof opts.note === 'string' ? opts.note : '');
      console.log(`payout ${id}: ${r.p.status}`);
      return 0;
    } catch (err) {
      return fail(apiMessage(err), 1);
    }
  },
};
