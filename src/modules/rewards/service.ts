// The rewards module's rules, as one service: linking, the GitHub webhook, adjustments, reads,
// payout status, snapshots and the figures other modules (community summary) may show.
import { and, desc, eq, gt, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { RewardsErrors } from './errors.js';
import { olderThan, type Keyset } from '../../platform/http/pagination.js';
import { contributorProfiles, rewardEvents, rewardPayouts, rewardSnapshots, type PayoutRow, type SnapshotRow } from './schema.js';
import { createLedger } from './ledger.js';
import { runSnapshot, verifySnapshot, type SnapshotOptions } from './snapshot.js';
import type { Period } from './calc.js';

// What the reward commands need, exported here so nothing outside the module imports its private files.
export { ADJUSTMENT_TYPES, parseIntArg, parsePeriod, type AdjustmentType } from './calc.js';
export { SnapshotError } from './snapshot.js';

export const PAYOUT_STATUSES = ['pending', 'processing', 'paid', 'canceled'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];
const NEXT: Record<string, string[]> = { pending: ['processing', 'canceled'], processing: ['paid', 'canceled'], paid: [], canceled: [] };

export function createRewardsService(ctx: Ctx) {
  const ledger = createLedger(ctx);

  /** Called by GitHub sign-in: links the login unless it (or the account) is linked elsewhere. */
  async function linkGithubLogin(userId: number, login: string): Promise<boolean> {
    try {
      await ledger.link(userId, login, { source: 'github_sign_in' });
      return true;
    } catch (err) {
      ctx.log.warn({ userId, err: err instanceof Error ? err.message : String(err) }, 'GitHub login not linked to rewards contributor');
      return false;
    }
  }

  async function listEvents(userId: number, opts: { cursor: Keyset | null; limit: number }) {
    return ctx.db
      .select({ e: rewardEvents, c: contributorProfiles })
      .from(rewardEvents)
      .innerJoin(contributorProfiles, eq(contributorProfiles.id, rewardEvents.contributorId))
      .where(and(eq(contributorProfiles.userId, userId), olderThan(rewardEvents.createdAt, rewardEvents.id, opts.cursor)))
      .orderBy(desc(rewardEvents.createdAt), desc(rewardEvents.id))
      .limit(opts.limit + 1);
  }

  async function getEvent(userId: number, id: number) {
    const [r] = await ctx.db
      .select({ e: rewardEvents, c: contributorProfiles })
      .from(rewardEvents)
      .innerJoin(contributorProfiles, eq(contributorProfiles.id, rewardEvents.contributorId))
      .where(and(eq(rewardEvents.id, id), eq(contributorProfiles.userId, userId)))
      .limit(1);
    return r ?? null;
  }

  const payoutSelect = () =>
    ctx.db
      .select({ p: rewardPayouts, period: rewardSnapshots.period, disputeEnds: rewardSnapshots.disputeWindowEndsAt })
      .from(rewardPayouts)
      .innerJoin(rewardSnapshots, eq(rewardSnapshots.id, rewardPayouts.snapshotId))
      .innerJoin(contributorProfiles, eq(contributorProfiles.id, rewardPayouts.contributorId));

  async function listPayouts(userId: number, opts: { cursor: Keyset | null; limit: number }) {
    return payoutSelect()
      .where(and(eq(contributorProfiles.userId, userId), olderThan(rewardPayouts.createdAt, rewardPayouts.id, opts.cursor)))
      .orderBy(desc(rewardPayouts.createdAt), desc(rewardPayouts.id))
      .limit(opts.limit + 1);
  }

  async function getPayout(id: number, userId: number | null) {
    const [r] = await payoutSelect()
      .where(and(eq(rewardPayouts.id, id), userId === null ? undefined : eq(contributorProfiles.userId, userId)))
      .limit(1);
    return r ?? null;
  }

  /** Staff only (the route says so): along pending → processing → paid, or → canceled, once the dispute window is over. */
  async function setPayoutStatus(id: number, status: PayoutStatus, actor: { id: number; ip: string | null }, note = '') {
    return ctx.db.transaction(async (tx) => {
      const [row] = await tx
        .select({ p: rewardPayouts, disputeEnds: rewardSnapshots.disputeWindowEndsAt, period: rewardSnapshots.period })
        .from(rewardPayouts)
        .innerJoin(rewardSnapshots, eq(rewardSnapshots.id, rewardPayouts.snapshotId))
        .where(eq(rewardPayouts.id, id))
        .for('update', { of: rewardPayouts })
        .limit(1);
      if (!row) throw RewardsErrors.payoutNotFound();
      const from = row.p.status;
      if (from === status) return { ...row, changed: false };
      if (!NEXT[from]?.includes(status)) throw RewardsErrors.invalidTransition(`A ${from} payout cannot become ${status}.`);
      if (from === 'pending' && Date.now() < row.disputeEnds.getTime()) throw RewardsErrors.disputeWindowOpen(`The dispute window for ${row.period} is open until ${row.disputeEnds.toISOString()}; payouts stay pending until then.`);
      const history = Array.isArray(row.p.metadata.status_history) ? (row.p.metadata.status_history as unknown[]) : [];
      const metadata = { ...row.p.metadata, status_history: [...history, { from, to: status, at: new Date().toISOString(), by: actor.id, ...(note ? { note } : {}) }] };
      const [p] = await tx.update(rewardPayouts).set({ status, metadata, updatedAt: new Date() }).where(eq(rewardPayouts.id, id)).returning();
      await ctx.services.audit.record(
        { actorId: actor.id, actorIp: actor.ip, action: 'rewards.payout.status_changed', objectType: 'reward_payout', objectId: id, metadata: { from, to: status, period: row.period, amount_cents: row.p.amountCents, contributor_id: row.p.contributorId, ...(note ? { note } : {}) } },
        tx,
      );
      return { p: p as PayoutRow, disputeEnds: row.disputeEnds, period: row.period, changed: true };
    });
  }

  /** Staff tools: a snapshot's payouts with the contributor's login, largest first. */
  async function payoutsOfSnapshot(snapshotId: number, limit = 200) {
    return ctx.db
      .select({ p: rewardPayouts, login: contributorProfiles.githubUsername, userId: contributorProfiles.userId })
      .from(rewardPayouts)
      .innerJoin(contributorProfiles, eq(contributorProfiles.id, rewardPayouts.contributorId))
      .where(eq(rewardPayouts.snapshotId, snapshotId))
      .orderBy(desc(rewardPayouts.amountCents), rewardPayouts.id)
      .limit(limit);
  }

  async function listSnapshots(opts: { cursor: Keyset | null; limit: number }) {
    return ctx.db.select().from(rewardSnapshots).where(olderThan(rewardSnapshots.createdAt, rewardSnapshots.id, opts.cursor)).orderBy(desc(rewardSnapshots.createdAt), desc(rewardSnapshots.id)).limit(opts.limit + 1);
  }

  async function allSnapshots(): Promise<SnapshotRow[]> {
    return ctx.db.select().from(rewardSnapshots).orderBy(desc(rewardSnapshots.period));
  }

  async function getSnapshot(id: number) {
    const [s] = await ctx.db.select().from(rewardSnapshots).where(eq(rewardSnapshots.id, id)).limit(1);
    return s ?? null;
  }

  async function snapshotByPeriod(period: string) {
    const [s] = await ctx.db.select().from(rewardSnapshots).where(eq(rewardSnapshots.period, period)).limit(1);
    return s ?? null;
  }

  /** Figures for the community summary, straight from the snapshots and the ledger. */
  async function publicFigures() {
    const [totals] = await ctx.db
      .select({ revenue: sql<number>`coalesce(sum(${rewardSnapshots.revenueCents}), 0)`, costs: sql<number>`coalesce(sum(${rewardSnapshots.costsCents}), 0)`, pool: sql<number>`coalesce(sum(${rewardSnapshots.contributorPoolCents}), 0)` })
      .from(rewardSnapshots);
    const [contributors] = await ctx.db.select({ n: sql<number>`count(distinct ${rewardEvents.contributorId})` }).from(rewardEvents).where(gt(rewardEvents.points, 0));
    const [latest] = await ctx.db.select().from(rewardSnapshots).orderBy(desc(rewardSnapshots.period)).limit(1);
    let preview: { github_username: string | null; points: number; amount_cents: number }[] = [];
    if (latest) {
      const rows = await ctx.db
        .select({ login: contributorProfiles.githubUsername, points: rewardPayouts.points, amount: rewardPayouts.amountCents })
        .from(rewardPayouts)
        .innerJoin(contributorProfiles, eq(contributorProfiles.id, rewardPayouts.contributorId))
        .where(eq(rewardPayouts.snapshotId, latest.id))
        .orderBy(desc(rewardPayouts.amountCents), rewardPayouts.contributorId)
        .limit(10);
      preview = rows.map((r) => ({ github_username: r.login, points: Number(r.points), amount_cents: Number(r.amount) }));
    }
    return { revenueCents: Number(totals?.revenue ?? 0), costsCents: Number(totals?.costs ?? 0), poolCents: Number(totals?.pool ?? 0), contributors: Number(contributors?.n ?? 0), latestPeriod: latest?.period ?? null, preview };
  }

  return {
    linkGithubLogin,
    link: ledger.link,
    githubDelivery: ledger.githubDelivery,
    adjust: ledger.adjust,
    contributorByUser: ledger.contributorByUser,
    contributorsByIds: ledger.contributorsByIds,
    listEvents,
    getEvent,
    listPayouts,
    payoutsOfSnapshot,
    getPayout,
    setPayoutStatus,
    listSnapshots,
    allSnapshots,
    getSnapshot,
    snapshotByPeriod,
    publicFigures,
    snapshot: (o: SnapshotOptions) => runSnapshot(ctx, o),
    verify: (p: Period) => verifySnapshot(ctx, p),
  };
}

export type RewardsService = ReturnType<typeof createRewardsService>;
