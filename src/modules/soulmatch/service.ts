// The soulmatch module's rules: one comparison (soulmatch/with), ranked recommendations with lenses
// and diversification, the async placeholder, the feed card, and the legacy v1 scores.
import { createHash, randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { UserRow } from '../users/schema.js';
import { SoulmatchErrors } from './errors.js';
import { lifePath } from '../matrix/service.js';
import { grantedExplainLevel } from './entitlement.js';
import { soulmatchProfiles, soulmatchResults, soulmatchScores } from './schema.js';
import { assignLens, calculate, diversify, explanationFor, isEmptyProfile, LENS_LABEL, LENS_REASON, timing, type ExplainLevel, type Lens, type MatchResult, type MatchSide } from './score.js';

export const SOULMATCH_JOBS = { compute: 'soulmatch.compute', insight: 'soulmatch.insight' } as const;
export type Mode = 'compat' | 'dating';
export const CANDIDATE_LIMIT = 500;
export const RESULT_LIMIT = 20;
const INSIGHT_TTL_MS = 26 * 3_600_000;
const today = () => new Date().toISOString().slice(0, 10);
export const soulmatchCardKey = (userId: number, date = today()) => `soulmatch_insight:${userId}:${date}`;

export interface CompareOptions {
  mode?: Mode;
  includeMeta?: boolean;
  explain?: ExplainLevel;
}

const userSummary = (u: UserRow, photo: string) => ({ id: u.id, handle: u.handle, name: u.name, photo });

export function createSoulmatchService(ctx: Ctx) {
  const db = () => ctx.db;
  const rules = () => ctx.config.intelligence.matchRulesVersion;
  const users = () => ctx.services.users;

  /** Everything scoring needs about many users, in three batched queries. */
  async function sidesOf(rows: UserRow[]): Promise<Map<number, MatchSide & { hash: string; profileStamp: string }>> {
    const ids = rows.map((r) => r.id);
    const [profiles, charts] = await Promise.all([users().profilesOf(ids), ctx.services.astro.signsOf(ids)]);
    const out = new Map<number, MatchSide & { hash: string; profileStamp: string }>();
    for (const u of rows) {
      const p = profiles.get(u.id);
      const chart = charts.get(u.id);
      out.set(u.id, {
        id: u.id,
        signs: chart?.signs ?? null,
        profile: p && !isEmptyProfile(p) ? p : null,
        lifePath: lifePath(u.birthDate ?? chart?.birthDate)?.lifePath ?? null,
        hash: chart?.hash ?? '',
        profileStamp: p ? p.updatedAt.toISOString() : '',
      });
    }
    return out;
  }

  function missingRequirements(u: UserRow, side: MatchSide & { hash: string }, mode: Mode, rawProfile: ReturnType<typeof Object> | null) {
    const missing: string[] = [];
    const hasChart = Boolean(side.hash);
    if (!u.birthDate && !hasChart) missing.push('birth_date');
    if (!u.birthTime && !hasChart) missing.push('birth_time');
    if (!u.birthPlace && !hasChart) missing.push('birth_place');
    if (mode === 'dating') {
      const p = side.profile ?? (rawProfile as MatchSide['profile']);
      if (!p || isEmptyProfile(p) || !p.gender) missing.push('gender');
      if (!p || isEmptyProfile(p) || !p.orientation) missing.push('orientation');
    }
    return missing;
  }

  // Today's sky changes slowly: computed once per hour per process.
  let skyCache: { hour: number; value: Promise<{ venus: string; jupiter: string; moon: string }> } | null = null;
  function sky() {
    const hour = Math.floor(Date.now() / 3_600_000);
    if (skyCache?.hour !== hour) {
      const value = ctx.services.astro.transitsFor(new Date()).then((t) => ({ venus: t.planets.venus.sign, jupiter: t.planets.jupiter.sign, moon: t.planets.moon.sign }));
      skyCache = { hour, value };
    }
    return skyCache.value;
  }

  async function photoOf(u: UserRow) {
    return users().photoUrl(u.photo);
  }

  async function visibleTarget(viewerId: number, otherId: number): Promise<UserRow> {
    if (viewerId === otherId) throw SoulmatchErrors.selfMatch();
    const other = await users().getById(otherId);
    if (!other || !other.isActive) throw SoulmatchErrors.userNotFound();
    const [hidden, muted] = await Promise.all([users().blockedIds(viewerId), users().mutedIds(viewerId)]);
    if (hidden.has(otherId) || muted.has(otherId)) throw SoulmatchErrors.userNotFound();
    return other;
  }

  async function grantedLevel(userId: number, requested: ExplainLevel): Promise<ExplainLevel> {
    return grantedExplainLevel(ctx, userId, requested);
  }

  function decorate(r: MatchResult, t: ReturnType<typeof timing>, level: ExplainLevel) {
    const lens: Lens = assignLens(r, t.timing_score);
    return { lens, lens_label: LENS_LABEL[lens], lens_reason_short: LENS_REASON[lens], ...t, explanation_level: level, explanation: explanationFor(lens, level) };
  }

  const digestOf = (a: { hash: string; profileStamp: string; lifePath: number | null }, b: typeof a) =>
    createHash('sha256').update(JSON.stringify([rules(), a.hash, a.profileStamp, a.lifePath, b.hash, b.profileStamp, b.lifePath])).digest('hex');

  /** GET soulmatch/with/{id}/ (sync): always computed from current data. */
  async function compare(viewerId: number, otherId: number, opts: CompareOptions = {}) {
    const other = await visibleTarget(viewerId, otherId);
    const viewer = await users().getActive(viewerId);
    const sides = await sidesOf([viewer, other]);
    const a = sides.get(viewerId)!;
    const b = sides.get(otherId)!;
    const result = calculate(a, b);
    const mode = opts.mode ?? 'compat';
    const level = await grantedLevel(viewerId, opts.explain ?? 'free');
    const body: Record<string, unknown> = { user: userSummary(other, await photoOf(other)), ...result, ...decorate(result, timing(a, b, await sky(), today()), level) };
    if (opts.includeMeta) {
      const profiles = await users().profilesOf([viewerId]);
      const missing = missingRequirements(viewer, a, mode, profiles.get(viewerId) ?? null);
      body.meta = { mode, eligibility: { eligible: missing.length === 0, missing_requirements: missing } };
    }
    return body;
  }

  /** Async soulmatch/with: a stored result for unchanged inputs, else a queued job and the 202 placeholder. */
  async function compareQueued(viewerId: number, otherId: number, opts: CompareOptions = {}) {
    const other = await visibleTarget(viewerId, otherId);
    const viewer = await users().getActive(viewerId);
    const sides = await sidesOf([viewer, other]);
    const digest = digestOf(sides.get(viewerId)!, sides.get(otherId)!);
    const [row] = await db()
      .select()
      .from(soulmatchResults)
      .where(and(eq(soulmatchResults.viewerId, viewerId), eq(soulmatchResults.targetId, otherId), eq(soulmatchResults.rulesVersion, rules())));
    if (row && row.inputsDigest === digest) return { status: 200, body: await compare(viewerId, otherId, opts) };
    const taskId = randomUUID();
    await ctx.queue.enqueue(SOULMATCH_JOBS.compute, { viewerId, targetId: otherId }, { jobId: `soulmatch-${viewerId}-${otherId}-${digest.slice(0, 16)}` });
    const pairKey = `${Math.min(viewerId, otherId)}:${Math.max(viewerId, otherId)}`;
    return { status: 202, body: { task_id: taskId, pair_key: pairKey, rules_version: rules(), user: userSummary(other, await photoOf(other)) } };
  }

  /** The job behind the placeholder: computes and stores the directed result for the current inputs. */
  async function computeAndStore(viewerId: number, targetId: number) {
    const rows = [...(await users().getMany([viewerId, targetId])).values()];
    if (rows.length < 2) return;
    const sides = await sidesOf(rows);
    const a = sides.get(viewerId)!;
    const b = sides.get(targetId)!;
    const result = calculate(a, b);
    const values = { inputsDigest: digestOf(a, b), score: result.score, payload: result as unknown as Record<string, unknown>, computedAt: new Date() };
    await db()
      .insert(soulmatchResults)
      .values({ viewerId, targetId, rulesVersion: rules(), ...values })
      .onConflictDoUpdate({ target: [soulmatchResults.viewerId, soulmatchResults.targetId, soulmatchResults.rulesVersion], set: values });
  }

  /** GET soulmatch/recommendations/: a fixed number of queries for up to 500 candidates, computed in memory. */
  async function recommendations(viewerId: number, opts: { mode: Mode; explain: ExplainLevel; debug?: boolean }) {
    const viewer = await users().getActive(viewerId);
    const [recent, hidden, muted, level, heavens] = await Promise.all([
      users().recentActive(viewerId, CANDIDATE_LIMIT + 200),
      users().blockedIds(viewerId),
      users().mutedIds(viewerId),
      grantedLevel(viewerId, opts.explain),
      sky(),
    ]);
    const raw = recent.filter((u) => !hidden.has(u.id) && !muted.has(u.id)).slice(0, CANDIDATE_LIMIT);
    const sides = await sidesOf([viewer, ...raw]);
    const me = sides.get(viewerId)!;
    const candidates = opts.mode === 'dating' ? raw.filter((u) => { const p = sides.get(u.id)!.profile; return Boolean(p?.gender && p.orientation); }) : raw;
    const following = await users().followingAmong(viewerId, candidates.map((u) => u.id));
    const day = today();
    const items = candidates.map((u) => {
      const side = sides.get(u.id)!;
      const r = calculate(me, side);
      const t = timing(me, side, heavens, day);
      const extra = decorate(r, t, level);
      const rank = r.score + (following.has(u.id) ? 5 : 0) + t.timing_score / 20;
      return { id: u.id, rank, lens: extra.lens as Lens, u, r, extra };
    });
    items.sort((x, y) => y.rank - x.rank || y.id - x.id);
    const picked = diversify(items, RESULT_LIMIT);
    const photos = await Promise.all(picked.map((p) => photoOf(p.u)));
    const results = picked.map((p, i) => ({ user: userSummary(p.u, photos[i]), score: p.r.score, components: p.r.components, tags: p.r.tags, ...p.extra }));
    const missing = missingRequirements(viewer, me, opts.mode, (await users().profilesOf([viewerId])).get(viewerId) ?? null);
    const birthMissing = missing.some((m) => m.startsWith('birth_'));
    const reason = birthMissing ? 'missing_birth_data' : missing.length ? 'missing_profile_fields' : raw.length === 0 ? 'no_candidates' : results.length === 0 ? 'no_results' : null;
    const meta: Record<string, unknown> = { missing_requirements: missing, reason, empty_reason: results.length ? null : reason, candidate_count: results.length, mode: opts.mode, explanation_level: level };
    if (opts.debug) Object.assign(meta, { raw_candidate_count: raw.length, filtered_candidate_count: items.length, returned_count: results.length, invalid_counts: { missing_user: 0, missing_user_id: 0, missing_score: 0 } });
    return { results, meta };
  }

  // ---- feed card (job computes, request reads) ----

  async function computeInsight(userId: number) {
    const { results } = await recommendations(userId, { mode: 'compat', explain: 'free' }).catch(() => ({ results: [] }));
    const hasChart = (await ctx.services.astro.signsOf([userId])).size > 0;
    const top = hasChart ? results.slice(0, 3) : [];
    const card = top.length
      ? { title: 'New SoulMatch connections', subtitle: `You resonate with ${top.map((r) => r.user.name || r.user.handle).join(', ')}.`, profiles: top.map((r) => ({ id: r.user.id, name: r.user.name || r.user.handle, avatarUrl: r.user.photo, score: r.score })), cta: 'View matches' }
      : null;
    await ctx.kv.set(soulmatchCardKey(userId), JSON.stringify(card), INSIGHT_TTL_MS);
    ctx.services.feed.insights.changed(userId);
    return card;
  }

  async function insightCard(userId: number) {
    const hit = await ctx.kv.get(soulmatchCardKey(userId));
    if (hit === null) {
      await ctx.queue.enqueue(SOULMATCH_JOBS.insight, { userId }, { jobId: `soulmatch-insight-${userId}-${today()}` });
      return null;
    }
    return JSON.parse(hit) as Record<string, unknown> | null;
  }

  // ---- legacy v1 (contract §8) ----

  async function refreshProfile(u: UserRow) {
    const chart = (await ctx.services.astro.signsOf([u.id])).get(u.id);
    const lp = lifePath(u.birthDate ?? chart?.birthDate);
    const values = {
      sun: chart?.signs.sun ?? '',
      moon: chart?.signs.moon ?? '',
      lifePath: lp ? String(lp.lifePath) : '',
      // Mentor memory sentiment is not available to this module yet: neutral for everyone.
      avgSentiment: 0,
      socialScore: u.followingCount * 0.6 + u.followersCount * 0.4,
      traits: { sun: chart?.signs.sun ?? '', moon: chart?.signs.moon ?? '', life_path: lp ? String(lp.lifePath) : '', ...(lp ? { matrix_primary_trait: lp.traits.primary_trait, matrix_raw_sum: lp.traits.raw_sum } : {}) },
      updatedAt: new Date(),
    };
    await db().insert(soulmatchProfiles).values({ userId: u.id, ...values }).onConflictDoUpdate({ target: soulmatchProfiles.userId, set: values });
    return values;
  }

  async function legacyRefresh(userId: number) {
    const me = await users().getActive(userId);
    const hidden = await users().blockedIds(userId);
    const candidates = (await users().recentActive(userId, 150)).filter((u) => !hidden.has(u.id)).slice(0, 100);
    const a = await refreshProfile(me);
    for (const c of candidates) {
      const b = await refreshProfile(c);
      const same = (x: string, y: string) => x !== '' && x === y;
      const astro = 20 * Number(same(a.sun, b.sun)) + 20 * Number(same(a.moon, b.moon)) + 30 * Number(same(a.lifePath, b.lifePath));
      const sentiment = 10 - Math.abs(a.avgSentiment - b.avgSentiment) * 5;
      const social = Math.min(a.socialScore, b.socialScore) * 0.1;
      const total = astro + sentiment + social;
      const score = Math.round((1 / (1 + Math.exp(-total / 50))) * 1e4) / 1e4;
      const values = { score, breakdown: { total, astro, sentiment, social }, updatedAt: new Date() };
      await db().insert(soulmatchScores).values({ userId, targetId: c.id, ...values }).onConflictDoUpdate({ target: [soulmatchScores.userId, soulmatchScores.targetId], set: values });
    }
    return candidates.length;
  }

  async function legacyList(userId: number) {
    const rows = await db().select().from(soulmatchScores).where(eq(soulmatchScores.userId, userId)).orderBy(desc(soulmatchScores.score), desc(soulmatchScores.targetId)).limit(40);
    const [hidden, targets] = await Promise.all([users().blockedIds(userId), users().getMany(rows.map((r) => r.targetId))]);
    return rows.filter((r) => !hidden.has(r.targetId) && targets.get(r.targetId)?.isActive).slice(0, 20).map((r) => ({ row: r, target: targets.get(r.targetId)! }));
  }

  return { compare, compareQueued, computeAndStore, recommendations, computeInsight, insightCard, legacyRefresh, legacyList, cardCached: async (userId: number) => !['null', null].includes(await ctx.kv.get(soulmatchCardKey(userId))) };
}

export type SoulmatchService = ReturnType<typeof createSoulmatchService>;
