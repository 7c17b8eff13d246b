// Rewards endpoints: the signed GitHub webhook, the caller's events and payouts, public snapshots,
// and staff actions (linking, adjustments, payout status).
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { declareRouteErrors, fieldError } from '../../platform/http/errors.js';
import { RewardsErrors } from './errors.js';
import { clampPageSize, cursorPage, decodeCursor, paginate } from '../../platform/http/pagination.js';
import { IdParam, Loose, Page, PageQuery } from '../../platform/http/schemas.js';
import type { ContributorRow, RewardEventRow, SnapshotRow, PayoutRow } from './schema.js';
import { ADJUSTMENT_TYPES } from './calc.js';
import { PAYOUT_STATUSES } from './service.js';

const Contributor = Type.Object({ id: Type.Integer(), user_id: Type.Union([Type.Integer(), Type.Null()]), github_username: Type.Union([Type.String(), Type.Null()]) });
const EventSchema = Type.Object({
  id: Type.Integer(),
  event_type: Type.String(),
  points: Type.Integer(),
  occurred_at: Type.String(),
  reference: Type.String(),
  metadata: Loose,
  notes: Type.String(),
  contributor: Contributor,
});
const PayoutSchema = Type.Object({ id: Type.Integer(), period: Type.String(), points: Type.Integer(), amount_cents: Type.Integer(), status: Type.String(), metadata: Loose, dispute_window_ends_at: Type.String() });
const SnapshotSchema = Type.Object({
  id: Type.Integer(),
  period: Type.String(),
  revenue_cents: Type.Integer(),
  costs_cents: Type.Integer(),
  pool_percent: Type.Integer(),
  contributor_pool_cents: Type.Integer(),
  total_points: Type.Integer(),
  total_events: Type.Integer(),
  ledger_hash: Type.String(),
  csv_sha256: Type.String(),
  csv_url: Type.String(),
  dispute_window_ends_at: Type.String(),
  created_at: Type.String(),
});

const presentContributor = (c: ContributorRow) => ({ id: c.id, user_id: c.userId, github_username: c.githubUsername });
export const presentEvent = (e: RewardEventRow, c: ContributorRow) => ({
  id: e.id,
  event_type: e.eventType,
  points: e.points,
  occurred_at: e.occurredAt.toISOString(),
  reference: e.reference,
  metadata: e.metadata,
  notes: e.notes,
  contributor: presentContributor(c),
});
const presentPayout = (r: { p: PayoutRow; period: string; disputeEnds: Date }) => ({
  id: r.p.id,
  period: r.period,
  points: r.p.points,
  amount_cents: r.p.amountCents,
  status: r.p.status,
  metadata: r.p.metadata,
  dispute_window_ends_at: r.disputeEnds.toISOString(),
});
export const presentSnapshot = (s: SnapshotRow) => ({
  id: s.id,
  period: s.period,
  revenue_cents: s.revenueCents,
  costs_cents: s.costsCents,
  pool_percent: s.poolPercent,
  contributor_pool_cents: s.contributorPoolCents,
  total_points: s.totalPoints,
  total_events: s.totalEvents,
  ledger_hash: s.ledgerHash,
  csv_sha256: s.csvSha256,
  csv_url: `/rewards/${s.period}.csv`,
  dispute_window_ends_at: s.disputeWindowEndsAt.toISOString(),
  created_at: s.createdAt.toISOString(),
});

export async function rewardsRoutes(app: App, ctx: Ctx) {
  const rewards = ctx.services.rewards;
  const tags = ['rewards'];
  const E = RewardsErrors.specs;
  declareRouteErrors(app, [
    ['POST', /\/rewards\/webhooks\/github\/?$/, [E.webhookNotConfigured, E.invalidSignature, E.payloadFieldMissing, E.payloadNotJson, E.payloadNotObject]],
    ['GET', /\/contrib-rewards\/events\/:id\/?$/, [E.eventNotFound]],
    ['GET', /\/contrib-rewards\/payouts\/:id\/?$/, [E.payoutNotFound]],
    ['POST', /\/contrib-rewards\/payouts\/:id\/status\/?$/, [E.payoutNotFound, E.invalidTransition, E.disputeWindowOpen]],
    ['GET', /\/contrib-rewards\/snapshots\/:id\/?$/, [E.snapshotNotFound]],
    ['POST', /\/contrib-rewards\/contributors\/?$/, [E.githubUsernameTaken, E.accountAlreadyLinked]],
    ['POST', /\/contrib-rewards\/adjustments\/?$/, [E.contributorNotFound]],
  ]);

  // The webhook needs the raw bytes for the signature, so it lives in its own scope with a raw parser.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post(
      '/rewards/webhooks/github',
      { config: { auth: 'none', throttle: false }, schema: { tags, description: 'GitHub webhook (X-Hub-Signature-256 required): merged pull requests become reward events.', hide: false } },
      async (req, reply) => {
        const h = (n: string) => {
          const v = req.headers[n];
          return Array.isArray(v) ? v[0] : v;
        };
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const r = await rewards.githubDelivery({ rawBody: raw, signature: h('x-hub-signature-256'), event: h('x-github-event'), deliveryId: h('x-github-delivery'), contentType: h('content-type'), ip: req.ip });
        if (r.status === 204) return reply.status(204).send();
        return reply.status(r.status).send(r.body);
      },
    );
  });

  app.get('/contrib-rewards/events', { schema: { tags, querystring: Type.Object(PageQuery), response: { 200: Page(EventSchema) } } }, async (req) => {
    const limit = clampPageSize(req.query.page_size);
    const rows = await rewards.listEvents(req.user!.id, { cursor: decodeCursor(req.query.cursor), limit });
    const page = paginate(rows.map((r) => ({ ...r, id: r.e.id, createdAt: r.e.createdAt })), limit);
    return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, page.rows.map((r) => presentEvent(r.e, r.c)));
  });

  app.get('/contrib-rewards/events/:id', { schema: { tags, params: IdParam, response: { 200: EventSchema } } }, async (req) => {
    const r = await rewards.getEvent(req.user!.id, req.params.id);
    if (!r) throw RewardsErrors.eventNotFound();
    return presentEvent(r.e, r.c);
  });

  app.get('/contrib-rewards/payouts', { schema: { tags, querystring: Type.Object(PageQuery), response: { 200: Page(PayoutSchema) } } }, async (req) => {
    const limit = clampPageSize(req.query.page_size);
    const rows = await rewards.listPayouts(req.user!.id, { cursor: decodeCursor(req.query.cursor), limit });
    const page = paginate(rows.map((r) => ({ ...r, id: r.p.id, createdAt: r.p.createdAt })), limit);
    return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, page.rows.map(presentPayout));
  });

  app.get('/contrib-rewards/payouts/:id', { schema: { tags, params: IdParam, response: { 200: PayoutSchema } } }, async (req) => {
    const r = await rewards.getPayout(req.params.id, req.user!.id);
    if (!r) throw RewardsErrors.payoutNotFound();
    return presentPayout(r);
  });

  app.post(
    '/contrib-rewards/payouts/:id/status',
    {
      config: { auth: 'staff' },
      schema: {
        tags,
        description: 'Staff: move a payout pending → processing → paid (or canceled) once the dispute window has ended.',
        params: IdParam,
        body: Type.Object({ status: Type.Union(PAYOUT_STATUSES.map((s) => Type.Literal(s))), note: Type.Optional(Type.String({ maxLength: 255 })) }, { additionalProperties: false }),
        response: { 200: PayoutSchema },
      },
    },
    async (req) => {
      const r = await rewards.setPayoutStatus(req.params.id, req.body.status, { id: req.user!.id, ip: req.ip }, req.body.note ?? '');
      return presentPayout(r);
    },
  );

  app.get('/contrib-rewards/snapshots', { config: { auth: 'none' }, schema: { tags, security: [], querystring: Type.Object(PageQuery), response: { 200: Page(SnapshotSchema) } } }, async (req) => {
    const limit = clampPageSize(req.query.page_size);
    const rows = await rewards.listSnapshots({ cursor: decodeCursor(req.query.cursor), limit });
    const page = paginate(rows, limit);
    return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, page.rows.map(presentSnapshot));
  });

  app.get('/contrib-rewards/snapshots/:id', { config: { auth: 'none' }, schema: { tags, security: [], params: IdParam, response: { 200: SnapshotSchema } } }, async (req) => {
    const s = await rewards.getSnapshot(req.params.id);
    if (!s) throw RewardsErrors.snapshotNotFound();
    return presentSnapshot(s);
  });

  app.post(
    '/contrib-rewards/contributors',
    {
      config: { auth: 'staff' },
      schema: {
        tags,
        description: 'Staff: link a GitHub username to an account (201 new, 200 already linked, 409 taken).',
        body: Type.Object({ user_id: Type.Integer({ minimum: 1, maximum: 999_999_999_999_999 }), github_username: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
        response: { 200: Contributor, 201: Contributor },
      },
    },
    async (req, reply) => {
      const { contributor, created } = await rewards.link(req.body.user_id, req.body.github_username.trim(), { actorId: req.user!.id, actorIp: req.ip, source: 'staff' });
      return reply.status(created ? 201 : 200).send(presentContributor(contributor));
    },
  );

  app.post(
    '/contrib-rewards/adjustments',
    {
      config: { auth: 'staff' },
      schema: {
        tags,
        description: 'Staff: a correction as a new event (manual_adjustment, bonus, penalty) with a reason; never an edit.',
        body: Type.Object(
          {
            event_type: Type.Union(ADJUSTMENT_TYPES.map((s) => Type.Literal(s))),
            points: Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 }),
            reason: Type.String({ minLength: 1, maxLength: 255 }),
            reference: Type.Optional(Type.String({ maxLength: 255 })),
            contributor_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 999_999_999_999_999 })),
            user_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 999_999_999_999_999 })),
            github_username: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: EventSchema },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const targets = [b.contributor_id, b.user_id, b.github_username].filter((v) => v !== undefined);
      if (targets.length !== 1) throw fieldError('non_field_errors', 'Give exactly one of contributor_id, user_id or github_username.');
      const { event, contributor } = await rewards.adjust({
        actorId: req.user!.id,
        actorIp: req.ip,
        contributorId: b.contributor_id,
        userId: b.user_id,
        githubUsername: b.github_username,
        eventType: b.event_type,
        points: b.points,
        reason: b.reason,
        reference: b.reference,
      });
      return reply.status(201).send(presentEvent(event, contributor));
    },
  );
}
