// payments/*: one file per resource; this one mounts them and lists, per route, the catalogue errors
// it may answer (for the OpenAPI document). Webhooks get their own scope: raw bytes (signatures are
// over the exact body), no auth, never throttled.
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { declareRouteErrors } from '../../platform/http/errors.js';
import { checkoutRoutes } from './checkout-routes.js';
import { PaymentErrors } from './errors.js';
import { giftRoutes } from './gift-routes.js';
import { hmacWebhooks } from './hmac-webhooks.js';
import { iapRoutes } from './iap-routes.js';
import { planRoutes } from './plan-routes.js';
import { stripeWebhook } from './stripe-webhook.js';
import { subscriptionRoutes } from './subscription-routes.js';

export async function paymentsRoutes(app: App, ctx: Ctx) {
  await app.register(async (scope) => {
    const s = scope as App;
    const E = PaymentErrors.specs;
    const pipeline = [E.invalidPayload, E.missingReference, E.unknownReference, E.amountMismatch, E.eventMismatch, E.invalidAmount, E.paymentFailed];
    declareRouteErrors(s, [
      ['*', /\/payments\/gifts\/:id$/, [E.giftTypeNotFound]],
      ['*', /\/payments\/plans\/:id$/, [E.planNotFound]],
      ['*', /\/payments\/subscriptions\/:id$/, [E.subscriptionNotFound]],
      ['DELETE', /\/payments\/subscriptions\/:id$/, [E.unavailable, E.providerError]],
      ['POST', /\/payments\/subscriptions$/, [E.paymentsDisabled, E.alreadySubscribed, E.unavailable, E.providerError]],
      ['POST', /\/payments\/(stripe|ipay|btcpay)\/checkout$/, [E.disabled, E.unavailable, E.providerError]],
      ['POST', /\/payments\/iap\/verify$/, [E.disabled, E.unknownProduct, E.invalidAmount, E.verificationFailed, E.notSettled, E.eventMismatch]],
      ['POST', /\/payments\/stripe\/webhook$/, [E.providerDisabled, E.unavailable, E.missingSignature, E.badStripeSignature, E.providerError, ...pipeline]],
      ['POST', /\/payments\/(ipay|btcpay)\/webhook$/, [E.providerDisabled, E.hmacNotConfigured, E.badHmacSignature, E.referenceMismatch, ...pipeline]],
      ['POST', /\/payments\/btcpay\/webhook$/, [E.unavailable, E.invoiceUnreadable]],
    ]);
    await giftRoutes(s, ctx);
    await planRoutes(s, ctx);
    await subscriptionRoutes(s, ctx);
    await checkoutRoutes(s, ctx);
    await iapRoutes(s, ctx);

    await s.register(async (hooks) => {
      hooks.removeAllContentTypeParsers();
      hooks.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
      const raw = (req: FastifyRequest) => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
      const config = { config: { auth: 'none' as const, throttle: false }, schema: { tags: ['payments'], hide: false } };
      stripeWebhook(hooks as App, ctx, { raw, config });
      hmacWebhooks(hooks as App, ctx, { raw, config });
    });
  });
}
