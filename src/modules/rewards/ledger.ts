// Writing to the rewards ledger: contributors and linking, GitHub deliveries, staff adjustments.
// Every write is one transaction that also appends its audit event to the one audit chain.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { eq, inArray, or, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { DbOrTx } from '../../platform/db/index.js';
import { fieldError } from '../../platform/http/errors.js';
import { RewardsErrors } from './errors.js';
import { contributorProfiles, rewardEvents, rewardLedgerEntries, rewardSnapshots, type ContributorRow, type RewardEventRow } from './schema.js';
import { periodOf, pointsForLabels, type AdjustmentType, type EventType } from './calc.js';

export const POOL_ACCOUNT = 'platform:rewards_pool';
export const contributorAccount = (id: number) => `contributor:${id}`;
// Webhooks hold it shared, a real snapshot run exclusively: no event lands in a month while it is being closed.
export const SNAPSHOT_LOCK = 7_420_301;

const GITHUB_LOGIN = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$/;
export const validGithubLogin = (s: string) => GITHUB_LOGIN.test(s);

export interface PostInput {
  eventType: EventType;
  contributorId: number;
  points: number;
  occurredAt?: Date;
  reference?: string;
  metadata?: Record<string, unknown>;
  notes?: string;
  deliveryId?: string | null;
  dedupeKey?: string | null;
  createdBy?: number | null;
}

/**
 * Appends an event with its two balanced ledger lines; returns null when a unique key (delivery
 * id, dedupe key) says it is already recorded.
 */
export async function postEvent(tx: DbOrTx, input: PostInput): Promise<RewardEventRow | null> {
  const [ev] = await tx
    .insert(rewardEvents)
    .values({
      contributorId: input.contributorId,
      eventType: input.eventType,
      points: input.points,
      occurredAt: input.occurredAt ?? new Date(),
      reference: (input.reference ?? '').slice(0, 255),
      metadata: input.metadata ?? {},
      notes: (input.notes ?? '').slice(0, 255),
      deliveryId: input.deliveryId ?? null,
      dedupeKey: input.dedupeKey ?? null,
      createdBy: input.createdBy ?? null,
    })
    .onConflictDoNothing()
    .returning();
  if (!ev) return null;
  if (input.points !== 0) {
    const txId = randomUUID();
    const amount = Math.abs(input.points);
    const credit = input.points > 0 ? contributorAccount(input.contributorId) : POOL_ACCOUNT;
    const debit = input.points > 0 ? POOL_ACCOUNT : contributorAccount(input.contributorId);
    await tx.insert(rewardLedgerEntries).values([
      { txId, eventId: ev.id, account: debit, amount, direction: 'DEBIT' },
      { txId, eventId: ev.id, account: credit, amount, direction: 'CREDIT' },
    ]);
  }
  return ev;
}

export function createLedger(ctx: Ctx) {
  const audit = () => ctx.services.audit;

  async function contributorByLogin(tx: DbOrTx, login: string): Promise<ContributorRow | null> {
    const [c] = await tx
      .select()
      .from(contributorProfiles)
      .where(sql`lower(${contributorProfiles.githubUsername}) = ${login.toLowerCase()}`)
      .limit(1);
    return c ?? null;
  }

  async function contributorByUser(tx: DbOrTx, userId: number): Promise<ContributorRow | null> {
    const [c] = await tx.select().from(contributorProfiles).where(eq(contributorProfiles.userId, userId)).limit(1);
    return c ?? null;
  }

  /** The contributor for a GitHub login, created (unlinked) on first sight. */
  async function ensureByLogin(tx: DbOrTx, login: string): Promise<ContributorRow> {
    const found = await contributorByLogin(tx, login);
    if (found) return found;
    await tx.insert(contributorProfiles).values({ githubUsername: login }).onConflictDoNothing();
    return (await contributorByLogin(tx, login))!;
  }

  /**
   * Links a GitHub login to an account. Idempotent for the same pair; 409 when the login belongs
   * to someone else or the account already has another login. Earlier events of an unlinked
   * login become the account's (payable) events.
   */
  async function link(userId: number, login: string, opts: { actorId?: number | null; source: string; actorIp?: string | null }): Promise<{ contributor: ContributorRow; created: boolean }> {
    if (!validGithubLogin(login)) throw fieldError('github_username', 'Enter a valid GitHub username.');
    const user = await ctx.services.users.getById(userId);
    if (!user) throw fieldError('user_id', 'No user with this id.');
    return ctx.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${SNAPSHOT_LOCK + 1})`);
      const byLogin = await contributorByLogin(tx, login);
      const byUser = await contributorByUser(tx, userId);
      if (byLogin && byLogin.userId === userId) return { contributor: byLogin, created: false };
      if (byLogin && byLogin.userId !== null) throw RewardsErrors.githubUsernameTaken();
      if (byUser) throw RewardsErrors.accountAlreadyLinked(`This account is already linked to GitHub user ${byUser.githubUsername}.`);
      let contributor: ContributorRow;
      let created = false;
      if (byLogin) {
        [contributor] = await tx.update(contributorProfiles).set({ userId, updatedAt: new Date() }).where(eq(contributorProfiles.id, byLogin.id)).returning();
      } else {
        [contributor] = await tx.insert(contributorProfiles).values({ userId, githubUsername: login }).returning();
        created = true;
      }
      await audit().record(
        { actorId: opts.actorId ?? userId, actorIp: opts.actorIp ?? null, action: 'rewards.contributor.linked', objectType: 'reward_contributor', objectId: contributor.id, metadata: { user_id: userId, github_username: login, source: opts.source } },
        tx,
      );
      return { contributor, created };
    });
  }

  /** The month an event lands in: its own, or the first month after it that is not closed yet. */
  async function placeInOpenMonth(tx: DbOrTx, when: Date): Promise<Date> {
    const now = new Date();
    let at = when > now ? now : when;
    for (let i = 0; i < 24; i++) {
      const [closed] = await tx.select({ id: rewardSnapshots.id }).from(rewardSnapshots).where(eq(rewardSnapshots.period, periodOf(at))).limit(1);
      if (!closed) return at;
      const next = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
      at = next > now ? next : now;
    }
    return at;
  }

  interface Delivery {
    rawBody: Buffer;
    signature: string | undefined;
    event: string | undefined;
    deliveryId: string | undefined;
    contentType: string | undefined;
    ip: string | null;
  }

  function verifySignature(secret: string, raw: Buffer, header: string | undefined): boolean {
    if (typeof header !== 'string' || !/^sha256=[0-9a-fA-F]{64}$/.test(header.trim())) return false;
    const expected = createHmac('sha256', secret).update(raw).digest();
    const given = Buffer.from(header.trim().slice(7), 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  function parseBody(d: Delivery): Record<string, unknown> {
    let text = d.rawBody.toString('utf8');
    if ((d.contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      const p = new URLSearchParams(text).get('payload');
      if (p === null) throw RewardsErrors.payloadFieldMissing();
      text = p;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw RewardsErrors.payloadNotJson();
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw RewardsErrors.payloadNotObject();
    return body as Record<string, unknown>;
  }

  const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

  /** POST rewards/webhooks/github/: returns the status and body to send (refusals are thrown from the catalogue). */
  async function githubDelivery(d: Delivery): Promise<{ status: number; body?: Record<string, unknown> }> {
    const secret = ctx.config.rewards.githubWebhookSecret;
    if (!secret) throw RewardsErrors.webhookNotConfigured();
    if (!verifySignature(secret, d.rawBody, d.signature)) throw RewardsErrors.invalidSignature();
    const body = parseBody(d);
    if (d.event !== 'pull_request') return { status: 204 };
    const pr = obj(body.pull_request);
    if (!pr) throw fieldError('pull_request', 'This field is required.');
    if (body.action !== 'closed' || pr.merged !== true) return { status: 204 };
    const number = pr.number;
    if (!Number.isSafeInteger(number) || (number as number) <= 0) throw fieldError('pull_request.number', 'A valid integer is required.');
    const repo = obj(body.repository);
    // Every repository is accepted; a payload without one is keyed as repository "unknown".
    const fullName = repo && typeof repo.full_name === 'string' && repo.full_name.trim() ? repo.full_name.trim().slice(0, 200) : 'unknown';
    const author = obj(pr.user);
    const login = author && typeof author.login === 'string' ? author.login : null;
    if (!login || login.length > 100) throw fieldError('pull_request.user.login', 'This field is required.');
    const deliveryId = typeof d.deliveryId === 'string' && d.deliveryId.trim() ? d.deliveryId.trim().slice(0, 128) : null;
    const mergedAtRaw = typeof pr.merged_at === 'string' ? pr.merged_at : null;
    const mergedAt = mergedAtRaw && !Number.isNaN(Date.parse(mergedAtRaw)) ? new Date(mergedAtRaw) : new Date();
    const { points, label } = pointsForLabels(pr.labels);
    const payloadSha256 = createHash('sha256').update(d.rawBody).digest('hex');
    const labels = Array.isArray(pr.labels) ? pr.labels.map((l) => obj(l)?.name).filter((n): n is string => typeof n === 'string').slice(0, 50) : [];

    const dedupeKey = `github:${fullName.toLowerCase()}#${number}`;
    // Redeliveries stop here, before any lock; concurrent first deliveries are settled by the unique keys below.
    const [seen] = await ctx.db
      .select({ id: rewardEvents.id })
      .from(rewardEvents)
      .where(deliveryId ? or(eq(rewardEvents.dedupeKey, dedupeKey), eq(rewardEvents.deliveryId, deliveryId)) : eq(rewardEvents.dedupeKey, dedupeKey))
      .limit(1);
    if (seen) return { status: 200, body: { detail: 'Already recorded.' } };

    return ctx.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock_shared(${SNAPSHOT_LOCK})`);
      const contributor = await ensureByLogin(tx, login);
      const occurredAt = await placeInOpenMonth(tx, mergedAt);
      const metadata: Record<string, unknown> = {
        github_username: login,
        pull_request: { id: typeof pr.id === 'number' ? pr.id : null, number, title: typeof pr.title === 'string' ? pr.title.slice(0, 300) : '', url: typeof pr.html_url === 'string' ? pr.html_url : '', merged_at: mergedAtRaw, labels },
        repository: fullName,
        size_label: label,
        payload_sha256: payloadSha256,
        delivery_id: deliveryId,
      };
      if (occurredAt.getTime() !== mergedAt.getTime()) metadata.original_occurred_at = mergedAt.toISOString();
      const ev = await postEvent(tx, {
        eventType: 'pr_merged',
        contributorId: contributor.id,
        points,
        occurredAt,
        reference: `${fullName}#${number}`,
        metadata,
        deliveryId,
        dedupeKey,
      });
      if (!ev) return { status: 200, body: { detail: 'Already recorded.' } };
      const linked = contributor.userId !== null;
      await audit().record(
        {
          actorId: contributor.userId,
          actorIp: d.ip,
          action: linked ? 'rewards.github.pr_merged' : 'rewards.github.pr_merged.unlinked',
          objectType: 'reward_event',
          objectId: ev.id,
          metadata: { reward_event_id: ev.id, contributor_id: contributor.id, github_username: login, repository: fullName, number, points, payload_sha256: payloadSha256, delivery_id: deliveryId },
        },
        tx,
      );
      return linked ? { status: 201, body: { detail: 'Recorded.', id: ev.id } } : { status: 202, body: { detail: 'Recorded; payable once the GitHub user links an account.', id: ev.id } };
    });
  }

  /** A staff correction: a new manual_adjustment/bonus/penalty event, never an edit. */
  async function adjust(input: { actorId: number | null; actorIp?: string | null; contributorId?: number; userId?: number; githubUsername?: string; eventType: AdjustmentType; points: number; reason: string; reference?: string }) {
    if (!Number.isSafeInteger(input.points) || input.points === 0 || Math.abs(input.points) > 1_000_000) throw fieldError('points', 'Must be a non-zero integer between -1000000 and 1000000.');
    if (input.eventType === 'bonus' && input.points < 0) throw fieldError('points', 'A bonus must be positive.');
    if (input.eventType === 'penalty' && input.points > 0) throw fieldError('points', 'A penalty must be negative.');
    const reason = input.reason.trim();
    if (!reason) throw fieldError('reason', 'This field may not be blank.');
    return ctx.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock_shared(${SNAPSHOT_LOCK})`);
      let contributor: ContributorRow | null = null;
      if (input.contributorId !== undefined) [contributor] = await tx.select().from(contributorProfiles).where(eq(contributorProfiles.id, input.contributorId)).limit(1);
      else if (input.userId !== undefined) contributor = await contributorByUser(tx, input.userId);
      else if (input.githubUsername !== undefined) contributor = await contributorByLogin(tx, input.githubUsername);
      if (!contributor) throw RewardsErrors.contributorNotFound();
      const ev = await postEvent(tx, {
        eventType: input.eventType,
        contributorId: contributor.id,
        points: input.points,
        occurredAt: await placeInOpenMonth(tx, new Date()),
        reference: input.reference ?? '',
        notes: reason,
        metadata: { reason, by_user_id: input.actorId },
        createdBy: input.actorId,
      });
      await audit().record(
        { actorId: input.actorId, actorIp: input.actorIp ?? null, action: `rewards.${input.eventType}`, objectType: 'reward_event', objectId: ev!.id, metadata: { reward_event_id: ev!.id, contributor_id: contributor.id, points: input.points, reason } },
        tx,
      );
      return { event: ev!, contributor };
    });
  }

  async function contributorsByIds(ids: number[]) {
    if (!ids.length) return new Map<number, ContributorRow>();
    const rows = await ctx.db.select().from(contributorProfiles).where(inArray(contributorProfiles.id, ids));
    return new Map(rows.map((r) => [r.id, r]));
  }

  return { link, githubDelivery, adjust, contributorByUser: (userId: number) => contributorByUser(ctx.db, userId), contributorByLogin: (l: string) => contributorByLogin(ctx.db, l), contributorsByIds };
}
