// Moderation: reports (user, staff and automatic), enforcements and their expiry.
import { and, desc, eq, gt, inArray, isNull, lte, ne, or } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { DbOrTx, Tx } from '../../platform/db/index.js';
import { fieldError } from '../../platform/http/errors.js';
import { olderThan, paginate, parseInstant, type Keyset } from '../../platform/http/pagination.js';
import { isModerator as isModeratorUser } from '../../platform/http/guard.js';
import { enforcements, reports, type EnforcementRow, type ReportRow } from './schema.js';
import { bannedWordMatcher } from './words.js';
import { ModerationErrors } from './errors.js';

export const TARGET_TYPES = ['user', 'post', 'comment', 'message'] as const;
export const REPORT_STATUSES = ['open', 'in_review', 'resolved', 'dismissed'] as const;
export const ENFORCEMENT_ACTIONS = ['warn', 'suspend', 'ban', 'hide', 'remove'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];
export type ReportStatus = (typeof REPORT_STATUSES)[number];
export type EnforcementAction = (typeof ENFORCEMENT_ACTIONS)[number];

export const MODERATION_JOBS = { autoflag: 'moderation.autoflag', expire: 'moderation.expire-enforcements' } as const;
export const AUTO_FLAG_REASON = 'auto_flag:banned_word';
const PENDING: ReportStatus[] = ['open', 'in_review'];
const RESTRICTING: EnforcementAction[] = ['suspend', 'ban'];
/**
 * Take-downs of content: `hide` and `remove` both take the post, comment or message away from
 * everyone but its author and staff, reversibly (lifting restores it); `remove` is the stronger
 * verdict in the record, the content is kept so that an appeal can restore it.
 */
const TAKEDOWN: EnforcementAction[] = ['hide', 'remove'];

/** How moderation checks a report target; other modules register theirs (post, comment, message). */
export interface TargetResolver {
  exists(id: number): Promise<boolean>;
  ownerId(id: number): Promise<number | null>;
  /** Whether `viewerId` may see the target (reports on what one cannot see are refused alike). */
  visibleTo?(viewerId: number, id: number): Promise<boolean>;
  /** Takes the content down (hidden) or restores it; false when it no longer exists. */
  setHidden?(id: number, hidden: boolean): Promise<boolean>;
}

export interface Moderator {
  id: number;
  isStaff: boolean;
  isSuperuser?: boolean;
  roles?: string[];
}

/** Who did it, for the audit log. */
export interface Actor {
  id: number;
  ip?: string | null;
}

const reportMissing = () => ModerationErrors.reportNotFound();

export function createModerationService(ctx: Ctx) {
  const resolvers = new Map<string, TargetResolver>();
  const matchBanned = bannedWordMatcher(ctx.config.moderation.bannedWords);
  const users = () => ctx.services.users;
  const audit = () => ctx.services.audit;

  function registerTarget(type: TargetType, resolver: TargetResolver) {
    resolvers.set(type, resolver);
  }

  registerTarget('user', {
    exists: async (id) => (await users().getById(id)) !== null,
    ownerId: async (id) => ((await users().getById(id)) ? id : null),
    visibleTo: async (viewerId, id) => {
      const u = await users().getById(id);
      return Boolean(u?.isActive) && (viewerId === id || !(await users().isBlockedEitherWay(viewerId, id)));
    },
  });

  const isModerator = (u: Moderator) => isModeratorUser({ isStaff: u.isStaff, isSuperuser: u.isSuperuser === true, roles: u.roles ?? [] });

  /** The target's owner; a 400 with a code when the type is not available or the object does not exist. */
  async function checkTarget(type: string, id: number): Promise<number | null> {
    const r = resolvers.get(type);
    if (!r) throw ModerationErrors.targetTypeUnavailable(`Reports on "${type}" are not available.`);
    if (!(await r.exists(id))) throw ModerationErrors.unknownTarget();
    return r.ownerId(id);
  }

  /**
   * For reporters: the target's owner when the reporter may see it. Unknown and invisible targets
   * answer the same 400, so reports are no oracle for what exists.
   */
  async function checkVisibleTarget(type: string, id: number, reporterId: number): Promise<number | null> {
    const r = resolvers.get(type);
    if (!r) throw ModerationErrors.targetTypeUnavailable(`Reports on "${type}" are not available.`);
    const ok = r.visibleTo ? await r.visibleTo(reporterId, id) : await r.exists(id);
    if (!ok) throw ModerationErrors.unknownTarget();
    return r.ownerId(id);
  }

  // ---- the reporter's own reports ----

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

  // ---- enforcements ----

  async function listEnforcements(opts: { cursor: Keyset | null; limit: number }) {
    const rows = await ctx.db
      .select()
      .from(enforcements)
      .where(olderThan(enforcements.createdAt, enforcements.id, opts.cursor))
      .orderBy(desc(enforcements.createdAt), desc(enforcements.id))
      .limit(opts.limit + 1);
    return paginate(rows, opts.limit);
  }

  async function getEnforcement(id: number): Promise<EnforcementRow> {
    const [row] = await ctx.db.select().from(enforcements).where(eq(enforcements.id, id)).limit(1);
    if (!row) throw ModerationErrors.enforcementNotFound();
    return row;
  }

  /**
   * Records a warn/suspend/ban. Suspending or banning a user deactivates the account (its sessions
   * are revoked and social surfaces hide inactive authors); `report_id` resolves that report.
   */
  async function enforce(
    actor: Actor,
    input: { target_type: TargetType; target_id: number; action: EnforcementAction; reason?: string; expires_at?: string | null; report_id?: number | null },
  ): Promise<EnforcementRow> {
    await checkTarget(input.target_type, input.target_id);
    const restricting = RESTRICTING.includes(input.action);
    const takedown = TAKEDOWN.includes(input.action);
    if (restricting && input.target_type !== 'user') throw ModerationErrors.invalidActionForTarget();
    if (takedown && !resolvers.get(input.target_type)?.setHidden) throw ModerationErrors.invalidActionForTarget('Only posts, comments and messages can be hidden or removed.');
    if (input.target_type === 'user' && input.target_id === actor.id) throw ModerationErrors.cannotEnforceSelf();
    let expiresAt: Date | null = null;
    if (input.expires_at) {
      expiresAt = parseInstant(input.expires_at);
      if (!expiresAt) throw fieldError('expires_at', 'Datetime has wrong format.');
      if (expiresAt.getTime() <= Date.now()) throw fieldError('expires_at', 'Must be in the future.');
    }
    const row = await ctx.db.transaction(async (tx) => {
      if (input.report_id != null) {
        const [r] = await tx
          .update(reports)
          .set({ status: 'resolved', updatedAt: new Date() })
          .where(eq(reports.id, input.report_id))
          .returning({ id: reports.id });
        if (!r) throw fieldError('report_id', 'Report not found.');
      }
      const [e] = await tx
        .insert(enforcements)
        .values({ targetType: input.target_type, targetId: input.target_id, action: input.action, reason: input.reason ?? '', expiresAt, createdBy: actor.id, reportId: input.report_id ?? null })
        .returning();
      await audit().record(
        {
          actorId: actor.id,
          actorIp: actor.ip,
          action: 'moderation.enforcement.created',
          objectType: 'enforcement',
          objectId: e.id,
          metadata: { target_type: e.targetType, target_id: e.targetId, action: e.action, expires_at: expiresAt?.toISOString() ?? null, report_id: e.reportId },
        },
        tx,
      );
      // The deactivation (sessions revoked, events recorded) commits with the enforcement.
      if (restricting) await users().setActive(input.target_id, false, tx);
      return e;
    });
    if (takedown) await resolvers.get(input.target_type)!.setHidden!(input.target_id, true);
    return row;
  }

  /** Whether another running enforcement of these actions still holds on the target. */
  async function stillEnforced(targetType: string, targetId: number, actions: EnforcementAction[], asOf: Date, exceptId?: number, tx: DbOrTx = ctx.db): Promise<boolean> {
    const [still] = await tx
      .select({ id: enforcements.id })
      .from(enforcements)
      .where(
        and(
          eq(enforcements.targetType, targetType),
          eq(enforcements.targetId, targetId),
          inArray(enforcements.action, actions),
          isNull(enforcements.liftedAt),
          or(isNull(enforcements.expiresAt), gt(enforcements.expiresAt, asOf)),
          exceptId !== undefined ? ne(enforcements.id, exceptId) : undefined,
        ),
      )
      .limit(1);
    return Boolean(still);
  }

  /** The effects lifted enforcements undo, once per target and kind, unless another running one still holds it. */
  function liftedGroups(lifted: EnforcementRow[]) {
    const out = new Map<string, { e: EnforcementRow; group: EnforcementAction[] }>();
    for (const e of lifted) {
      const action = e.action as EnforcementAction;
      const group = RESTRICTING.includes(action) ? RESTRICTING : TAKEDOWN.includes(action) ? TAKEDOWN : null;
      if (group) out.set(`${e.targetType}:${e.targetId}:${group[0]}`, { e, group });
    }
    return [...out.values()];
  }

  /** Reactivates users whose suspension or ban was lifted: inside the lifting transaction. */
  async function restoreUsers(tx: Tx, lifted: EnforcementRow[], asOf: Date) {
    for (const { e, group } of liftedGroups(lifted)) {
      if (group !== RESTRICTING || e.targetType !== 'user') continue;
      if (!(await stillEnforced(e.targetType, e.targetId, group, asOf, undefined, tx))) await users().setActive(e.targetId, true, tx);
    }
  }

  /** Shows taken-down content again: after commit, through the owning module's hook. */
  async function restoreContent(lifted: EnforcementRow[], asOf: Date) {
    for (const { e, group } of liftedGroups(lifted)) {
      if (group !== TAKEDOWN) continue;
      if (!(await stillEnforced(e.targetType, e.targetId, group, asOf))) await resolvers.get(e.targetType)?.setHidden?.(e.targetId, false);
    }
  }

  /** Staff lift an enforcement before its time: audited, and its effect undone (see restore). */
  async function lift(actor: Actor, id: number): Promise<EnforcementRow> {
    const now = new Date();
    const row = await ctx.db.transaction(async (tx) => {
      const [e] = await tx.select().from(enforcements).where(eq(enforcements.id, id)).for('update').limit(1);
      if (!e) throw ModerationErrors.enforcementNotFound();
      if (e.liftedAt) throw ModerationErrors.alreadyLifted();
      const [saved] = await tx.update(enforcements).set({ liftedAt: now }).where(eq(enforcements.id, id)).returning();
      await audit().record(
        { actorId: actor.id, actorIp: actor.ip, action: 'moderation.enforcement.lifted', objectType: 'enforcement', objectId: id, metadata: { target_type: e.targetType, target_id: e.targetId, action: e.action } },
        tx,
      );
      await restoreUsers(tx, [saved], now);
      return saved;
    });
    await restoreContent([row], now);
    return row;
  }

  /**
   * Lifts enforcements whose time is up and re-activates users left with no running suspension or
   * ban, auditing each, in one transaction (claiming rows with one UPDATE makes concurrent runs
   * harmless); taken-down content is shown again after commit.
   */
  async function expireDue(asOf: Date = new Date()): Promise<number> {
    const lifted = await ctx.db.transaction((tx) => expireDueIn(tx, asOf));
    await restoreContent(lifted, asOf);
    return lifted.length;
  }

  async function expireDueIn(tx: Tx, asOf: Date): Promise<EnforcementRow[]> {
    const lifted = await tx
      .update(enforcements)
      .set({ liftedAt: asOf })
      .where(and(isNull(enforcements.liftedAt), lte(enforcements.expiresAt, asOf)))
      .returning();
    await restoreUsers(tx, lifted, asOf);
    for (const e of lifted) {
      await audit().record({ actorId: null, action: 'moderation.enforcement.expired', objectType: 'enforcement', objectId: e.id, metadata: { target_type: e.targetType, target_id: e.targetId, action: e.action } }, tx);
    }
    return lifted;
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

  /** Staff tools: the enforcements on one target, newest first (running ones first to lift). */
  async function enforcementsOn(targetType: TargetType, targetId: number, limit = 50): Promise<EnforcementRow[]> {
    return ctx.db
      .select()
      .from(enforcements)
      .where(and(eq(enforcements.targetType, targetType), eq(enforcements.targetId, targetId)))
      .orderBy(desc(enforcements.createdAt), desc(enforcements.id))
      .limit(limit);
  }

  return {
    enforcementsOn,
    /** The banned-word list automatic flagging uses (MODERATION_BANNED_WORDS; read-only). */
    bannedWords: () => [...ctx.config.moderation.bannedWords],
    registerTarget,
    isModerator,
    checkTarget,
    fileReport,
    listReports,
    getReport,
    updateOwnReason,
    withdraw,
    staffCreateReport,
    staffUpdateReport,
    staffDeleteReport,
    listEnforcements,
    getEnforcement,
    enforce,
    lift,
    expireDue,
    autoFlag,
    matchBanned,
  };
}

export type ModerationService = ReturnType<typeof createModerationService>;
