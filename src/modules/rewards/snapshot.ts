// The one monthly calculator. Streams the month's events in (occurred_at, id) order in batches,
// hashing and writing the CSV as it goes: memory holds one batch and one total per contributor.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { and, asc, eq, gte, inArray, lt, lte, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { DbOrTx } from '../../platform/db/index.js';
import { contributorProfiles, rewardEvents, rewardPayouts, rewardSnapshots, type SnapshotRow } from './schema.js';
import { allocate, CSV_HEADER, disputeWindowEnd, ledgerRow, poolCents, pyIso, pyJson, type Period } from './calc.js';
import { SNAPSHOT_LOCK } from './ledger.js';

const BATCH = 10_000;

export interface MonthTotals {
  ledgerHash: string;
  csvSha256: string;
  totalEvents: number;
  lastEventId: number;
  perContributor: Map<number, bigint>;
}

/** Streams the month's events (those with id ≤ cutoff) into the hash and, when given, a CSV file. */
export async function computeMonth(db: DbOrTx, p: Period, cutoff: number, csvPath: string | null): Promise<MonthTotals> {
  const ledger = createHash('sha256');
  const csv = createHash('sha256');
  const fh = csvPath ? await fs.promises.open(csvPath, 'w') : null;
  const perContributor = new Map<number, bigint>();
  let totalEvents = 0;
  let after: { t: string; id: number } | null = null;
  try {
    const head = CSV_HEADER + '\r\n';
    csv.update(head);
    if (fh) await fh.write(head);
    for (;;) {
      const rows: { id: number; contributorId: number; eventType: string; points: number; occurredAt: Date; reference: string; metadata: Record<string, unknown> }[] = await db
        .select({
          id: rewardEvents.id,
          contributorId: rewardEvents.contributorId,
          eventType: rewardEvents.eventType,
          points: rewardEvents.points,
          occurredAt: rewardEvents.occurredAt,
          reference: rewardEvents.reference,
          metadata: rewardEvents.metadata,
        })
        .from(rewardEvents)
        .where(
          and(
            gte(rewardEvents.occurredAt, p.start),
            lt(rewardEvents.occurredAt, p.end),
            lte(rewardEvents.id, cutoff),
            after ? sql`(${rewardEvents.occurredAt}, ${rewardEvents.id}) > (${after.t}::timestamptz, ${after.id})` : undefined,
          ),
        )
        .orderBy(asc(rewardEvents.occurredAt), asc(rewardEvents.id))
        .limit(BATCH);
      if (!rows.length) break;
      let chunk = '';
      for (const r of rows) {
        const line = ledgerRow(r);
        ledger.update(line.json);
        chunk += line.csv;
        perContributor.set(r.contributorId, (perContributor.get(r.contributorId) ?? 0n) + BigInt(r.points));
      }
      csv.update(chunk);
      if (fh) await fh.write(chunk);
      totalEvents += rows.length;
      const last = rows[rows.length - 1];
      after = { t: last.occurredAt.toISOString(), id: last.id };
      if (rows.length < BATCH) break;
    }
  } finally {
    await fh?.close();
  }
  return { ledgerHash: ledger.digest('hex'), csvSha256: csv.digest('hex'), totalEvents, lastEventId: cutoff, perContributor };
}

export interface SnapshotOptions {
  period: Period;
  revenueCents: bigint;
  costsCents: bigint;
  poolPercent: bigint;
  dryRun: boolean;
  outputDir: string | null;
  actorId?: number | null;
}

export interface SnapshotResult {
  manifest: Record<string, unknown>;
  ledgerHash: string;
  csvSha256: string;
  files: { csv: string; manifest: string };
  snapshot: SnapshotRow | null;
  payouts: { contributorId: number; githubUsername: string | null; points: bigint; amountCents: bigint }[];
}

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

export const publishedDir = (ctx: Ctx, period: string) => path.join(ctx.config.dataDir, 'rewards', period);

async function maxEventId(db: DbOrTx): Promise<number> {
  const [r] = await db.select({ m: sql<number | null>`max(${rewardEvents.id})` }).from(rewardEvents);
  return Number(r?.m ?? 0);
}

/**
 * Computes a month and writes `snapshot.csv` + `manifest.json` to the output directory. A real run
 * also stores the snapshot and its pending payouts (refused when the month exists) and publishes
 * the files under DATA_DIR/rewards/<period>/ for /rewards/<period>.csv.
 */
export async function runSnapshot(ctx: Ctx, o: SnapshotOptions): Promise<SnapshotResult> {
  const rewardsDir = path.join(ctx.config.dataDir, 'rewards');
  const work = path.join(rewardsDir, `.work-${o.period.period}-${process.pid}-${Date.now()}`);
  fs.mkdirSync(work, { recursive: true });
  try {
    const body = async (db: DbOrTx) => {
      if (!o.dryRun) {
        await db.execute(sql`select pg_advisory_xact_lock(${SNAPSHOT_LOCK})`);
        const [exists] = await db.select({ id: rewardSnapshots.id }).from(rewardSnapshots).where(eq(rewardSnapshots.period, o.period.period)).limit(1);
        if (exists) throw new SnapshotError(`a snapshot for ${o.period.period} already exists; snapshots are immutable`);
      }
      const cutoff = await maxEventId(db);
      const totals = await computeMonth(db, o.period, cutoff, path.join(work, 'snapshot.csv'));
      const pool = poolCents(o.revenueCents, o.costsCents, o.poolPercent);
      const ids = [...totals.perContributor.keys()].sort((a, b) => a - b);
      const { amounts, totalPoints } = allocate(
        pool,
        ids.map((id) => ({ id, points: totals.perContributor.get(id)! })),
      );
      const names = new Map<number, string | null>();
      for (let i = 0; i < ids.length; i += 5000) {
        const slice = ids.slice(i, i + 5000);
        for (const c of await db.select({ id: contributorProfiles.id, login: contributorProfiles.githubUsername }).from(contributorProfiles).where(inArray(contributorProfiles.id, slice))) names.set(c.id, c.login);
      }
      const payouts = ids.map((id) => ({ contributorId: id, githubUsername: names.get(id) ?? null, points: totals.perContributor.get(id)!, amountCents: amounts.get(id)! }));
      const disputeEnds = disputeWindowEnd(o.period);
      const manifest = {
        period: o.period.period,
        ledger_hash: totals.ledgerHash,
        csv_sha256: totals.csvSha256,
        revenue_cents: o.revenueCents,
        costs_cents: o.costsCents,
        pool_percent: o.poolPercent,
        contributor_pool_cents: pool,
        total_points: totalPoints,
        total_events: totals.totalEvents,
        last_event_id: cutoff,
        dispute_window_ends_at: pyIso(disputeEnds),
        allocation: 'largest remainder over contributors with positive points; ties to the lower contributor id',
        payouts: payouts.map((p) => ({ contributor_id: p.contributorId, github_username: p.githubUsername, points: p.points, amount_cents: p.amountCents })),
      };
      fs.writeFileSync(path.join(work, 'manifest.json'), pyJson(manifest, 2) + '\n');
      let snapshot: SnapshotRow | null = null;
      if (!o.dryRun) {
        [snapshot] = await db
          .insert(rewardSnapshots)
          .values({
            period: o.period.period,
            revenueCents: Number(o.revenueCents),
            costsCents: Number(o.costsCents),
            poolPercent: Number(o.poolPercent),
            contributorPoolCents: Number(pool),
            totalPoints: Number(totalPoints),
            totalEvents: totals.totalEvents,
            ledgerHash: totals.ledgerHash,
            csvSha256: totals.csvSha256,
            lastEventId: cutoff,
            disputeWindowEndsAt: disputeEnds,
            createdBy: o.actorId ?? null,
          })
          .returning();
        for (let i = 0; i < payouts.length; i += 2000) {
          await db.insert(rewardPayouts).values(
            payouts.slice(i, i + 2000).map((p) => ({
              snapshotId: snapshot!.id,
              contributorId: p.contributorId,
              points: Number(p.points),
              amountCents: Number(p.amountCents),
              metadata: { github_username: p.githubUsername },
            })),
          );
        }
        await ctx.services.audit.record(
          {
            actorId: o.actorId ?? null,
            action: 'rewards.snapshot.created',
            objectType: 'reward_snapshot',
            objectId: snapshot.id,
            metadata: { period: o.period.period, ledger_hash: totals.ledgerHash, csv_sha256: totals.csvSha256, contributor_pool_cents: Number(pool), total_points: Number(totalPoints), total_events: totals.totalEvents, payouts: payouts.length },
          },
          db,
        );
        // Publish before commit: a failure here rolls the snapshot back.
        const dest = publishedDir(ctx, o.period.period);
        fs.rmSync(dest, { recursive: true, force: true });
        fs.mkdirSync(dest, { recursive: true });
        fs.copyFileSync(path.join(work, 'snapshot.csv'), path.join(dest, 'snapshot.csv'));
        fs.copyFileSync(path.join(work, 'manifest.json'), path.join(dest, 'manifest.json'));
      }
      return { manifest, totals, snapshot, payouts };
    };
    const r = o.dryRun ? await body(ctx.db) : await ctx.db.transaction((tx) => body(tx));
    const out = o.outputDir ?? (o.dryRun ? path.join(rewardsDir, 'dry-run', o.period.period) : publishedDir(ctx, o.period.period));
    fs.mkdirSync(out, { recursive: true });
    const files = { csv: path.join(out, 'snapshot.csv'), manifest: path.join(out, 'manifest.json') };
    if (path.resolve(out) !== path.resolve(publishedDir(ctx, o.period.period)) || o.dryRun) {
      fs.copyFileSync(path.join(work, 'snapshot.csv'), files.csv);
      fs.copyFileSync(path.join(work, 'manifest.json'), files.manifest);
    }
    return { manifest: r.manifest, ledgerHash: r.totals.ledgerHash, csvSha256: r.totals.csvSha256, files, snapshot: r.snapshot, payouts: r.payouts };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Recomputes a stored month from the ledger; ok only when both hashes match. */
export async function verifySnapshot(ctx: Ctx, period: Period): Promise<{ snapshot: SnapshotRow | null; ledgerHash: string | null; csvSha256: string | null; ok: boolean; fileOk: boolean | null }> {
  const [snap] = await ctx.db.select().from(rewardSnapshots).where(eq(rewardSnapshots.period, period.period)).limit(1);
  if (!snap) return { snapshot: null, ledgerHash: null, csvSha256: null, ok: false, fileOk: null };
  const totals = await computeMonth(ctx.db, period, snap.lastEventId, null);
  const file = path.join(publishedDir(ctx, period.period), 'snapshot.csv');
  let fileOk: boolean | null = null;
  if (fs.existsSync(file)) {
    const h = createHash('sha256');
    for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
    fileOk = h.digest('hex') === snap.csvSha256;
  }
  const ok = totals.ledgerHash === snap.ledgerHash && totals.csvSha256 === snap.csvSha256 && fileOk !== false;
  return { snapshot: snap, ledgerHash: totals.ledgerHash, csvSha256: totals.csvSha256, ok, fileOk };
}
