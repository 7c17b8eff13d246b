// The mentor's feed card (§4.10): today's answer, read on every first feed page, so it is cached in
// the key-value store. Every write that can change it gives the user's card a new version (after
// its commit); an entry holds the version it was read under and a read with another version is a
// miss. A read racing a write therefore never keeps the old card: it stored the version it saw
// before its query, and the write's new version no longer matches it.
import { randomUUID } from 'node:crypto';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { prepared } from '../../platform/db/prepared.js';
import { today } from './day.js';
import { shorten } from './prompts.js';
import { mentorSessions } from './schema.js';

export type MentorCard = { title: string; subtitle: string; cta: string };

// Its own key family: a user who never wrote has no version, which is not a cache miss.
const versionKey = (userId: number) => `mentor_version:${userId}`;
const cardKey = (userId: number, day: string) => `mentor:card:${userId}:${day}`;
// An entry lives 10 minutes at most (what a version change lost to a Redis outage can cost); a
// version outlives every entry read under it.
const CARD_TTL_MS = 600_000;
const VERSION_TTL_MS = 2 * 86_400_000;
const NO_VERSION = '-';

export function createInsightCard(ctx: Ctx) {
  const todaysAnswer = prepared('mentor_insight_card', (d) => {
    const day = sql.placeholder('day');
    return d
      .select({ answer: mentorSessions.answer, mode: mentorSessions.mode })
      .from(mentorSessions)
      .where(and(eq(mentorSessions.userId, sql.placeholder('user')), sql`(${mentorSessions.date} = ${day}::date or (${mentorSessions.date} is null and ${mentorSessions.updatedAt} >= ${day}::date))`, sql`${mentorSessions.answer} <> ''`))
      .orderBy(sql`case when ${mentorSessions.mode} = 'daily' then 0 else 1 end`, desc(mentorSessions.updatedAt), desc(mentorSessions.id))
      .limit(1);
  });

  async function fromDb(userId: number, day: string): Promise<MentorCard> {
    const rows = await todaysAnswer(ctx.db).execute({ user: userId, day });
    if (rows[0]) return { title: "Today's insight", subtitle: shorten(rows[0].answer), cta: 'Open mentor' };
    return { title: "Today's insight", subtitle: 'Your daily insight is not ready yet. Tap to open the Mentor.', cta: 'Open mentor' };
  }

  /** Today's card: the daily entry's answer first, else the newest answered session of today, else a placeholder. */
  async function read(userId: number): Promise<MentorCard> {
    const day = today();
    let v = NO_VERSION;
    try {
      const [version, cached] = await ctx.kv.getMany([versionKey(userId), cardKey(userId, day)]);
      v = version ?? NO_VERSION;
      if (cached) {
        const e = JSON.parse(cached) as { v: string; card: MentorCard };
        if (e.v === v) return e.card;
      }
    } catch (err) {
      ctx.log.warn({ err }, 'mentor card cache read failed');
      return fromDb(userId, day);
    }
    const card = await fromDb(userId, day);
    await ctx.kv.set(cardKey(userId, day), JSON.stringify({ v, card }), CARD_TTL_MS).catch((err: unknown) => ctx.log.warn({ err }, 'mentor card cache write failed'));
    return card;
  }

  /**
   * Called after (never inside) the transaction of a write to the user's mentor sessions. Never throws:
   * the write has committed; without Redis the card is read from PostgreSQL anyway.
   */
  async function changed(userId: number) {
    await ctx.kv.set(versionKey(userId), randomUUID(), VERSION_TTL_MS).catch((err: unknown) => ctx.log.warn({ err }, 'mentor card version change failed'));
    ctx.services.feed.insights.changed(userId);
  }

  return { read, changed };
}

export type InsightCard = ReturnType<typeof createInsightCard>;
