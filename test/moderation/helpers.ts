import { eq } from 'drizzle-orm';
import type { TestApp, TestUser } from '../support/app.js';
import { users } from '../../src/modules/users/schema.js';

export async function makeStaff(t: TestApp, u: TestUser, how: 'staff' | 'role' = 'staff') {
  await t.ctx.db
    .update(users)
    .set(how === 'staff' ? { isStaff: true } : { roles: ['moderation_team'] })
    .where(eq(users.id, u.id));
}

/** A stand-in for the social module's post target (ids below 1000 exist, owned by `owner`). */
export function registerFakePosts(t: TestApp, owner: () => number) {
  t.ctx.services.moderation.registerTarget('post', {
    exists: async (id) => id < 1000,
    ownerId: async (id) => (id < 1000 ? owner() : null),
  });
}
