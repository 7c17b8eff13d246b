// The mentor's plain data paths: session and message lists, `sessions/ask` with its memory, daily
// tasks, the mentor profile, and the daily journal's sessions.
import { and, desc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { Llm } from '../../platform/llm/index.js';
import { MentorErrors } from './errors.js';
import { olderThan, paginate, type Keyset } from '../../platform/http/pagination.js';
import { mentorDailyTasks, mentorMemory, mentorMessages, mentorProfiles, mentorSessions, type DailyTaskRow, type MemoryEntry, type ProfileRow, type SessionRow } from './schema.js';
import { fallbackAnswer, sentimentOf } from './prompts.js';

export const DEFAULT_TODAY_TASK = 'Pause for five slow, conscious breaths and notice one feeling without judging it.';

export function presentSession(s: SessionRow) {
  return { id: s.id, question: s.question, answer: s.answer, sentiment: s.sentiment, created_at: s.createdAt.toISOString() };
}

export function presentTask(t: DailyTaskRow) {
  return { id: t.id, task: t.task, due_date: t.dueDate, status: t.status, created_at: t.createdAt.toISOString(), updated_at: t.updatedAt.toISOString() };
}

export function presentProfile(p: ProfileRow) {
  return { id: p.id, tone: p.tone, level: p.level, preferences: p.preferences };
}

/** `cardChanged`: the feed card's version bump (insight-card.ts), called after each write that can change it. */
export function createMentorExtras(ctx: Ctx, llm: Llm, cardChanged: (userId: number) => Promise<void>) {
  const db = () => ctx.db;

  async function listSessions(userId: number, cursor: Keyset | null, limit: number) {
    const rows = await db()
      .select()
      .from(mentorSessions)
      .where(and(eq(mentorSessions.userId, userId), olderThan(mentorSessions.createdAt, mentorSessions.id, cursor)))
      .orderBy(desc(mentorSessions.createdAt), desc(mentorSessions.id))
      .limit(limit + 1);
    return paginate(rows, limit);
  }

  async function ownSession(userId: number, id: number, mode?: string): Promise<SessionRow> {
    const [s] = await db().select().from(mentorSessions).where(and(eq(mentorSessions.id, id), eq(mentorSessions.userId, userId))).limit(1);
    if (!s || (mode && s.mode !== mode)) throw mode ? MentorErrors.dailySessionNotFound() : MentorErrors.sessionNotFound();
    return s;
  }

  async function listMessages(userId: number, cursor: Keyset | null, limit: number) {
    const rows = await db()
      .select()
      .from(mentorMessages)
      .where(and(eq(mentorMessages.userId, userId), olderThan(mentorMessages.createdAt, mentorMessages.id, cursor)))
      .orderBy(desc(mentorMessages.createdAt), desc(mentorMessages.id))
      .limit(limit + 1);
    return paginate(rows, limit);
  }

  /** `sessions/ask`: one-shot answer with keyword sentiment; a failing LLM gets the gentle fallback. */
  async function ask(userId: number, text: string, apiKey: string | null): Promise<SessionRow> {
    const sentiment = sentimentOf(text);
    const user = await ctx.services.users.getById(userId);
    const name = user?.name || user?.handle || 'friend';
    const [mem] = await db().select().from(mentorMemory).where(eq(mentorMemory.userId, userId)).limit(1);
    const entries = mem?.notes.entries ?? [];
    const topics = entries.slice(-3).map((e) => e.question.slice(0, 80));
    let answer: string;
    try {
      answer = await llm.complete({
        apiKey,
        maxTokens: 300,
        messages: [
          {
            role: 'system',
            content: `You are the SelfLink Mentor: compassionate, concise and warm. Acknowledge the emotional tone, give one grounded insight and end with one small doable task. No medical or diagnostic advice. Under 120 words.\nPerson: ${name}; locale ${user?.locale ?? 'en'}; bio: ${(user?.bio ?? '').slice(0, 200)}\nMemory: ${mem?.lastSummary || '(no summary yet)'}`,
          },
          { role: 'user', content: `${text}\n\n(Detected mood: ${sentiment}.${topics.length ? ` Recent topics: ${topics.join('; ')}.` : ''})` },
        ],
      });
    } catch {
      answer = fallbackAnswer(name, sentiment);
    }
    const session = await db().transaction(async (tx) => {
      const [s] = await tx.insert(mentorSessions).values({ userId, question: text, answer, sentiment, mode: 'daily_mentor', language: 'en' }).returning();
      const next: MemoryEntry[] = [...entries, { question: text, answer, sentiment, timestamp: new Date().toISOString() }].slice(-20);
      const sentiments = next.slice(-5).map((e) => e.sentiment);
      const qs = next.slice(-3).map((e) => e.question.slice(0, 40)).filter(Boolean);
      const summary = `Recent sentiments: ${sentiments.join(', ') || 'neutral'}.${qs.length ? ` Topics touched: ${qs.join('; ')}.` : ''}`;
      await tx
        .insert(mentorMemory)
        .values({ userId, notes: { entries: next }, lastSummary: summary })
        .onConflictDoUpdate({ target: mentorMemory.userId, set: { notes: { entries: next }, lastSummary: summary, updatedAt: new Date() } });
      return s;
    });
    await cardChanged(userId);
    return session;
  }

  // ---- daily tasks ----

  async function listTasks(userId: number, cursor: Keyset | null, limit: number) {
    const rows = await db()
      .select()
      .from(mentorDailyTasks)
      .where(and(eq(mentorDailyTasks.userId, userId), olderThan(mentorDailyTasks.createdAt, mentorDailyTasks.id, cursor)))
      .orderBy(desc(mentorDailyTasks.createdAt), desc(mentorDailyTasks.id))
      .limit(limit + 1);
    return paginate(rows, limit);
  }

  async function ownTask(userId: number, id: number): Promise<DailyTaskRow> {
    const [t] = await db().select().from(mentorDailyTasks).where(and(eq(mentorDailyTasks.id, id), eq(mentorDailyTasks.userId, userId))).limit(1);
    if (!t) throw MentorErrors.taskNotFound();
    return t;
  }

  async function createTask(userId: number, v: { task: string; dueDate: string; status?: string }) {
    const [t] = await db().insert(mentorDailyTasks).values({ userId, task: v.task, dueDate: v.dueDate, status: v.status ?? 'pending' }).returning();
    return t;
  }

  async function updateTask(userId: number, id: number, patch: Partial<{ task: string; dueDate: string; status: string }>) {
    await ownTask(userId, id);
    const [t] = await db().update(mentorDailyTasks).set({ ...patch, updatedAt: new Date() }).where(eq(mentorDailyTasks.id, id)).returning();
    return t;
  }

  async function deleteTask(userId: number, id: number) {
    await ownTask(userId, id);
    await db().delete(mentorDailyTasks).where(eq(mentorDailyTasks.id, id));
  }

  async function todayTask(userId: number, date: string) {
    const [t] = await db()
      .select()
      .from(mentorDailyTasks)
      .where(and(eq(mentorDailyTasks.userId, userId), eq(mentorDailyTasks.dueDate, date)))
      .orderBy(desc(mentorDailyTasks.createdAt), desc(mentorDailyTasks.id))
      .limit(1);
    return t ?? createTask(userId, { task: DEFAULT_TODAY_TASK, dueDate: date });
  }

  // ---- profile ----

  async function listProfiles(userId: number) {
    return db().select().from(mentorProfiles).where(eq(mentorProfiles.userId, userId));
  }

  async function ownProfile(userId: number, id: number) {
    const [p] = await db().select().from(mentorProfiles).where(and(eq(mentorProfiles.id, id), eq(mentorProfiles.userId, userId))).limit(1);
    if (!p) throw MentorErrors.profileNotFound();
    return p;
  }

  async function createProfile(userId: number, v: { tone?: string; level?: string; preferences?: unknown }) {
    const [p] = await db()
      .insert(mentorProfiles)
      .values({ userId, tone: v.tone ?? 'gentle', level: v.level ?? 'basic', preferences: v.preferences ?? {} })
      .onConflictDoNothing()
      .returning();
    if (!p) throw MentorErrors.profileExists();
    return p;
  }

  async function updateProfile(userId: number, id: number, v: { tone?: string; level?: string; preferences?: unknown }) {
    await ownProfile(userId, id);
    const patch: Partial<ProfileRow> = { updatedAt: new Date() };
    if (v.tone !== undefined) patch.tone = v.tone;
    if (v.level !== undefined) patch.level = v.level;
    if (v.preferences !== undefined) patch.preferences = v.preferences;
    const [p] = await db().update(mentorProfiles).set(patch).where(eq(mentorProfiles.id, id)).returning();
    return p;
  }

  async function deleteProfile(userId: number, id: number) {
    await ownProfile(userId, id);
    await db().delete(mentorProfiles).where(eq(mentorProfiles.id, id));
  }

  // ---- daily journal ----

  /** Finds the day's journal session (or makes one) and stores the entry as the user's message. */
  async function dailyEntry(userId: number, text: string, date: string, language: string | null) {
    const entry = await db().transaction(async (tx) => {
      const [found] = await tx
        .select()
        .from(mentorSessions)
        .where(and(eq(mentorSessions.userId, userId), eq(mentorSessions.mode, 'daily'), eq(mentorSessions.date, date)))
        .orderBy(desc(mentorSessions.createdAt), desc(mentorSessions.id))
        .limit(1);
      let session: SessionRow;
      if (found) {
        [session] = await tx
          .update(mentorSessions)
          .set({ question: text, language: language ?? found.language, updatedAt: new Date() })
          .where(eq(mentorSessions.id, found.id))
          .returning();
      } else {
        [session] = await tx.insert(mentorSessions).values({ userId, mode: 'daily', date, question: text, language, metadata: { date } }).returning();
      }
      const [request] = await tx.insert(mentorMessages).values({ sessionId: session.id, userId, role: 'user', content: text, meta: null }).returning();
      return { session, request };
    });
    await cardChanged(userId);
    return entry;
  }

  async function dailyHistory(userId: number, limit: number) {
    return db()
      .select()
      .from(mentorSessions)
      .where(and(eq(mentorSessions.userId, userId), eq(mentorSessions.mode, 'daily')))
      .orderBy(desc(mentorSessions.date), desc(mentorSessions.createdAt), desc(mentorSessions.id))
      .limit(limit);
  }

  async function sessionMessages(sessionId: number) {
    return db().select().from(mentorMessages).where(eq(mentorMessages.sessionId, sessionId)).orderBy(mentorMessages.createdAt, mentorMessages.id);
  }

  async function messagesByIds(ids: number[]) {
    if (!ids.length) return [];
    return db().select().from(mentorMessages).where(and(inArray(mentorMessages.id, ids), isNotNull(mentorMessages.id)));
  }

  return {
    listSessions,
    ownSession,
    listMessages,
    ask,
    listTasks,
    ownTask,
    createTask,
    updateTask,
    deleteTask,
    todayTask,
    listProfiles,
    ownProfile,
    createProfile,
    updateProfile,
    deleteProfile,
    dailyEntry,
    dailyHistory,
    sessionMessages,
    messagesByIds,
  };
}
