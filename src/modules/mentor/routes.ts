// Mentor endpoints (intelligence contract §2, mobile-usage §3.5).
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { declareRouteErrors, fieldError } from '../../platform/http/errors.js';
import { MentorErrors } from './errors.js';
import { clampPageSize, cursorPage, decodeCursor } from '../../platform/http/pagination.js';
import { DateString, IdParam, isRealDate, PageQuery } from '../../platform/http/schemas.js';
import { me } from '../users/present.js';
import { normalizeLanguage } from './personas.js';
import { presentMessage, llmFailure } from './service.js';
import { today } from './day.js';
import { presentProfile, presentSession, presentTask } from './extras.js';
import { DEFAULT_MODE, enforceRps, llmKey, MAX_MESSAGE, MAX_MODE, mentorScope, wantsAsync } from './http.js';
import { registerStreamRoute } from './stream.js';
import { LlmError } from '../../platform/llm/index.js';

const tags = ['mentor'];
const AsyncQuery = Type.Object({ async: Type.Optional(Type.String({ maxLength: 8 })) });
const TaskStatus = Type.Union([Type.Literal('pending'), Type.Literal('completed'), Type.Literal('skipped')]);
const statusUrl = (id: string) => `/api/v1/mentor/task-status/${id}/`;

async function guarded<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof LlmError) throw llmFailure(err);
    throw err;
  }
}

export async function registerMentorRoutes(app: App, ctx: Ctx) {
  const E = MentorErrors.specs;
  declareRouteErrors(app, [
    ['*', /\/mentor\/sessions\/:id$/, [E.sessionNotFound]],
    ['*', /\/mentor\/tasks\/:id$/, [E.taskNotFound]],
    ['*', /\/mentor\/profile\/:id$/, [E.profileNotFound]],
    ['POST', /\/mentor\/profile$/, [E.profileExists]],
    ['POST', /\/mentor\/chat$/, [E.messageRequired, E.llmUnavailable]],
    ['POST', /\/mentor\/natal$/, [E.missingChart, E.llmUnavailable]],
    ['GET', /\/mentor\/soulmatch\/:user_id$/, [E.selfMatch, E.userNotFound, E.llmUnavailable]],
    ['GET', /\/mentor\/daily$/, [E.missingChart, E.llmUnavailable]],
    ['POST', /\/mentor\/daily\/entry$/, [E.llmUnavailable]],
    ['GET', /\/mentor\/daily\/session\/:session_id$/, [E.dailySessionNotFound]],
    ['GET', /\/mentor\/task-status\/:task_id$/, [E.jobNotFound]],
  ]);
  const svc = ctx.services.mentor;
  const scope = mentorScope(ctx);
  const uid = (req: FastifyRequest) => me(req).id;
  const page = (req: FastifyRequest & { query: { cursor?: string; page_size?: number } }) => ({ cursor: decodeCursor(req.query.cursor), limit: clampPageSize(req.query.page_size, 20, 100) });

  // ---- sessions ----
  app.get('/mentor/sessions', { config: { rateLimit: scope }, schema: { tags, querystring: Type.Object(PageQuery) } }, async (req) => {
    const p = page(req);
    const r = await svc.listSessions(uid(req), p.cursor, p.limit);
    return cursorPage(req, ctx.config.publicBaseUrl, r.nextCursor, r.rows.map(presentSession));
  });

  app.post(
    '/mentor/sessions/ask',
    {
      config: { rateLimit: [...scope, { name: 'mentor_ask', by: 'user', limit: 30, windowMs: 60_000 }] },
      schema: { tags, body: Type.Object({ text: Type.String({ maxLength: 2048 }) }, { additionalProperties: false }) },
    },
    async (req, reply) => {
      const text = req.body.text.trim();
      if (!text) throw fieldError('text', 'This field may not be blank.');
      return reply.status(201).send(presentSession(await svc.ask(uid(req), text, llmKey(req))));
    },
  );

  app.get('/mentor/sessions/:id', { config: { rateLimit: scope }, schema: { tags, params: IdParam } }, async (req) => presentSession(await svc.ownSession(uid(req), req.params.id)));

  // ---- daily tasks ----
  const dueDate = (d: string) => {
    if (!isRealDate(d)) throw fieldError('due_date', 'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.');
    if (d < today()) throw fieldError('due_date', 'Due date cannot be in the past');
    return d;
  };
  const TaskBody = { task: Type.String({ minLength: 1, maxLength: 255 }), due_date: DateString, status: Type.Optional(TaskStatus) };

  app.get('/mentor/tasks', { schema: { tags, querystring: Type.Object(PageQuery) } }, async (req) => {
    const p = page(req);
    const r = await svc.listTasks(uid(req), p.cursor, p.limit);
    return cursorPage(req, ctx.config.publicBaseUrl, r.nextCursor, r.rows.map(presentTask));
  });
  app.post('/mentor/tasks', { schema: { tags, body: Type.Object(TaskBody, { additionalProperties: false }) } }, async (req, reply) => {
    const b = req.body;
    if (!b.task.trim()) throw fieldError('task', 'This field may not be blank.');
    const t = await svc.createTask(uid(req), { task: b.task.trim(), dueDate: dueDate(b.due_date), status: b.status });
    return reply.status(201).send(presentTask(t));
  });
  app.get('/mentor/tasks/today', { schema: { tags } }, async (req) => presentTask(await svc.todayTask(uid(req), today())));
  app.get('/mentor/tasks/:id', { schema: { tags, params: IdParam } }, async (req) => presentTask(await svc.ownTask(uid(req), req.params.id)));
  const updateTask = (partial: boolean) => async (req: FastifyRequest<{ Params: { id: number }; Body: { task?: string; due_date?: string; status?: 'pending' | 'completed' | 'skipped' } }>) => {
    const b = req.body;
    await svc.ownTask(uid(req), req.params.id);
    const patch: { task?: string; dueDate?: string; status?: string } = {};
    if (b.task !== undefined) {
      if (!b.task.trim()) throw fieldError('task', 'This field may not be blank.');
      patch.task = b.task.trim();
    }
    if (b.due_date !== undefined) patch.dueDate = dueDate(b.due_date);
    if (b.status !== undefined) patch.status = b.status;
    if (!partial && (patch.task === undefined || patch.dueDate === undefined)) throw fieldError(patch.task === undefined ? 'task' : 'due_date', 'This field is required.');
    return presentTask(await svc.updateTask(uid(req), req.params.id, patch));
  };
  const PartialTask = Type.Object({ task: Type.Optional(TaskBody.task), due_date: Type.Optional(DateString), status: Type.Optional(TaskStatus) }, { additionalProperties: false });
  app.put('/mentor/tasks/:id', { schema: { tags, params: IdParam, body: PartialTask } }, updateTask(false));
  app.patch('/mentor/tasks/:id', { schema: { tags, params: IdParam, body: PartialTask } }, updateTask(true));
  app.delete('/mentor/tasks/:id', { schema: { tags, params: IdParam } }, async (req, reply) => {
    await svc.deleteTask(uid(req), req.params.id);
    return reply.status(204).send();
  });

  // ---- profile ----
  const ProfileBody = Type.Object(
    { tone: Type.Optional(Type.String({ maxLength: 32 })), level: Type.Optional(Type.String({ maxLength: 32 })), preferences: Type.Optional(Type.Unknown()) },
    { additionalProperties: false },
  );
  app.get('/mentor/profile', { config: { rateLimit: scope }, schema: { tags, querystring: Type.Object(PageQuery) } }, async (req) => ({
    next: null,
    previous: null,
    results: (await svc.listProfiles(uid(req))).map(presentProfile),
  }));
  app.post('/mentor/profile', { config: { rateLimit: scope }, schema: { tags, body: ProfileBody } }, async (req, reply) => reply.status(201).send(presentProfile(await svc.createProfile(uid(req), req.body))));
  app.get('/mentor/profile/:id', { config: { rateLimit: scope }, schema: { tags, params: IdParam } }, async (req) => presentProfile(await svc.ownProfile(uid(req), req.params.id)));
  for (const method of ['put', 'patch'] as const) {
    app[method]('/mentor/profile/:id', { config: { rateLimit: scope }, schema: { tags, params: IdParam, body: ProfileBody } }, async (req) =>
      presentProfile(await svc.updateProfile(uid(req), req.params.id, req.body)),
    );
  }
  app.delete('/mentor/profile/:id', { config: { rateLimit: scope }, schema: { tags, params: IdParam } }, async (req, reply) => {
    await svc.deleteProfile(uid(req), req.params.id);
    return reply.status(204).send();
  });

  // ---- chat ----
  app.post(
    '/mentor/chat',
    {
      config: { rateLimit: scope },
      schema: {
        tags,
        description: 'Sync by default: 200 {reply, message, session_id, mode}. `?async=true` / `X-Async: true`: 202 with a task.',
        querystring: AsyncQuery,
        body: Type.Object(
          {
            message: Type.Optional(Type.String({ maxLength: MAX_MESSAGE })),
            mode: Type.Optional(Type.Union([Type.String({ maxLength: MAX_MODE }), Type.Null()])),
            language: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const user = me(req);
      const text = (req.body.message ?? '').trim();
      if (!text) throw MentorErrors.messageRequired();
      await enforceRps(ctx, user.id);
      const mode = req.body.mode?.trim() || DEFAULT_MODE;
      const lang = normalizeLanguage(req.body.language);
      const turn = await svc.chatTurn(user.id, text, mode, lang);
      if (wantsAsync(req, false) && !turn.reply) {
        const taskId = await svc.enqueue('chat', turn.session, turn.request, { mode, language: lang }, llmKey(req));
        return reply.status(202).send({ session_id: turn.session.id, mode, message_id: turn.request.id, task_id: taskId, task_status_url: statusUrl(taskId) });
      }
      const r = turn.reply ?? (await guarded(() => svc.streamReply(turn.session, turn.request, { apiKey: llmKey(req) })));
      return {
        reply: r.content,
        message: r.content,
        mentor_reply: r.content,
        session_id: turn.session.id,
        user_message_id: turn.request.id,
        mentor_message_id: r.id,
        mode,
        language: lang,
        meta: { user_flags: {}, mentor_flags: {} },
      };
    },
  );
  registerStreamRoute(app, ctx);

  // ---- structured readings ----
  app.post('/mentor/natal', { config: { rateLimit: scope }, schema: { tags, querystring: AsyncQuery } }, async (req, reply) => {
    const userId = uid(req);
    await svc.requireChart(userId);
    const session = await svc.createSession({ userId, mode: 'natal_mentor', language: null, question: 'Natal mentor request', metadata: {} });
    const request = await svc.addMessage({ sessionId: session.id, userId, role: 'user', content: 'Natal mentor request', meta: {} });
    if (wantsAsync(req, true)) {
      const taskId = await svc.enqueue('natal', session, request, {}, llmKey(req));
      return reply.status(202).send({ session_id: session.id, message_id: request.id, task_id: taskId, task_status_url: statusUrl(taskId) });
    }
    const { reply: r } = await guarded(() => svc.generate('natal', session, request, {}, llmKey(req)));
    return { mentor_text: r.content, generated_at: r.createdAt.toISOString(), session_id: session.id };
  });

  app.get(
    '/mentor/soulmatch/:user_id',
    { config: { rateLimit: scope }, schema: { tags, querystring: AsyncQuery, params: Type.Object({ user_id: Type.Integer({ minimum: 1, maximum: 999_999_999_999_999 }) }) } },
    async (req, reply) => {
      const userId = uid(req);
      const targetId = req.params.user_id;
      const target = await svc.targetUser(userId, targetId);
      const content = `Soulmatch mentor request for user ${targetId}`;
      if (wantsAsync(req, true)) {
        const session = await svc.createSession({ userId, mode: 'soulmatch', language: null, question: content, metadata: { target_user_id: targetId } });
        const request = await svc.addMessage({ sessionId: session.id, userId, role: 'user', content, meta: { target_user_id: targetId } });
        const taskId = await svc.enqueue('soulmatch', session, request, { target_user_id: targetId }, llmKey(req));
        return reply.status(202).send({ session_id: session.id, message_id: request.id, task_id: taskId, task_status_url: statusUrl(taskId) });
      }
      const result = await svc.compare(userId, targetId);
      const session = await svc.createSession({ userId, mode: 'soulmatch', language: null, question: content, metadata: { target_user_id: targetId } });
      const request = await svc.addMessage({ sessionId: session.id, userId, role: 'user', content, meta: { target_user_id: targetId } });
      const { reply: r } = await guarded(() => svc.generate('soulmatch', session, request, { target_user_id: targetId }, llmKey(req)));
      return {
        ...(result ?? {}),
        user_id: targetId,
        score: result?.score ?? null,
        components: result?.components ?? {},
        tags: result?.tags ?? [],
        mentor_text: r.content,
        user: { id: target.id, handle: target.handle, name: target.name, ...(result?.user ?? {}) },
      };
    },
  );

  app.get('/mentor/daily', { config: { rateLimit: scope }, schema: { tags, querystring: AsyncQuery } }, async (req, reply) => {
    const userId = uid(req);
    await svc.requireChart(userId);
    const date = today();
    const session = await svc.createSession({ userId, mode: 'daily_mentor', language: null, date, question: 'Daily mentor request', metadata: { date } });
    const request = await svc.addMessage({ sessionId: session.id, userId, role: 'user', content: 'Daily mentor request', meta: { date } });
    if (wantsAsync(req, true)) {
      const taskId = await svc.enqueue('daily', session, request, { date }, llmKey(req));
      return reply.status(202).send({ session_id: session.id, message_id: request.id, task_id: taskId, date, task_status_url: statusUrl(taskId) });
    }
    const { reply: r } = await guarded(() => svc.generate('daily', session, request, { date }, llmKey(req)));
    return { date, messages: r.content.split('\n'), session_id: session.id };
  });

  // ---- daily journal ----
  app.post(
    '/mentor/daily/entry',
    {
      config: { rateLimit: scope },
      schema: {
        tags,
        querystring: AsyncQuery,
        body: Type.Object(
          {
            text: Type.String({ maxLength: 4096 }),
            date: Type.Optional(Type.Union([DateString, Type.Null()])),
            language: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const userId = uid(req);
      const text = req.body.text.trim();
      if (!text) throw fieldError('text', 'This field may not be blank.');
      const date = req.body.date ?? today();
      if (!isRealDate(date)) throw fieldError('date', 'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.');
      await enforceRps(ctx, userId);
      const language = req.body.language?.trim() ? normalizeLanguage(req.body.language) : null;
      const { session, request } = await svc.dailyEntry(userId, text, date, language);
      if (wantsAsync(req, ctx.config.mentor.asyncDefault)) {
        const taskId = await svc.enqueue('entry', session, request, {}, null);
        return reply
          .status(202)
          .send({ session_id: session.id, date, entry: text, message_id: request.id, task_id: taskId, task_status_url: statusUrl(taskId), language: session.language, meta: { user_flags: {} } });
      }
      const { reply: r } = await guarded(() => svc.generate('entry', session, request, {}, null));
      return {
        session_id: session.id,
        date,
        entry: text,
        reply: r.content,
        messages: [
          { role: 'user', content: request.content, id: request.id },
          { role: 'assistant', content: r.content, id: r.id },
        ],
        language: session.language,
        meta: { user_flags: {}, mentor_flags: {} },
      };
    },
  );

  app.get(
    '/mentor/daily/history',
    { schema: { tags, querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 })) }) } },
    async (req) => {
      const rows = await svc.dailyHistory(uid(req), req.query.limit ?? 7);
      return { results: rows.map((s) => ({ session_id: s.id, date: s.date, entry_preview: s.question.slice(0, 120), reply_preview: s.answer.slice(0, 120) })) };
    },
  );

  app.get('/mentor/daily/session/:session_id', { schema: { tags, params: Type.Object({ session_id: Type.String({ maxLength: 32 }) }) } }, async (req) => {
    const id = /^[1-9]\d{0,14}$/.test(req.params.session_id) ? Number(req.params.session_id) : null;
    if (id === null) throw MentorErrors.dailySessionNotFound();
    const s = await svc.ownSession(uid(req), id, 'daily');
    const msgs = await svc.sessionMessages(s.id);
    return {
      session_id: s.id,
      date: s.date,
      language: s.language,
      entry: s.question,
      reply: s.answer,
      messages: msgs.map((m) => ({ id: m.id, role: m.role, content: m.content, created_at: m.createdAt.toISOString() })),
    };
  });

  // ---- history and tasks ----
  app.get('/mentor/history', { schema: { tags, querystring: Type.Object(PageQuery) } }, async (req) => {
    const p = page(req);
    const r = await svc.listMessages(uid(req), p.cursor, p.limit);
    return cursorPage(req, ctx.config.publicBaseUrl, r.nextCursor, r.rows.map(presentMessage));
  });

  app.get('/mentor/task-status/:task_id', { schema: { tags, params: Type.Object({ task_id: Type.String({ maxLength: 200 }) }) } }, async (req) => svc.taskStatus(uid(req), req.params.task_id));
}
