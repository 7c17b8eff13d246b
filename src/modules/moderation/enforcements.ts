// Enforcements: warn, suspend/ban (the account is deactivated with them) and take-downs (the owning
// module hides the content), lifted by staff or at their expiry, each audited.
import { and, desc, eq, gt, inArray, isNull, lte, ne, or } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { DbOrTx, Tx } from '../../platform/db/index.js';
import { fieldError } from '../../platform/http/errors.js';
import { olderThan, paginate, parseInstant, type Keyset } from '../../platform/http/pagination.js';
import { enforcements, reports, type EnforcementRow } from './schema.js';
import { ModerationErrors } from './errors.js';
import { RESTRICTING, TAKEDOWN, type Actor, type EnforcementAction, type TargetType } from './vocabulary.js';
import type { Targets } from './targets.js';

export function createEnforcements(ctx: Ctx, targets: Targets) {
  const users = () => ctx.services.users;
  const audit = () => ctx.services.audit;
  const { resolvers, checkTarget } = targets;

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

  /** Staff tools: the enforcements on one target, newest first (running ones first to lift). */
  async function enforcementsOn(targetType: TargetType, targetId: number, limit = 50): Promise<EnforcementRow[]> {
    return ctx.db
      .select()
      .from(enforcements)
      .where(and(eq(enforcements.targetType, targetType), eq(enforcements.targetId, targetId)))
      .orderBy(desc(enforcements.createdAt), desc(enforcements.id))
      .limit(limit);
  }

  return { listEnforcements, getEnforcement, enforce, lift, expireDue, enforcementsOn };
}
