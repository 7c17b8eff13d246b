// Operator commands' writes to the users tables (bootstrap-admin, load-fixtures), kept in the module so
// commands go through ctx.services.users like everything else.
import { eq, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { follows, userProfiles, users } from './schema.js';
import { normalizeHandle } from './handles.js';

const ADMIN_ROLES = ['moderation_team', 'config_admin', 'support_staff'];

/** One user as the original server's dumpdata has it (password already a Django hash or unusable). */
export interface LegacyUser {
  email: string;
  handle: string;
  name: string;
  bio: string;
  photo: string;
  birthDate: string | null;
  birthTime: string | null;
  birthPlace: string;
  locale: string;
  password: string;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
}

export function createUserMaintenance(ctx: Ctx) {
  return {
    ADMIN_ROLES,
    /** Makes a user an active superuser with every staff role. */
    async grantAdmin(userId: number): Promise<void> {
      await ctx.db.update(users).set({ isStaff: true, isSuperuser: true, isActive: true, roles: ADMIN_ROLES }).where(eq(users.id, userId));
    },
    normalizeHandle,
    /** Inserts a user from a legacy export (and its profile row); null when the email or handle is taken. */
    async importLegacyUser(u: LegacyUser): Promise<number | null> {
      const [row] = await ctx.db.insert(users).values(u).onConflictDoNothing().returning({ id: users.id });
      if (!row) return null;
      await ctx.db.insert(userProfiles).values({ userId: row.id }).onConflictDoNothing();
      return row.id;
    },
    /** Inserts a follow edge from a legacy export; true when it was new. Counters: recountFollows(). */
    async importLegacyFollow(followerId: number, followeeId: number): Promise<boolean> {
      const ins = await ctx.db.insert(follows).values({ followerId, followeeId }).onConflictDoNothing().returning();
      return ins.length > 0;
    },
    /** Recomputes every user's follower/following counters from the follow edges. */
    async recountFollows(): Promise<void> {
      await ctx.db.execute(sql`update users u set followers_count = (select count(*) from follows where followee_id = u.id), following_count = (select count(*) from follows where follower_id = u.id)`);
    },
  };
}
