// The error catalogues: handlers answer the catalogue's code/status/message, and the OpenAPI document
// lists each operation's errors with their codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp } from '../support/app.js';
import { defineErrors } from '../../src/platform/http/errors.js';
import { SocialErrors } from '../../src/modules/social/errors.js';
import { MessagingErrors } from '../../src/modules/messaging/errors.js';
import { AstroErrors } from '../../src/modules/astro/errors.js';
import { CoinErrors } from '../../src/modules/coin/errors.js';
import { CommunityErrors } from '../../src/modules/community/errors.js';
import { MentorErrors } from '../../src/modules/mentor/errors.js';
import { RewardsErrors } from '../../src/modules/rewards/errors.js';
import { SoulmatchErrors } from '../../src/modules/soulmatch/errors.js';

let t: TestApp;
beforeAll(async () => {
  t = await sharedTestApp();
});
afterAll(async () => t?.close());

describe('error catalogue', () => {
  it('builds DRF-shaped errors from one declaration', () => {
    const E = defineErrors({ gone: { status: 410, code: 'gone', message: 'It is gone.' } });
    expect(E.gone().status).toBe(410);
    expect(E.gone().body).toEqual({ detail: 'It is gone.', code: 'gone' });
    expect(E.gone('Other words.').body).toEqual({ detail: 'Other words.', code: 'gone' });
  });

  it("handlers answer with the catalogue's entry", async () => {
    const r = await t.request({ url: '/api/v1/posts/999999' });
    expect(r.statusCode).toBe(SocialErrors.specs.postNotFound.status);
    expect(r.json()).toEqual({ detail: SocialErrors.specs.postNotFound.message, code: SocialErrors.specs.postNotFound.code });
  });

  it("the OpenAPI document lists each operation's errors with their codes", async () => {
    const doc = (await t.request({ url: '/api/schema/' })).json();
    const getPost = doc.paths['/api/v1/posts/{id}'].get.responses;
    expect(getPost['404'].description).toContain('not_found');
    expect(getPost['400'].description).toContain('invalid');
    const ack = doc.paths['/api/v1/messages/{id}/ack'].post.responses;
    expect(ack['404'].description).toContain(MessagingErrors.specs.messageNotFound.code);
    expect(ack['400'].description).toContain(MessagingErrors.specs.ownMessage.code);
    expect(ack['401'].description).toContain('not_authenticated');
    expect(ack['429'].description).toContain('throttled');
    const follow = doc.paths['/api/v1/users/{id}/follow'].post.responses;
    expect(follow['400'].description).toContain('cannot_follow_self');
    const lift = doc.paths['/api/v1/moderation/admin/enforcements/{id}/lift'].post.responses;
    expect(lift['403'].description).toContain('permission_denied');
    expect(lift['409'].description).toContain('already_lifted');
    // Success responses keep their own schemas.
    expect(getPost['200']).toBeDefined();
  });

  it("astro, coin, mentor, community, rewards, soulmatch and matrix operations list their errors", async () => {
    const doc = (await t.request({ url: '/api/schema/' })).json();
    const codes = (path: string, method: string) => {
      const op = doc.paths[path]?.[method];
      expect(op, `${method.toUpperCase()} ${path}`).toBeDefined();
      return Object.fromEntries(Object.entries(op.responses as Record<string, { description?: string }>).map(([status, r]) => [status, r.description ?? '']));
    };
    const natal = codes('/api/v1/astro/natal', 'post');
    for (const e of [AstroErrors.specs.missingBirthData, AstroErrors.specs.locationUnresolved, AstroErrors.specs.calculationFailed]) expect(natal[e.status]).toContain(e.code);
    expect(codes('/api/v1/astro/natal/me', 'get')['404']).toContain(AstroErrors.specs.chartNotFound.code);

    const transfer = codes('/api/v1/coin/transfer', 'post');
    expect(transfer['400']).toContain(CoinErrors.specs.invalidReceiver.code);
    expect(transfer['400']).toContain(CoinErrors.specs.insufficientFunds.code);
    expect(transfer['409']).toContain(CoinErrors.specs.idempotencyConflict.code);
    const purchase = codes('/api/v1/coin/purchase', 'post');
    expect(purchase['402']).toContain(CoinErrors.specs.purchaseUnpaid.code);
    expect(purchase['404']).toContain(CoinErrors.specs.productNotFound.code);
    expect(codes('/api/v1/coin/ledger', 'get')['400']).toContain(CoinErrors.specs.invalidCursor.code);

    const chat = codes('/api/v1/mentor/chat', 'post');
    expect(chat['400']).toContain(MentorErrors.specs.messageRequired.code);
    expect(chat['502']).toContain(MentorErrors.specs.llmUnavailable.code);
    expect(codes('/api/v1/mentor/natal', 'post')['400']).toContain(MentorErrors.specs.missingChart.code);
    expect(codes('/api/v1/mentor/profile', 'post')['409']).toContain(MentorErrors.specs.profileExists.code);
    expect(codes('/api/v1/mentor/soulmatch/{user_id}', 'get')['400']).toContain(MentorErrors.specs.selfMatch.code);

    const like = codes('/api/v1/community/problems/{id}/like', 'post');
    expect(like['403']).toContain(CommunityErrors.specs.agreementRequired.code);
    expect(like['404']).toContain(CommunityErrors.specs.problemNotFound.code);
    expect(codes('/api/v1/community/problems/{id}', 'get')['404']).toContain('not_found');
    expect(codes('/api/v1/community/auth/login', 'post')['400']).toContain(CommunityErrors.specs.invalidCredentials.code);
    expect(codes('/api/v1/community/artifacts/{id}/comments', 'post')['403']).toContain(CommunityErrors.specs.agreementRequired.code);
    // Reads that pass no gate do not claim the gate's error.
    expect(codes('/api/v1/community/problems/{id}/comments', 'get')['403']).toBeUndefined();

    const payoutStatus = codes('/api/v1/contrib-rewards/payouts/{id}/status', 'post');
    expect(payoutStatus['404']).toContain(RewardsErrors.specs.payoutNotFound.code);
    expect(payoutStatus['409']).toContain(RewardsErrors.specs.invalidTransition.code);
    expect(payoutStatus['409']).toContain(RewardsErrors.specs.disputeWindowOpen.code);
    const webhook = codes('/api/v1/rewards/webhooks/github', 'post');
    expect(webhook['403']).toContain(RewardsErrors.specs.invalidSignature.code);
    expect(webhook['403']).toContain(RewardsErrors.specs.webhookNotConfigured.code);
    expect(webhook['400']).toContain(RewardsErrors.specs.payloadNotJson.code);
    expect(codes('/api/v1/contrib-rewards/contributors', 'post')['409']).toContain(RewardsErrors.specs.githubUsernameTaken.code);
    // A list answers no 404 of its own.
    expect(codes('/api/v1/contrib-rewards/events', 'get')['404']).toBeUndefined();

    const withUser = codes('/api/v1/soulmatch/with/{id}', 'get');
    expect(withUser['400']).toContain(SoulmatchErrors.specs.selfMatch.code);
    expect(withUser['404']).toContain(SoulmatchErrors.specs.userNotFound.code);
    expect(codes('/api/v1/soulmatch/refresh', 'post')['403']).toContain(SoulmatchErrors.specs.disabled.code);
    expect(codes('/api/v1/soulmatch/recommendations', 'get')['404']).toBeUndefined();

    // matrix has no errors of its own: its operations list what their configuration implies.
    const sync = codes('/api/v1/matrix/sync', 'post');
    expect(sync['400']).toContain('invalid');
    expect(sync['401']).toContain('not_authenticated');
  });

  it("astro, coin, mentor, community, rewards and soulmatch handlers answer with their catalogue's entries", async () => {
    const u = await t.user();
    const expectEntry = async (r: { statusCode: number; json(): unknown }, e: { status: number; code: string; message: string }) => {
      expect(r.statusCode).toBe(e.status);
      expect(r.json()).toEqual({ detail: e.message, code: e.code });
    };
    await expectEntry(await u.req({ url: '/api/v1/astro/natal/me/' }), AstroErrors.specs.chartNotFound);
    await expectEntry(await u.req({ url: '/api/v1/coin/ledger/?limit=abc' }), CoinErrors.specs.invalidLimit);
    // Callers of the coin service branch on the refusal's code (paid gifts, the concurrency test).
    expect(CoinErrors.insufficientFunds().code).toBe('insufficient_funds');
    await expectEntry(await u.req({ method: 'POST', url: '/api/v1/coin/purchase/', body: { product_code: 'no_such_code', idempotency_key: 'k1' } }), CoinErrors.specs.productNotFound);
    await expectEntry(await u.req({ url: '/api/v1/mentor/task-status/nope/' }), MentorErrors.specs.jobNotFound);
    await expectEntry(await u.req({ url: '/api/v1/community/problems/999999999/' }), CommunityErrors.specs.problemNotFound);
    await expectEntry(await u.req({ url: '/api/v1/contrib-rewards/events/999999999/' }), RewardsErrors.specs.eventNotFound);
    await expectEntry(await u.req({ url: '/api/v1/contrib-rewards/payouts/999999999/' }), RewardsErrors.specs.payoutNotFound);
    await expectEntry(await u.req({ url: `/api/v1/soulmatch/with/${u.id}/` }), SoulmatchErrors.specs.selfMatch);
    await expectEntry(await u.req({ url: '/api/v1/soulmatch/with/999999999/' }), SoulmatchErrors.specs.userNotFound);
  });
});
