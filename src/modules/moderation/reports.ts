// Reports: a reporter's own (filed, listed, reworded, withdrawn), the staff queue (audited changes) and
// the automatic flags the banned-word list files.
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { DbOrTx } from '../../platform/db/index.js';
import { olderThan, paginate, type Keyset } from '../../platform/http/pagination.js';
import { reports, type ReportRow } from './schema.js';
import { bannedWordMatcher } from './words.js';
import { ModerationErrors } from './errors.js';
import { AUTO_FLAG_REASON, PENDING, type Actor, type ReportStatus, type TargetType } from './vocabulary.js';
import type { Targets } from './targets.js';

const reportMissing = () => ModerationErrors.reportNotFound();

export function createReports(ctx: Ctx, targets: Targets) {
  const matchBanned = bannedWordMatcher(ctx.config.moderation.bannedWords);
  const audit = () => ctx.services.audit;
  const { checkTarget, checkVisibleTarget } = targets;

  /**
   * Files a report. A second report by the same reporter on a target that still has a pending
   * (open or in_review) report returns that report instead (created: false), so retries and
   * double taps are harmless; the unique index makes it race-free.
   */
  async function fileReport(reporterId: number, input: { target_type: TargetType; target_id: number; reason: string }, source: 'user' | 'staff' = 'user', notes = '') {
    const owner = source === 'user' ? await checkVisibleTarget(input.target_type, input.target_id, reporterId) : await checkTarget(input.target_type, input.target_id);
    if (owner === reporterId && source === 'user') throw ModerationErrors.cannotReportSelf();
    const [row] = await ctx.db
      .insert(reports)
      .values({ reporterId, targetType: input.target_type, targetId: input.target_id, reason: input.reason, source, notes })
      .onConflictDoNothing()
      .returning();
    if (row) return { row, created: true };
    const [existing] = await ctx.db
      .select()
      .from(reports)
      .where(and(eq(reports.reporterId, reporterId), eq(reports.targetType, input.target_type), eq(reports.targetId, input.target_id), inArray(reports.status, PENDING)))
      .limit(1);
    if (!existing) throw ModerationErrors.reportConflict();
    return { row: existing, created: false };
  }

  async function listReports(opts: { reporterId?: number; status?: ReportStatus; cursor: Keyset | null; limit: number }) {
    const rows = await ctx.db
      .select()
      .from(reports)
      .where(
        and(
          opts.reporterId !== undefined ? eq(reports.reporterId, opts.reporterId) : undefined,
          opts.status ? eq(reports.status, opts.status) : undefined,
          olderThan(reports.createdAt, reports.id, opts.cursor),
        ),
      )
      .orderBy(desc(reports.createdAt), desc(reports.id))
      .limit(opts.limit + 1);
    return paginate(rows, opts.limit);
  }

  async function getReport(id: number, reporterId?: number, tx: DbOrTx = ctx.db): Promise<ReportRow> {
    const [row] = await tx
      .select()
      .from(reports)
      .where(and(eq(reports.id, id), reporterId !== undefined ? eq(reports.reporterId, reporterId) : undefined))
      .limit(1);
    if (!row) throw reportMissing();
    return row;
  }

  const notOpen = () => ModerationErrors.reportNotOpen();

  async function updateOwnReason(reporterId: number, id: number, reason: string | undefined): Promise<ReportRow> {
    if (reason === undefined) return getReport(id, reporterId);
    const [row] = await ctx.db
      .update(reports)
      .set({ reason, updatedAt: new Date() })
      .where(and(eq(reports.id, id), eq(reports.reporterId, reporterId), eq(reports.status, 'open')))
      .returning();
    if (row) return row;
    await getReport(id, reporterId);
    throw notOpen();
  }

  /** A reporter may withdraw a report while it is still open. */
  async function withdraw(reporterId: number, id: number) {
    const rows = await ctx.db
      .delete(reports)
      .where(and(eq(reports.id, id), eq(reports.reporterId, reporterId), eq(reports.status, 'open')))
      .returning({ id: reports.id });
    if (rows.length) return;
    await getReport(id, reporterId);
    throw notOpen();
  }

  // ---- staff ----

  async function staffCreateReport(actor: Actor, input: { target_type: TargetType; target_id: number; reason: string; notes?: string }) {
    const res = await fileReport(actor.id, input, 'staff', input.notes ?? '');
    if (res.created) {
      await audit().record({ actorId: actor.id, actorIp: actor.ip, action: 'moderation.report.created', objectType: 'report', objectId: res.row.id, metadata: { target_type: input.target_type, target_id: input.target_id } });
    }
    return res;
  }

  /** Status/notes changes by staff; each change is audited in the same transaction. */
  async function staffUpdateReport(actor: Actor, id: number, patch: { status?: ReportStatus; notes?: string }): Promise<ReportRow> {
    return ctx.db.transaction(async (tx) => {
      const [before] = await tx.select().from(reports).where(eq(reports.id, id)).for('update').limit(1);
      if (!before) throw reportMissing();
      const set: Partial<typeof reports.$inferInsert> = {};
      if (patch.status !== undefined && patch.status !== before.status) set.status = patch.status;
      if (patch.notes !== undefined && patch.notes !== before.notes) set.notes = patch.notes;
      if (!Object.keys(set).length) return before;
      const [row] = await tx
        .update(reports)
        .set({ ...set, updatedAt: new Date() })
        .where(eq(reports.id, id))
        .returning();
      const metadata: Record<string, unknown> = { target_type: row.targetType, target_id: row.targetId };
      if (set.status) Object.assign(metadata, { status_from: before.status, status_to: row.status });
      if (set.notes !== undefined) metadata.notes_changed = true;
      await audit().record({ actorId: actor.id, actorIp: actor.ip, action: set.status ? 'moderation.report.status_changed' : 'moderation.report.updated', objectType: 'report', objectId: id, metadata }, tx);
      return row;
    });
  }

  async function staffDeleteReport(actor: Actor, id: number) {
    await ctx.db.transaction(async (tx) => {
      const [row] = await tx.delete(reports).where(eq(reports.id, id)).returning();
      if (!row) throw reportMissing();
      await audit().record(
        { actorId: actor.id, actorIp: actor.ip, action: 'moderation.report.deleted', objectType: 'report', objectId: id, metadata: { target_type: row.targetType, target_id: row.targetId, status: row.status } },
        tx,
      );
    });
  }

  // ---- automatic flagging ----

  /** Files a system report (no reporter) when `text` contains a banned word; one pending per target. */
  async function autoFlag(targetType: TargetType, targetId: number, text: string): Promise<ReportRow | null> {
    const word = matchBanned(text);
    if (!word) return null;
    const [row] = await ctx.db
      .insert(reports)
      .values({ reporterId: null, source: 'auto', targetType, targetId, reason: AUTO_FLAG_REASON, notes: `matched "${word}": ${text.slice(0, 200)}` })
      .onConflictDoNothing()
      .returning();
    return row ?? null;
  }

  return { fileReport, listReports, getReport, updateOwnReason, withdraw, staffCreateReport, staffUpdateReport, staffDeleteReport, autoFlag, matchBanned };
}
