// payments/iap/verify/: App Store / Play purchases, verified server-side, minted once per store transaction.
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { ApiError } from '../../platform/http/errors.js';
import { scope } from '../../platform/http/route-helpers.js';
import { PaymentErrors as E } from './errors.js';
import { me } from './http.js';
import { sha256Hex, verifyAppleTransaction, verifyGooglePurchase } from './providers.js';
import { toSlcCents, type Notification } from './service.js';

export async function iapRoutes(app: App, ctx: Ctx) {
  const payments = ctx.services.payments;
  const money = ctx.config.money;

  app.post(
    '/payments/iap/verify',
    {
      config: { rateLimit: scope('iap_verify', money.throttles.iapVerify) },
      schema: {
        tags: ['payments'],
        description: 'Verifies an App Store signed transaction (`receipt`, JWS) or a Play purchase token and mints once per store transaction.',
        body: Type.Object(
          {
            platform: Type.Union([Type.Literal('ios'), Type.Literal('android')]),
            product_id: Type.String({ minLength: 1, maxLength: 128 }),
            transaction_id: Type.String({ minLength: 1, maxLength: 128 }),
            receipt: Type.Optional(Type.String({ maxLength: 65_536 })),
            purchase_token: Type.Optional(Type.String({ maxLength: 4096 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const user = me(req);
      if (!payments.providerEnabled('iap')) throw E.disabled('IAP disabled');
      const b = req.body;
      if (b.platform === 'ios' && !b.receipt) throw new ApiError(400, { receipt: ['This field is required.'] });
      if (b.platform === 'android' && !b.purchase_token) throw new ApiError(400, { purchase_token: ['This field is required.'] });
      const sku = money.iap.skus[b.product_id];
      if (!sku) throw E.unknownProduct();
      const slc = toSlcCents(sku.amountCents, sku.currency, money.fxRates);
      if (!slc || slc <= 0) throw E.invalidAmount('SKU amount invalid.');
      const verdict = b.platform === 'ios' ? await verifyAppleTransaction(money, b.receipt!) : await verifyGooglePurchase(money, b.product_id, b.purchase_token!);
      if (!verdict.ok) throw E.verificationFailed(verdict.detail);
      if (b.platform === 'ios' && (verdict.transactionId !== b.transaction_id || verdict.productId !== b.product_id)) throw E.verificationFailed();
      if (verdict.status === 'pending') throw E.notSettled();
      if (verdict.status === 'failed') throw E.verificationFailed();
      const provider = b.platform === 'ios' ? 'apple_iap' : 'google_iap';
      const providerEventId = verdict.transactionId || b.transaction_id;
      const n: Notification = {
        provider,
        providerEventId,
        eventType: 'iap.verify',
        amountCents: sku.amountCents,
        currency: sku.currency,
        status: 'paid',
        rawBodyHash: sha256Hex(Buffer.from(JSON.stringify(b))),
        source: 'iap_verify',
      };
      const r = await payments.settleDirect(user, n, slc, { platform: b.platform, product_id: b.product_id });
      const bal = await ctx.services.coin.balance(user);
      return { received: true, provider, provider_event_id: providerEventId, coin_event_id: r.coinEventId, balance_cents: bal.balance_cents, currency: sku.currency };
    },
  );
}
