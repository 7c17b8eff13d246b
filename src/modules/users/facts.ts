// Read-only facts other modules need about users' birth data, profiles and matching candidates
// (astro, matrix, SoulMatch): batched, so a recommendation page costs a fixed number of queries.
import { and, asc, desc, eq, gt, inArray, like, ne } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { mutes, personalMaps, userProfiles, users } from './schema.js';

export type ProfileFacts = typeof userProfiles.$inferSelect;
export type PersonalMapFacts = typeof personalMaps.$inferSelect;

export function createUserFacts(ctx: Ctx) {
  return {
    /** user_profiles rows by user id (users without a row are absent). */
    async profilesOf(ids: number[]): Promise<Map<number, ProfileFacts>> {
      if (!ids.length) return new Map();
      const rows = await ctx.db.select().from(userProfiles).where(inArray(userProfiles.userId, [...new Set(ids)]));
      return new Map(rows.map((r) => [r.userId, r]));
    },
    async personalMapOf(id: number): Promise<PersonalMapFacts | null> {
      const [row] = await ctx.db.select().from(personalMaps).where(eq(personalMaps.userId, id));
      return row ?? null;
    },
    /** Newest active users except `excludeId` (matching candidates): -created_at, id. */
    async recentActive(excludeId: number, limit: number) {
      return ctx.db
        .select()
        .from(users)
        .where(and(eq(users.isActive, true), ne(users.id, excludeId)))
        .orderBy(desc(users.createdAt), asc(users.id))
        .limit(limit);
    },
    /** Ids `userId` muted. */
    async mutedIds(userId: number): Promise<Set<number>> {
      const rows = await ctx.db.select({ t: mutes.targetId }).from(mutes).where(eq(mutes.userId, userId));
      return new Set(rows.map((r) => r.t));
    },
    /** Birth facts of users whose e-mail ends with `@domain`, by id pages (demo seeding). */
    async birthFactsPage(domain: string, afterId: number, limit: number) {
      return ctx.db
        .select({ id: users.id, birthDate: users.birthDate, birthTime: users.birthTime, birthPlace: users.birthPlace, city: personalMaps.birthPlaceCity, country: personalMaps.birthPlaceCountry })
        .from(users)
        .leftJoin(personalMaps, eq(personalMaps.userId, users.id))
        .where(and(like(users.email, `%@${domain}`), gt(users.id, afterId)))
        .orderBy(asc(users.id))
        .limit(limit);
    },
  };
}
