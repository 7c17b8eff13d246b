// users.posts_count, kept exact by the social module's writes: inside its own transaction, or as a
// CTE of its one-statement writes (a text post, the text posts of one turn). Part of the one users
// service (service.ts); the session cache wraps adjustPostsCount and postsCountChanged.
import { and, eq, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { DbOrTx } from '../../platform/db/index.js';
import { users } from './schema.js';

export function createPostsCount(ctx: Ctx) {
  const db = () => ctx.db;
  /** Keeps users.posts_count exact; the social module calls it inside its own transaction. */
  const postsCountBy = (delta: number) => ({ postsCount: sql`greatest(${users.postsCount} + ${delta}, 0)` });
  async function adjustPostsCount(userId: number, delta: number, tx: DbOrTx = db()) {
    await tx.update(users).set(postsCountBy(delta)).where(eq(users.id, userId));
  }

  /**
   * adjustPostsCount() as a CTE of another module's one-statement write, applied when `when` holds.
   * `userId` may be a placeholder (a prepared statement). Call postsCountChanged(userId) once it ran.
   */
  function postsCountCte(q: DbOrTx, alias: string, userId: number | Placeholder, delta: number, when: SQL) {
    return q.$with(alias).as(q.update(users).set(postsCountBy(delta)).where(and(eq(users.id, userId), when)).returning({ id: users.id }));
  }

  /**
   * postsCountCte() for several users at once: `counts` is a subquery of (user id, posts added) rows,
   * one per user. Call postsCountChanged() for each of them once it ran.
   */
  function postsCountsCte(q: DbOrTx, alias: string, counts: SQL) {
    return q
      .$with(alias, { id: sql<number>`id`.as('id') })
      .as(sql`update ${users} set posts_count = greatest(${users.postsCount} + c.n, 0) from ${counts} as c(user_id, n) where ${users.id} = c.user_id returning ${users.id}`);
  }

  /**
   * After a statement with postsCountCte() (or adjustPostsCount()) for `userId` committed: the
   * session cache drops their row on every instance, so their next read shows the new count.
   */
  async function postsCountChanged(_userId: number): Promise<void> {}

  return { adjustPostsCount, postsCountCte, postsCountsCte, postsCountChanged };
}
