// The audit log: append events to one hash chain, read them, verify the chain.
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { DbOrTx } from '../../platform/db/index.js';
import { olderThan, type Keyset } from '../../platform/http/pagination.js';
import { auditEvents, type AuditEventRow } from './schema.js';
import { eventHash } from './hash.js';

export interface AuditInput {
  actorId?: number | null;
  actorIp?: string | null;
  action: string;
  objectType: string;
  objectId: string | number;
  metadata?: Record<string, unknown>;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  broken: { id: string; seq: number; reason: 'hash_prev_mismatch' | 'hash_self_mismatch' } | null;
}

// One chain per database: appends take this transaction-level advisory lock, so two
// concurrent appends can never read the same head and fork the chain.
const CHAIN_LOCK = 7_420_101;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s);

export function createAuditService(ctx: Ctx) {
  const append = async (tx: DbOrTx, input: AuditInput): Promise<AuditEventRow> => {
    await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`);
    const [head] = await tx.select({ hash: auditEvents.hashSelf }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    const row = {
      createdAt: new Date(),
      actorUserId: input.actorId ?? null,
      actorIp: input.actorIp ? clip(input.actorIp, 64) : null,
      action: clip(input.action, 128),
      objectType: clip(input.objectType, 128),
      objectId: clip(String(input.objectId), 128),
      metadata: input.metadata ?? {},
      hashPrev: head?.hash ?? '',
    };
    const hashSelf = eventHash({ ...row, prev: row.hashPrev });
    const [saved] = await tx
      .insert(auditEvents)
      .values({ ...row, hashSelf })
      .returning();
    return saved;
  };

  /**
   * Appends an event. Pass the caller's transaction to make the event commit (or roll back)
   * with the change it records; the chain lock is then held until that transaction ends.
   */
  async function record(input: AuditInput, tx?: DbOrTx): Promise<AuditEventRow> {
    if (tx) return append(tx, input);
    return ctx.db.transaction((t) => append(t, input));
  }

  async function list(opts: { cursor: Keyset | null; limit: number }) {
    return ctx.db
      .select()
      .from(auditEvents)
      .where(olderThan(auditEvents.createdAt, auditEvents.seq, opts.cursor))
      .orderBy(desc(auditEvents.createdAt), desc(auditEvents.seq))
      .limit(opts.limit + 1);
  }

  async function getById(id: string): Promise<AuditEventRow | null> {
    if (!UUID.test(id)) return null;
    const [row] = await ctx.db.select().from(auditEvents).where(eq(auditEvents.id, id)).limit(1);
    return row ?? null;
  }

  /** Recomputes the whole chain in order and reports the first broken link. */
  async function verify(batch = 500): Promise<VerifyResult> {
    let prev = '';
    let lastSeq = 0;
    let checked = 0;
    for (;;) {
      const rows = await ctx.db.select().from(auditEvents).where(and(gt(auditEvents.seq, lastSeq))).orderBy(asc(auditEvents.seq)).limit(batch);
      if (!rows.length) return { ok: true, checked, broken: null };
      for (const r of rows) {
        if (r.hashPrev !== prev) return { ok: false, checked, broken: { id: r.id, seq: r.seq, reason: 'hash_prev_mismatch' } };
        if (eventHash({ ...r, prev: r.hashPrev }) !== r.hashSelf) return { ok: false, checked, broken: { id: r.id, seq: r.seq, reason: 'hash_self_mismatch' } };
        prev = r.hashSelf;
        checked++;
      }
      lastSeq = rows[rows.length - 1].seq;
    }
  }

  return { record, list, getById, verify };
}

export type AuditService = ReturnType<typeof createAuditService>;
