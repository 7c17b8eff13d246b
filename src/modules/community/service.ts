// Community rules: problems with a contribution agreement gate, work marks, likes, comments,
// artifacts, an activity log per problem, and the public summary (figures from the rewards ledger).
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { DbOrTx } from '../../platform/db/index.js';
import { olderThan, type Keyset } from '../../platform/http/pagination.js';
import {
  communityAcceptances,
  communityAgreements,
  communityArtifactComments,
  communityArtifacts,
  communityCommentLikes,
  communityComments,
  communityEvents,
  communityProblemLikes,
  communityProblems,
  communityWork,
  type AgreementRow,
  type ProblemRow,
} from './schema.js';
import { MIT_TEXT } from './mit.js';
import { CommunityErrors } from './errors.js';

export interface ProblemView extends ProblemRow {
  commentsCount: number;
  likesCount: number;
  artifactsCount: number;
  workingCount: number;
  hasLiked: boolean;
  isWorking: boolean;
}

export function createCommunityService(ctx: Ctx) {
  const db = () => ctx.db;

  async function emit(tx: DbOrTx, problemId: number, actorId: number | null, type: string, metadata: Record<string, unknown> = {}) {
    await tx.insert(communityEvents).values({ problemId, actorId, type, metadata });
    await tx.update(communityProblems).set({ lastActivityAt: new Date() }).where(eq(communityProblems.id, problemId));
  }

  async function ensureAgreement(tx: DbOrTx, problemId: number): Promise<AgreementRow> {
    const active = async () => (await tx.select().from(communityAgreements).where(and(eq(communityAgreements.problemId, problemId), eq(communityAgreements.isActive, true))).limit(1))[0];
    const found = await active();
    if (found) return found;
    await tx.insert(communityAgreements).values({ problemId, text: MIT_TEXT }).onConflictDoNothing();
    return (await active())!;
  }

  const views = (viewerId: number | null) => ({
    commentsCount: sql<number>`(select count(*)::int from ${communityComments} where ${communityComments.problemId} = ${communityProblems.id})`,
    likesCount: sql<number>`(select count(distinct ${communityProblemLikes.userId})::int from ${communityProblemLikes} where ${communityProblemLikes.problemId} = ${communityProblems.id})`,
    artifactsCount: sql<number>`(select count(*)::int from ${communityArtifacts} where ${communityArtifacts.problemId} = ${communityProblems.id})`,
    workingCount: sql<number>`(select count(distinct ${communityWork.userId})::int from ${communityWork} where ${communityWork.problemId} = ${communityProblems.id})`,
    hasLiked: viewerId ? sql<boolean>`exists(select 1 from ${communityProblemLikes} where ${communityProblemLikes.problemId} = ${communityProblems.id} and ${communityProblemLikes.userId} = ${viewerId})` : sql<boolean>`false`,
    isWorking: viewerId ? sql<boolean>`exists(select 1 from ${communityWork} where ${communityWork.problemId} = ${communityProblems.id} and ${communityWork.userId} = ${viewerId})` : sql<boolean>`false`,
  });

  const toView = (r: { p: ProblemRow } & Omit<ProblemView, keyof ProblemRow>): ProblemView => ({ ...r.p, commentsCount: Number(r.commentsCount), likesCount: Number(r.likesCount), artifactsCount: Number(r.artifactsCount), workingCount: Number(r.workingCount), hasLiked: Boolean(r.hasLiked), isWorking: Boolean(r.isWorking) });

  async function listProblems(viewerId: number | null, opts: { cursor: Keyset | null; limit: number }) {
    const rows = await db()
      .select({ p: communityProblems, ...views(viewerId) })
      .from(communityProblems)
      .where(and(eq(communityProblems.isActive, true), olderThan(communityProblems.createdAt, communityProblems.id, opts.cursor)))
      .orderBy(desc(communityProblems.createdAt), desc(communityProblems.id))
      .limit(opts.limit + 1);
    return rows.map(toView);
  }

  async function problemView(id: number, viewerId: number | null): Promise<ProblemView | null> {
    const [r] = await db()
      .select({ p: communityProblems, ...views(viewerId) })
      .from(communityProblems)
      .where(and(eq(communityProblems.id, id), eq(communityProblems.isActive, true)))
      .limit(1);
    return r ? toView(r) : null;
  }

  async function activeProblem(id: number): Promise<ProblemRow> {
    const [p] = await db().select().from(communityProblems).where(and(eq(communityProblems.id, id), eq(communityProblems.isActive, true))).limit(1);
    if (!p) throw CommunityErrors.problemNotFound();
    return p;
  }

  async function createProblem(userId: number, input: { title: string; description: string }) {
    return db().transaction(async (tx) => {
      const [p] = await tx.insert(communityProblems).values({ title: input.title, description: input.description, createdBy: userId, lastActivityAt: new Date() }).returning();
      await ensureAgreement(tx, p.id);
      await emit(tx, p.id, userId, 'problem.created', { problem_id: p.id });
      return p;
    });
  }

  /** Detail: counts the view atomically, then reads the problem with the viewer's flags. */
  async function viewProblem(id: number, viewerId: number | null) {
    const bumped = await db().update(communityProblems).set({ viewsCount: sql`${communityProblems.viewsCount} + 1` }).where(and(eq(communityProblems.id, id), eq(communityProblems.isActive, true))).returning({ id: communityProblems.id });
    if (!bumped.length) throw CommunityErrors.problemNotFound();
    const view = (await problemView(id, viewerId))!;
    const working = await db().select({ userId: communityWork.userId }).from(communityWork).where(eq(communityWork.problemId, id)).orderBy(communityWork.createdAt).limit(100);
    return { view, workingUserIds: working.map((w) => w.userId) };
  }

  async function agreement(problemId: number) {
    await activeProblem(problemId);
    return db().transaction((tx) => ensureAgreement(tx, problemId));
  }

  async function accept(problemId: number, userId: number) {
    await activeProblem(problemId);
    return db().transaction(async (tx) => {
      const a = await ensureAgreement(tx, problemId);
      await tx.insert(communityAcceptances).values({ problemId, agreementId: a.id, userId }).onConflictDoNothing();
      await emit(tx, problemId, userId, 'problem.agreement_accepted', { agreement_id: a.id });
      return a;
    });
  }

  /** The agreement gate: the problem's active agreement must be accepted by this user. */
  async function gate(problemId: number, userId: number): Promise<ProblemRow> {
    const p = await activeProblem(problemId);
    const [ok] = await db()
      .select({ id: communityAcceptances.id })
      .from(communityAcceptances)
      .innerJoin(communityAgreements, eq(communityAgreements.id, communityAcceptances.agreementId))
      .where(and(eq(communityAcceptances.userId, userId), eq(communityAgreements.problemId, problemId), eq(communityAgreements.isActive, true)))
      .limit(1);
    if (!ok) throw CommunityErrors.agreementRequired();
    return p;
  }

  async function workingCount(tx: DbOrTx, problemId: number) {
    const [r] = await tx.select({ n: sql<number>`count(distinct ${communityWork.userId})::int` }).from(communityWork).where(eq(communityWork.problemId, problemId));
    return Number(r.n);
  }

  async function markWork(problemId: number, userId: number, input: { status: string; note: string }) {
    await gate(problemId, userId);
    return db().transaction(async (tx) => {
      const inserted = await tx.insert(communityWork).values({ problemId, userId, status: input.status, note: input.note }).onConflictDoNothing().returning({ id: communityWork.id });
      if (!inserted.length) await tx.update(communityWork).set({ status: input.status, note: input.note, updatedAt: new Date() }).where(and(eq(communityWork.problemId, problemId), eq(communityWork.userId, userId)));
      await emit(tx, problemId, userId, 'problem.work_marked', { status: input.status });
      return { created: inserted.length > 0, workingCount: await workingCount(tx, problemId) };
    });
  }

  async function unmarkWork(problemId: number, userId: number) {
    await gate(problemId, userId);
    return db().transaction(async (tx) => {
      await tx.delete(communityWork).where(and(eq(communityWork.problemId, problemId), eq(communityWork.userId, userId)));
      await emit(tx, problemId, userId, 'problem.work_unmarked', {});
      return { workingCount: await workingCount(tx, problemId) };
    });
  }

  async function setLike(problemId: number, userId: number, on: boolean) {
    await gate(problemId, userId);
    return db().transaction(async (tx) => {
      if (on) await tx.insert(communityProblemLikes).values({ problemId, userId }).onConflictDoNothing();
      else await tx.delete(communityProblemLikes).where(and(eq(communityProblemLikes.problemId, problemId), eq(communityProblemLikes.userId, userId)));
      await emit(tx, problemId, userId, on ? 'problem.liked' : 'problem.unliked', {});
      const [r] = await tx.select({ n: sql<number>`count(*)::int` }).from(communityProblemLikes).where(eq(communityProblemLikes.problemId, problemId));
      return { likesCount: Number(r.n), hasLiked: on };
    });
  }

  async function setCommentLike(problemId: number, commentId: number, userId: number, on: boolean) {
    await gate(problemId, userId);
    const [c] = await db().select().from(communityComments).where(and(eq(communityComments.id, commentId), eq(communityComments.problemId, problemId))).limit(1);
    if (!c) throw CommunityErrors.commentNotFound();
    return db().transaction(async (tx) => {
      if (on) await tx.insert(communityCommentLikes).values({ commentId, userId }).onConflictDoNothing();
      else await tx.delete(communityCommentLikes).where(and(eq(communityCommentLikes.commentId, commentId), eq(communityCommentLikes.userId, userId)));
      await emit(tx, problemId, userId, on ? 'problem.comment_liked' : 'problem.comment_unliked', { comment_id: commentId });
      const [r] = await tx.select({ n: sql<number>`count(*)::int` }).from(communityCommentLikes).where(eq(communityCommentLikes.commentId, commentId));
      return { likesCount: Number(r.n), hasLiked: on };
    });
  }

  async function listComments(problemId: number, viewerId: number | null, opts: { cursor: Keyset | null; limit: number }) {
    await activeProblem(problemId);
    const rows = await db()
      .select({
        c: communityComments,
        likesCount: sql<number>`(select count(*)::int from ${communityCommentLikes} where ${communityCommentLikes.commentId} = ${communityComments.id})`,
        hasLiked: viewerId ? sql<boolean>`exists(select 1 from ${communityCommentLikes} where ${communityCommentLikes.commentId} = ${communityComments.id} and ${communityCommentLikes.userId} = ${viewerId})` : sql<boolean>`false`,
      })
      .from(communityComments)
      .where(and(eq(communityComments.problemId, problemId), olderThan(communityComments.createdAt, communityComments.id, opts.cursor)))
      .orderBy(desc(communityComments.createdAt), desc(communityComments.id))
      .limit(opts.limit + 1);
    return rows.map((r) => ({ ...r.c, likesCount: Number(r.likesCount), hasLiked: Boolean(r.hasLiked) }));
  }

  async function addComment(problemId: number, userId: number, body: string) {
    await gate(problemId, userId);
    return db().transaction(async (tx) => {
      const [c] = await tx.insert(communityComments).values({ problemId, userId, body }).returning();
      await emit(tx, problemId, userId, 'problem.comment_created', { comment_id: c.id });
      return c;
    });
  }

  async function listArtifacts(problemId: number | null, opts: { cursor: Keyset | null; limit: number }) {
    if (problemId !== null) await activeProblem(problemId);
    return db()
      .select()
      .from(communityArtifacts)
      .where(and(problemId !== null ? eq(communityArtifacts.problemId, problemId) : undefined, olderThan(communityArtifacts.createdAt, communityArtifacts.id, opts.cursor)))
      .orderBy(desc(communityArtifacts.createdAt), desc(communityArtifacts.id))
      .limit(opts.limit + 1);
  }

  async function getArtifact(id: number) {
    const [a] = await db().select().from(communityArtifacts).where(eq(communityArtifacts.id, id)).limit(1);
    if (!a) throw CommunityErrors.artifactNotFound();
    return a;
  }

  async function addArtifact(problemId: number, userId: number, input: { title: string; description: string; url: string }) {
    await gate(problemId, userId);
    return db().transaction(async (tx) => {
      const [a] = await tx.insert(communityArtifacts).values({ problemId, userId, ...input }).returning();
      await emit(tx, problemId, userId, 'problem.artifact_created', { artifact_id: a.id });
      return a;
    });
  }

  async function listArtifactComments(artifactId: number, opts: { cursor: Keyset | null; limit: number }) {
    await getArtifact(artifactId);
    return db()
      .select()
      .from(communityArtifactComments)
      .where(and(eq(communityArtifactComments.artifactId, artifactId), olderThan(communityArtifactComments.createdAt, communityArtifactComments.id, opts.cursor)))
      .orderBy(desc(communityArtifactComments.createdAt), desc(communityArtifactComments.id))
      .limit(opts.limit + 1);
  }

  async function addArtifactComment(artifactId: number, userId: number, body: string) {
    const a = await getArtifact(artifactId);
    await gate(a.problemId, userId);
    const [c] = await db().insert(communityArtifactComments).values({ artifactId, userId, body }).returning();
    return c;
  }

  async function listEvents(problemId: number, opts: { cursor: Keyset | null; limit: number }) {
    await activeProblem(problemId);
    return db()
      .select()
      .from(communityEvents)
      .where(and(eq(communityEvents.problemId, problemId), olderThan(communityEvents.createdAt, communityEvents.id, opts.cursor)))
      .orderBy(desc(communityEvents.createdAt), desc(communityEvents.id))
      .limit(opts.limit + 1);
  }

  /** Distinct people who took part in the community (acceptances, work, artifacts, comments, likes). */
  async function participants(): Promise<number> {
    const [r] = await db().execute<{ n: number }>(sql`select count(*)::int as n from (
      select ${communityAcceptances.userId} as u from ${communityAcceptances}
      union select ${communityWork.userId} from ${communityWork}
      union select ${communityArtifacts.userId} from ${communityArtifacts}
      union select ${communityComments.userId} from ${communityComments}
      union select ${communityArtifactComments.userId} from ${communityArtifactComments}
      union select ${communityProblemLikes.userId} from ${communityProblemLikes}
      union select ${communityCommentLikes.userId} from ${communityCommentLikes}) x`).then((res) => (Array.isArray(res) ? res : (res as { rows: { n: number }[] }).rows));
    return Number(r?.n ?? 0);
  }

  async function usersByIds(ids: number[]) {
    return ctx.services.users.getMany([...new Set(ids)]);
  }

  return {
    listProblems,
    createProblem,
    viewProblem,
    problemView,
    agreement,
    accept,
    markWork,
    unmarkWork,
    setLike,
    setCommentLike,
    listComments,
    addComment,
    listArtifacts,
    getArtifact,
    addArtifact,
    listArtifactComments,
    addArtifactComment,
    listEvents,
    participants,
    usersByIds,
  };
}

export type CommunityService = ReturnType<typeof createCommunityService>;
