// Accounts and sessions: sign-up, login, refresh-token rotation, revocation, passwords, suspension,
// profile updates and the directory. Part of the one users service (service.ts).
import { and, desc, eq, ilike, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { type DbOrTx, type Tx, isUniqueViolation } from '../../platform/db/index.js';
import { prepared } from '../../platform/db/prepared.js';
import { handOutOnce, turnBatch } from '../../platform/db/turn-batch.js';
import { newJti, TokenError, type TokenClaims } from '../../platform/auth/tokens.js';
import { hashPassword, UNUSABLE_PASSWORD, verifyPassword } from '../../platform/auth/passwords.js';
import { ApiError, fieldError } from '../../platform/http/errors.js';
import { olderThan, paginate, type Keyset } from '../../platform/http/pagination.js';
import { authSessions, userProfiles, users, type UserRow } from './schema.js';
import { handleCandidates, normalizeHandle } from './handles.js';
import { USER_EVENTS, type Tokens, type NewUser } from './events.js';
import { notBlockedSql } from './graph.js';
import { UserErrors } from './errors.js';
import { userTag } from '../../platform/pages.js';

const invalidCredentials = () => new ApiError(400, { non_field_errors: ['Invalid credentials'] });

// Verifying against a fixed hash when the e-mail is unknown keeps login time flat (no account probing by timing).
let dummyHash: Promise<string> | null = null;

export function createAccounts(ctx: Ctx) {
  const db = () => ctx.db;

  async function getById(id: number, tx?: DbOrTx): Promise<UserRow | null> {
    if (tx) return (await tx.select().from(users).where(eq(users.id, id)).limit(1))[0] ?? null;
    return (await manyInTurn([id])).get(id) ?? null;
  }

  /** `from`: ctx.readDb on read-only paths that tolerate replication lag (other people's profiles). */
  async function getActive(id: number, from: DbOrTx = db()): Promise<UserRow> {
    const u = await getById(id, from);
    if (!u || !u.isActive) throw UserErrors.userNotFound();
    return u;
  }

  // A page's authors, on every post page: one array parameter keeps the statement's text fixed.
  const usersByIds = prepared('users_by_ids', (d) => d.select().from(users).where(sql`${users.id} = any(${sql.placeholder('ids')}::bigint[])`));
  // The lookups of one turn of the event loop (a send's recipient, a page's missing authors, sessions'
  // users, a follow's target, ...) go out as one query; an id two callers of the batch asked for comes
  // back to the second as its own copy.
  const manyInTurn = turnBatch(async (lists: number[][]): Promise<Map<number, UserRow>[]> => {
    const rows = await usersByIds(db()).execute({ ids: [...new Set(lists.flat())] });
    const byId = new Map(rows.map((r) => [r.id, r]));
    const handOut = handOutOnce<UserRow>();
    return lists.map((list) => {
      const out = new Map<number, UserRow>();
      for (const id of list) {
        const u = byId.get(id);
        if (u && !out.has(id)) out.set(id, handOut(u));
      }
      return out;
    });
  });
  async function getMany(ids: number[]): Promise<Map<number, UserRow>> {
    const unique = [...new Set(ids)];
    if (!unique.length) return new Map();
    return manyInTurn(unique);
  }

  /**
   * getMany for read paths that present users (post authors, thread members, message senders): the
   * session cache (session-cache.ts) serves it from rows at most SESSION_CACHE_TTL_MS old, dropped
   * with the user's sessions on every event that changes the row. Writes and checks use getMany.
   */
  const getManyForDisplay = (ids: number[]) => getMany(ids);

  async function handleTaken(handle: string, tx: DbOrTx): Promise<boolean> {
    const r = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.handle}) = ${handle.toLowerCase()}`).limit(1);
    return r.length > 0;
  }

  async function emailTaken(email: string, tx: DbOrTx): Promise<boolean> {
    const r = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = ${email.toLowerCase()}`).limit(1);
    return r.length > 0;
  }

  /** Creates an account and its profile row in one transaction; duplicates are 400 field errors. */
  async function createUser(input: NewUser): Promise<UserRow> {
    const email = input.email.trim();
    const passwordHash = input.password === null ? UNUSABLE_PASSWORD : await hashPassword(input.password);
    try {
      const user = await db().transaction(async (tx) => {
        if (await emailTaken(email, tx)) throw fieldError('email', 'user with this email already exists.');
        let handle: string | undefined;
        if (input.handle !== undefined && input.handle.trim() !== '') {
          handle = normalizeHandle(input.handle);
          if (!handle) throw fieldError('handle', 'Handle must contain letters or numbers.');
          if (await handleTaken(handle, tx)) throw fieldError('handle', 'Handle is already taken.');
        } else {
          for (const c of handleCandidates(input.name, email)) {
            if (!(await handleTaken(c, tx))) {
              handle = c;
              break;
            }
          }
          if (!handle) throw UserErrors.handleUnavailable();
        }
        const [row] = await tx
          .insert(users)
          .values({
            email,
            handle,
            name: input.name,
            password: passwordHash,
            isStaff: input.isStaff ?? false,
            isSuperuser: input.isSuperuser ?? false,
            roles: input.roles ?? [],
          })
          .returning();
        await tx.insert(userProfiles).values({ userId: row.id });
        await ctx.events.emit(USER_EVENTS.created, { userId: row.id }, tx);
        return row;
      });
      return user;
    } catch (err) {
      // A concurrent registration won the race for the same e-mail or handle.
      if (isUniqueViolation(err)) {
        const msg = String((err as { constraint?: string; cause?: { constraint?: string } }).constraint ?? (err as { cause?: { constraint?: string } }).cause?.constraint ?? '');
        if (msg.includes('handle')) throw fieldError('handle', 'Handle is already taken.');
        throw fieldError('email', 'user with this email already exists.');
      }
      throw err;
    }
  }

  async function issueTokens(userId: number, userAgent = '', tx: DbOrTx = db()): Promise<Tokens> {
    const refreshJti = newJti();
    const [session] = await tx.insert(authSessions).values({ userId, refreshJti, userAgent: userAgent.slice(0, 255) }).returning({ id: authSessions.id });
    const [token, refreshToken] = await Promise.all([ctx.tokens.sign('access', userId, session.id), ctx.tokens.sign('refresh', userId, session.id, refreshJti)]);
    return { token, refreshToken };
  }

  async function login(email: string, password: string, userAgent: string): Promise<{ user: UserRow; tokens: Tokens }> {
    const [user] = await db().select().from(users).where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`).limit(1);
    if (!user) {
      dummyHash ??= hashPassword('not-a-real-password');
      await verifyPassword(password, await dummyHash);
      throw invalidCredentials();
    }
    const v = await verifyPassword(password, user.password);
    if (!v.ok || !user.isActive) throw invalidCredentials();
    const patch: Partial<typeof users.$inferInsert> = { lastLogin: new Date() };
    if (v.needsRehash) patch.password = await hashPassword(password);
    await db().update(users).set(patch).where(eq(users.id, user.id));
    return { user, tokens: await issueTokens(user.id, userAgent) };
  }

  /** Rotates a refresh token. Reusing an already-rotated token revokes the whole session. */
  async function refresh(refreshToken: string): Promise<Tokens> {
    let claims: TokenClaims;
    try {
      claims = await ctx.tokens.verify(refreshToken, 'refresh');
    } catch (err) {
      if (err instanceof TokenError) throw UserErrors.tokenNotValid(err.message);
      throw err;
    }
    const nextJti = newJti();
    const rotated = await db()
      .update(authSessions)
      .set({ refreshJti: nextJti, lastUsedAt: new Date() })
      .where(and(eq(authSessions.id, claims.sid), eq(authSessions.refreshJti, claims.jti), isNull(authSessions.revokedAt)))
      .returning({ id: authSessions.id });
    if (!rotated.length) {
      await db().update(authSessions).set({ revokedAt: new Date() }).where(and(eq(authSessions.id, claims.sid), isNull(authSessions.revokedAt)));
      throw UserErrors.tokenNotValid();
    }
    const user = await getById(claims.user_id);
    if (!user || !user.isActive) throw UserErrors.userInactive();
    const [token, refreshTok] = await Promise.all([ctx.tokens.sign('access', claims.user_id, claims.sid), ctx.tokens.sign('refresh', claims.user_id, claims.sid, nextJti)]);
    return { token, refreshToken: refreshTok };
  }

  // 'session.revoked' lets the realtime gateway close the affected live sockets; it is written in
  // the revoking transaction, so sockets close only once the revocation committed.
  async function revokeSession(sid: number) {
    await db().transaction(async (tx) => {
      const rows = await tx.update(authSessions).set({ revokedAt: new Date() }).where(and(eq(authSessions.id, sid), isNull(authSessions.revokedAt))).returning({ userId: authSessions.userId });
      for (const r of rows) await ctx.events.emit('session.revoked', { userId: r.userId, sid }, tx);
    });
  }

  async function revokeAllSessions(userId: number, tx?: Tx) {
    const run = async (t: Tx) => {
      await t.update(authSessions).set({ revokedAt: new Date() }).where(and(eq(authSessions.userId, userId), isNull(authSessions.revokedAt)));
      await ctx.events.emit('session.revoked', { userId }, t);
    };
    if (tx) await run(tx);
    else await db().transaction(run);
  }

  // The hot path of every authenticated request (on a session-cache miss), prepared: the sessions
  // resolved in one turn of the event loop are one query. `live` is the session's user while the
  // session stands (null once revoked or gone).
  const resolveStmt = prepared('auth_resolve_sessions', (d) =>
    d
      .select({
        user: users,
        sid: sql<number | null>`"q"."sid"`.mapWith(Number),
        live: sql<number | null>`(select ${authSessions.userId} from ${authSessions} where ${authSessions.id} = "q"."sid" and ${authSessions.revokedAt} is null)`.mapWith(Number),
      })
      .from(sql`unnest(${sql.placeholder('uids')}::bigint[], ${sql.placeholder('sids')}::bigint[]) as q(uid, sid)`)
      .innerJoin(users, sql`${users.id} = "q"."uid"`),
  );
  type Resolved = { error: 'user_not_found' | 'user_inactive' | 'session_revoked' } | UserRow;
  const resolveInTurn = turnBatch(async (claims: TokenClaims[]): Promise<Resolved[]> => {
    const sid = (c: TokenClaims) => (Number.isSafeInteger(c.sid) ? c.sid : null);
    const rows = await resolveStmt(db()).execute({ uids: claims.map((c) => c.user_id), sids: claims.map(sid) });
    const found = new Map(rows.map((r) => [`${r.user.id}:${r.sid}`, r]));
    const handOut = handOutOnce<UserRow>();
    return claims.map((c): Resolved => {
      const row = found.get(`${c.user_id}:${sid(c)}`);
      if (!row) return { error: 'user_not_found' };
      if (!row.user.isActive) return { error: 'user_inactive' };
      if (row.live !== c.user_id) return { error: 'session_revoked' };
      return handOut(row.user);
    });
  });

  /** The user row and its session's state (one query per turn); its cache answers a kept one at once. */
  function resolveSession(claims: TokenClaims): Awaited<ReturnType<typeof resolveInTurn>> | ReturnType<typeof resolveInTurn> {
    return resolveInTurn(claims);
  }

  async function changePassword(userId: number, oldPassword: string, newPassword: string, userAgent: string): Promise<Tokens> {
    const user = await getById(userId);
    if (!user) throw UserErrors.notFound();
    const v = await verifyPassword(oldPassword, user.password);
    if (!v.ok) throw fieldError('old_password', 'Wrong password.');
    const hash = await hashPassword(newPassword);
    return db().transaction(async (tx) => {
      await tx.update(users).set({ password: hash, updatedAt: new Date() }).where(eq(users.id, userId));
      await revokeAllSessions(userId, tx);
      return issueTokens(userId, userAgent, tx);
    });
  }

  async function setPassword(userId: number, password: string) {
    const hash = await hashPassword(password);
    await db().transaction(async (tx) => {
      await tx.update(users).set({ password: hash, updatedAt: new Date() }).where(eq(users.id, userId));
      await revokeAllSessions(userId, tx);
    });
  }

  /**
   * Suspends or restores an account (in the caller's transaction when given); suspension ends every
   * session at once. Restoring announces `user.updated`, so search indexes the user again.
   */
  async function setActive(userId: number, active: boolean, outer?: Tx) {
    const run = async (tx: Tx) => {
      await tx.update(users).set({ isActive: active, updatedAt: new Date() }).where(eq(users.id, userId));
      if (!active) await revokeAllSessions(userId, tx);
      // (`reactivated`: the user's posts come back on pages that did not carry them; session-cache.ts)
      await ctx.events.emit(active ? USER_EVENTS.updated : USER_EVENTS.deactivated, active ? { userId, reactivated: true } : { userId }, tx);
    };
    if (outer) return run(outer); // (its event drops the pages once the caller commits)
    await db().transaction(run);
    // Pages change at once, not when the event is relayed.
    if (active) ctx.pages.dropAll();
    else ctx.pages.drop([userTag(userId)]);
  }

  /** The event commits with the change, in the caller's transaction when given. */
  async function update(userId: number, patch: Partial<typeof users.$inferInsert>, tx?: Tx): Promise<UserRow> {
    const run = async (t: Tx) => {
      const [row] = await t.update(users).set({ ...patch, updatedAt: new Date() }).where(eq(users.id, userId)).returning();
      if (!row) throw UserErrors.notFound();
      await ctx.events.emit(USER_EVENTS.updated, { userId }, t);
      return row;
    };
    return tx ? run(tx) : db().transaction(run);
  }

  async function list(opts: { q?: string; cursor: Keyset | null; limit: number; viewerId?: number | null }) {
    const conds = [eq(users.isActive, true), olderThan(users.createdAt, users.id, opts.cursor)];
    // A user blocked either way never appears in the other's directory or search.
    if (opts.viewerId != null) conds.push(notBlockedSql(opts.viewerId, users.id));
    for (const term of (opts.q ?? '').trim().split(/\s+/).filter(Boolean)) {
      const like = `%${term.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
      conds.push(or(ilike(users.handle, like), ilike(users.name, like)));
    }
    const rows = await db()
      .select()
      .from(users)
      .where(and(...conds))
      .orderBy(desc(users.createdAt), desc(users.id))
      .limit(opts.limit + 1);
    return paginate(rows, opts.limit);
  }
  async function findByEmail(email: string): Promise<UserRow | null> {
    const [u] = await db().select().from(users).where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`).limit(1);
    return u ?? null;
  }

  /** Users by handle, case-insensitively (mentions); unknown handles are simply absent. */
  async function findByHandles(handles: string[]): Promise<UserRow[]> {
    const wanted = [...new Set(handles.map((h) => h.toLowerCase()))];
    if (!wanted.length) return [];
    return db().select().from(users).where(inArray(sql`lower(${users.handle})`, wanted));
  }

  return {
    getById,
    getActive,
    getMany,
    getManyForDisplay,
    createUser,
    issueTokens,
    login,
    refresh,
    revokeSession,
    revokeAllSessions,
    resolveSession,
    changePassword,
    setPassword,
    setActive,
    update,
    list,
    findByEmail,
    findByHandles,
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
