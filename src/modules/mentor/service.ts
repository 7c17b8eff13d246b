// The mentor's rules: one chat session per (user, mode, language), messages, generation through the
// LLM (sync, streamed, or as a queue job), daily entries and the feed's insight card.
import { randomUUID } from 'node:crypto';
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { createLlm, LlmError, type ChatMessage, type Llm } from '../../platform/llm/index.js';
import { SecretBox } from '../../platform/secret-box.js';
import { ApiError } from '../../platform/http/errors.js';
import { MentorErrors } from './errors.js';
import { mentorJobs, mentorMessages, mentorSessions, type JobRow, type MessageRow, type SessionRow } from './schema.js';
import { createKnowledge, type SoulmatchResult } from './knowledge.js';
import { dailyPersona, DAILY_SYSTEM, mentorPersona, NATAL_SYSTEM, normalizeLanguage, SOULMATCH_SYSTEM, type Lang } from './personas.js';
import { buildMessages, contextMessage, dailyPrompt, natalPrompt, postprocessReply, soulmatchPrompt, type PersonFacts } from './prompts.js';
import { createMentorExtras } from './extras.js';
import { createInsightCard, type MentorCard } from './insight-card.js';
import { today } from './day.js';

export const GENERATE_JOB = 'mentor.generate';
export const TASK_VERSION = 'v1';
/** A repeated request (the app's chat fallback after its stream, stream re-polls) within this window reuses the stored reply. */
export const REUSE_WINDOW_MS = 10 * 60_000;
export const NO_CHART = MentorErrors.specs.missingChart.message;
export type JobKind = 'chat' | 'natal' | 'soulmatch' | 'daily' | 'entry';

export interface GenerateJob {
  taskId: string;
  /** The caller's X-LLM-Key, sealed with the server key; absent when none was sent. */
  sealedKey?: string;
}

export function llmFailure(err: unknown): ApiError {
  return MentorErrors.llmUnavailable(err instanceof LlmError && err.kind === 'timeout' ? 'LLM request timed out.' : undefined);
}

export function createMentorService(ctx: Ctx, llm: Llm = createLlm(ctx.config.mentor)) {
  const card = createInsightCard(ctx);
  const db = () => ctx.db;
  const cfg = ctx.config.mentor;
  const knowledge = createKnowledge(ctx);
  const box = new SecretBox(cfg.keySecret, 'mentor-llm-key');

  async function facts(userId: number, withTransits = true): Promise<PersonFacts> {
    const [u, chart, lifePath, transits] = await Promise.all([
      ctx.services.users.getById(userId),
      knowledge.chartFor(userId).catch(() => null),
      knowledge.lifePathFor(userId),
      withTransits ? knowledge.transitsFor(new Date()) : Promise.resolve(null),
    ]);
    return { name: u?.name || u?.handle || 'friend', locale: u?.locale ?? 'en', chart, lifePath, transits };
  }

  // ---- sessions and messages ----

  async function chatSession(userId: number, mode: string, lang: Lang): Promise<SessionRow> {
    const chatKey = `${mode}|${lang}`;
    const [created] = await db()
      .insert(mentorSessions)
      .values({ userId, mode, language: lang, chatKey })
      .onConflictDoNothing()
      .returning();
    if (created) return created;
    const [s] = await db().select().from(mentorSessions).where(and(eq(mentorSessions.userId, userId), eq(mentorSessions.chatKey, chatKey))).limit(1);
    return s;
  }

  async function createSession(values: typeof mentorSessions.$inferInsert): Promise<SessionRow> {
    const [s] = await db().insert(mentorSessions).values(values).returning();
    await card.changed(s.userId);
    return s;
  }

  async function addMessage(values: typeof mentorMessages.$inferInsert): Promise<MessageRow> {
    const [m] = await db().insert(mentorMessages).values(values).returning();
    return m;
  }

  async function replyTo(requestId: number): Promise<MessageRow | null> {
    const [m] = await db().select().from(mentorMessages).where(eq(mentorMessages.replyToId, requestId)).limit(1);
    return m ?? null;
  }

  /** Stores a reply unless one exists already (a racing stream and chat): the stored one wins. */
  async function storeReply(session: SessionRow, request: MessageRow, content: string, meta: Record<string, unknown>): Promise<MessageRow> {
    const [m] = await db()
      .insert(mentorMessages)
      .values({ sessionId: session.id, userId: session.userId, role: 'mentor', content, meta: { request_id: request.id, task_version: TASK_VERSION, ...meta }, replyToId: request.id })
      .onConflictDoNothing()
      .returning();
    return m ?? (await replyTo(request.id))!;
  }

  /**
   * The user's turn in a chat session. When the last exchange is the same text within the reuse
   * window, its stored reply is returned (no second LLM call); an unanswered identical message is reused.
   */
  async function chatTurn(userId: number, text: string, mode: string, lang: Lang): Promise<{ session: SessionRow; request: MessageRow; reply: MessageRow | null }> {
    const session = await chatSession(userId, mode, lang);
    const last = await db().select().from(mentorMessages).where(eq(mentorMessages.sessionId, session.id)).orderBy(desc(mentorMessages.id)).limit(2);
    const fresh = (m: MessageRow) => Date.now() - m.createdAt.getTime() < REUSE_WINDOW_MS;
    const [a, b] = last;
    if (a && a.role !== 'user' && b && a.replyToId === b.id && b.content === text && fresh(a)) return { session, request: b, reply: a };
    if (a && a.role === 'user' && a.content === text && fresh(a)) return { session, request: a, reply: await replyTo(a.id) };
    const request = await addMessage({ sessionId: session.id, userId, role: 'user', content: text, meta: null });
    return { session, request, reply: null };
  }

  async function historyBefore(sessionId: number, beforeId: number, limit: number): Promise<ChatMessage[]> {
    const rows = await db()
      .select({ role: mentorMessages.role, content: mentorMessages.content })
      .from(mentorMessages)
      .where(and(eq(mentorMessages.sessionId, sessionId), lt(mentorMessages.id, beforeId)))
      .orderBy(desc(mentorMessages.id))
      .limit(limit);
    return rows.reverse().map((r) => ({ role: r.role === 'user' ? 'user' : 'assistant', content: r.content }));
  }

  async function chatMessages(session: SessionRow, request: MessageRow): Promise<ChatMessage[]> {
    const lang = normalizeLanguage(session.language);
    const [f, history] = await Promise.all([facts(session.userId), historyBefore(session.id, request.id, cfg.maxMessages)]);
    const persona = session.mode === 'daily' ? dailyPersona(lang) : mentorPersona(lang);
    return buildMessages([persona, `Mode: ${session.mode}\n${contextMessage(f)}`], history, request.content, cfg.maxMessages, cfg.maxPromptChars);
  }

  /**
   * Streams a reply to `request`, calling onDelta for every provider delta as it arrives. Stores the
   * reply only when the provider finished; an abort or failure stores nothing and throws LlmError.
   */
  async function streamReply(session: SessionRow, request: MessageRow, opts: { apiKey?: string | null; signal?: AbortSignal; onDelta?: (d: string) => void | Promise<void> } = {}): Promise<MessageRow> {
    const messages = await chatMessages(session, request);
    let text = '';
    for await (const d of llm.stream({ messages, apiKey: opts.apiKey, signal: opts.signal })) {
      text += d;
      if (opts.onDelta) await opts.onDelta(d);
      if (text.length > 32_000) break;
    }
    if (opts.signal?.aborted) throw new LlmError('aborted', 'LLM request aborted');
    const out = postprocessReply(text);
    if (!out.text) throw new LlmError('bad_response', 'LLM provider returned an empty reply');
    return storeReply(session, request, out.text, { mentor_flags: out.flags });
  }

  // ---- structured readings (natal, soulmatch, daily) and daily entries ----

  async function requireChart(userId: number) {
    const chart = await knowledge.chartFor(userId);
    if (!chart) throw MentorErrors.missingChart();
    return chart;
  }

  async function targetUser(viewerId: number, targetId: number) {
    if (targetId === viewerId) throw MentorErrors.selfMatch();
    const u = await ctx.services.users.getById(targetId);
    if (!u || !u.isActive) throw MentorErrors.userNotFound();
    return u;
  }

  async function compare(viewerId: number, targetId: number): Promise<SoulmatchResult | null> {
    await targetUser(viewerId, targetId);
    return knowledge.compare(viewerId, targetId);
  }

  async function readingMessages(kind: JobKind, session: SessionRow, request: MessageRow, params: Record<string, unknown>): Promise<{ messages: ChatMessage[]; soulmatch?: SoulmatchResult | null }> {
    const userId = session.userId;
    if (kind === 'chat') return { messages: await chatMessages(session, request) };
    if (kind === 'entry') return { messages: await entryMessages(session, request) };
    const f = await facts(userId, kind === 'daily');
    if (kind === 'natal') {
      if (!f.chart) throw new LlmError('rejected', 'missing_chart');
      return { messages: [{ role: 'system', content: NATAL_SYSTEM }, { role: 'user', content: natalPrompt(f) }] };
    }
    if (kind === 'daily') {
      return { messages: [{ role: 'system', content: DAILY_SYSTEM }, { role: 'user', content: dailyPrompt(f, String(params.date ?? today())) }] };
    }
    const targetId = Number(params.target_user_id);
    const [target, result] = await Promise.all([ctx.services.users.getById(targetId), knowledge.compare(userId, targetId)]);
    const other = target?.name || target?.handle || 'the other person';
    return { messages: [{ role: 'system', content: SOULMATCH_SYSTEM }, { role: 'user', content: soulmatchPrompt(f.name, other, result) }], soulmatch: result };
  }

  async function entryMessages(session: SessionRow, request: MessageRow): Promise<ChatMessage[]> {
    const lang = normalizeLanguage(session.language);
    const [f, history] = await Promise.all([facts(session.userId), historyBefore(session.id, request.id, 6)]);
    return buildMessages([dailyPersona(lang), contextMessage(f)], history, request.content, cfg.maxMessages, cfg.maxPromptChars);
  }

  /** Generates and stores the reply for one request; used by the sync paths and by the job. */
  async function generate(kind: JobKind, session: SessionRow, request: MessageRow, params: Record<string, unknown>, apiKey: string | null, extraMeta: Record<string, unknown> = {}) {
    const existing = await replyTo(request.id);
    if (existing) return { reply: existing, soulmatch: null };
    const { messages, soulmatch } = await readingMessages(kind, session, request, params);
    const out = postprocessReply(await llm.complete({ messages, apiKey }));
    const reply = await storeReply(session, request, out.text, { ...extraMeta, mentor_flags: out.flags });
    const patch: Partial<SessionRow> = { updatedAt: new Date() };
    if (kind !== 'chat') patch.answer = reply.content;
    if (soulmatch) patch.metadata = { ...session.metadata, soulmatch };
    await db().update(mentorSessions).set(patch).where(eq(mentorSessions.id, session.id));
    await card.changed(session.userId);
    return { reply, soulmatch: soulmatch ?? null };
  }

  // ---- async tasks ----

  async function enqueue(kind: JobKind, session: SessionRow, request: MessageRow, params: Record<string, unknown>, apiKey: string | null): Promise<string> {
    const taskId = randomUUID();
    await db().transaction(async (tx) => {
      await tx.insert(mentorJobs).values({ id: taskId, userId: session.userId, sessionId: session.id, requestMessageId: request.id, kind, params });
      await tx
        .update(mentorMessages)
        .set({ meta: sql`coalesce(${mentorMessages.meta}, '{}'::jsonb) || ${JSON.stringify({ task_id: taskId, task_version: TASK_VERSION })}::jsonb` })
        .where(eq(mentorMessages.id, request.id));
    });
    const job: GenerateJob = { taskId, ...(apiKey ? { sealedKey: box.seal(apiKey) } : {}) };
    await ctx.queue.enqueue(GENERATE_JOB, job, { jobId: `mentor-${taskId}` });
    return taskId;
  }

  async function runJob(job: GenerateJob): Promise<void> {
    const [row] = await db().select().from(mentorJobs).where(eq(mentorJobs.id, job.taskId)).limit(1);
    if (!row || row.status !== 'pending') return;
    const [session] = await db().select().from(mentorSessions).where(eq(mentorSessions.id, row.sessionId)).limit(1);
    const [request] = await db().select().from(mentorMessages).where(eq(mentorMessages.id, row.requestMessageId)).limit(1);
    const finish = (status: 'ready' | 'failed', patch: Partial<JobRow>) =>
      db().update(mentorJobs).set({ status, updatedAt: new Date(), ...patch }).where(and(eq(mentorJobs.id, row.id), eq(mentorJobs.status, 'pending')));
    if (!session || !request) return void (await finish('failed', { error: 'gone' }));
    const apiKey = job.sealedKey ? box.open(job.sealedKey) : null;
    try {
      const { reply } = await generate(row.kind as JobKind, session, request, row.params, apiKey, { task_id: row.id });
      await finish('ready', { replyMessageId: reply.id });
    } catch (err) {
      if (err instanceof LlmError) return void (await finish('failed', { error: err.message === 'missing_chart' ? 'missing_chart' : `llm_${err.kind}` }));
      if (err instanceof ApiError) return void (await finish('failed', { error: `http_${err.status}` }));
      throw err; // database trouble: the queue retries
    }
  }

  async function taskStatus(userId: number, taskId: string) {
    const [row] = await db().select().from(mentorJobs).where(and(eq(mentorJobs.id, taskId), eq(mentorJobs.userId, userId))).limit(1);
    if (!row) throw MentorErrors.jobNotFound();
    if (row.status === 'pending') return { task_id: row.id, status: 'pending' as const };
    const [session] = await db().select().from(mentorSessions).where(eq(mentorSessions.id, row.sessionId)).limit(1);
    const sessionOut = session ? { id: session.id, mode: session.mode, date: session.date, metadata: session.metadata } : null;
    if (row.status === 'failed') return { task_id: row.id, status: 'failed' as const, detail: row.error === 'missing_chart' ? NO_CHART : 'The mentor could not answer. Please try again.', error: row.error, session: sessionOut };
    const [message] = await db().select().from(mentorMessages).where(eq(mentorMessages.id, row.replyMessageId!)).limit(1);
    return { task_id: row.id, status: 'ready' as const, message: message ? presentMessage(message) : null, session: sessionOut };
  }

  // ---- feed card ----

  /** §4.10: the mentor insight card from today's session (daily entry first), else a placeholder. */
  const insightCard = (userId: number): Promise<MentorCard | null> => card.read(userId);

  const extras = createMentorExtras(ctx, llm, card.changed);

  return {
    llm,
    knowledge,
    box,
    facts,
    chatSession,
    createSession,
    addMessage,
    chatTurn,
    streamReply,
    requireChart,
    targetUser,
    compare,
    generate,
    enqueue,
    runJob,
    taskStatus,
    insightCard,
    ...extras,
  };
}

export function presentMessage(m: MessageRow) {
  return { id: m.id, session_id: m.sessionId, role: m.role, content: m.content, meta: m.meta ?? null, created_at: m.createdAt.toISOString() };
}

export type MentorService = ReturnType<typeof createMentorService>;
