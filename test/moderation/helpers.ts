import { eq } from 'drizzle-orm';
import type { TestApp, TestUser } from '../support/app.js';
import { users } from '../../src/modules/users/schema.js';

export async function makeStaff(t: TestApp, u: TestUser, how: 'staff' | 'role' = 'staff') {
  await t.ctx.db
    .update(users)
    .set(how === 'staff' ? { isStaff: true } : { roles: ['moderation_team'] })
    .where(eq(users.id, u.id));
}

/** A real post by `u`, made over HTTP, so reports and enforcements go through the social module's own wiring. */
export async function postBy(u: TestUser, text = 'something to report'): Promise<number> {
  const res = await u.req({ method: 'POST', url: '/api/v1/posts/', body: { text } });
  if (res.statusCode !== 201) throw new Error(`post failed: ${res.statusCode} ${res.body}`);
  return res.json().id;
}

/** A real comment by `u` on `postId`, made over HTTP. */
export async function commentBy(u: TestUser, postId: number, text = 'a comment'): Promise<number> {
  const res = await u.req({ method: 'POST', url: '/api/v1/comments/', body: { post: postId, text } });
  if (res.statusCode !== 201) throw new Error(`comment failed: ${res.statusCode} ${res.body}`);
  return res.json().id;
}
