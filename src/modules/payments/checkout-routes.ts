// payments/{stripe,ipay,btcpay}/checkout/: SLC top-up checkouts (the SLC amount is fixed at creation).
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { ApiError } from '../../platform/http/errors.js';
import { PaymentErrors as E } from './errors.js';
import { me } from './http.js';
import { btcpayConfigured, btcpayCreateInvoice, stripeClient } from './providers.js';
import { toSlcCents } from './service.js';

const CheckoutBody = Type.Object(
  { amount_cents: Type.Integer({ minimum: 1, maximum: 100_000_000 }), currency: Type.String({ minLength: 1, maxLength: 8 }) },
  { additionalProperties: false },
);
const CheckoutResponse = Type.Object({
  checkout_id: Type.Integer(),
  reference: Type.String(),
  amount_cents: Type.Integer(),
  currency: Type.String(),
  status: Type.String(),
  payment_url: Type.Optional(Type.String()),
});

const checkoutBody = (c: { id: number; reference: string; amountCents: number; currency: string; status: string }) => ({
  checkout_id: c.id,
  reference: c.reference,
  amount_cents: c.amountCents,
  currency: c.currency,
  status: c.status,
});

export async function checkoutRoutes(app: App, ctx: Ctx) {
  const payments = ctx.services.payments;
  const money = ctx.config.money;

  function checkCurrency(raw: string, allowed: string[]) {
    const c = raw.trim().toUpperCase();
    if (!allowed.includes(c)) throw new ApiError(400, { currency: [`Unsupported currency. Use one of: ${allowed.join(', ')}.`] });
    if (toSlcCents(1, c, money.fxRates) === null) throw new ApiError(400, { currency: [`No exchange rate for ${c}.`] });
    return c;
  }
  const minimum = (amount: number) => {
    if (amount < money.stripe.minCents) throw new ApiError(400, { amount_cents: [`Amount must be at least ${money.stripe.minCents} cents.`] });
  };

  app.post('/payments/stripe/checkout', { schema: { tags: ['payments'], body: CheckoutBody, response: { 201: CheckoutResponse } } }, async (req, reply) => {
    const user = me(req);
    if (!payments.providerEnabled('stripe')) throw E.disabled('Stripe disabled');
    minimum(req.body.amount_cents);
    const currency = checkCurrency(req.body.currency, money.stripe.allowedCurrencies);
    if (!money.stripe.apiKey) throw E.unavailable('Stripe is not configured.');
    const c = await payments.createCheckout('stripe', user, req.body.amount_cents, currency);
    let session: { id: string; url: string | null };
    try {
      session = await (await stripeClient(money)).checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [{ price_data: { currency: currency.toLowerCase(), unit_amount: c.amountCents, product_data: { name: 'SelfLink Coin (SLC)' } }, quantity: 1 }],
          client_reference_id: c.reference,
          metadata: { reference: c.reference },
          success_url: money.stripe.successUrl,
          cancel_url: money.stripe.cancelUrl,
        },
        { idempotencyKey: `checkout-${c.reference}` },
      );
    } catch (err) {
      req.log.warn({ err: (err as Error).message, reference: c.reference }, 'stripe checkout failed');
      throw E.providerError();
    }
    if (!session.url) throw E.providerError();
    await payments.setProviderReference(c.id, session.id);
    return reply.status(201).send({ ...checkoutBody(c), payment_url: session.url });
  });

  app.post('/payments/ipay/checkout', { schema: { tags: ['payments'], body: CheckoutBody, response: { 201: CheckoutResponse } } }, async (req, reply) => {
    const user = me(req);
    if (!payments.providerEnabled('ipay')) throw E.disabled('iPay disabled');
    minimum(req.body.amount_cents);
    const currency = checkCurrency(req.body.currency, money.ipay.allowedCurrencies);
    const c = await payments.createCheckout('ipay', user, req.body.amount_cents, currency);
    return reply.status(201).send(checkoutBody(c));
  });

  app.post('/payments/btcpay/checkout', { schema: { tags: ['payments'], body: CheckoutBody, response: { 201: CheckoutResponse } } }, async (req, reply) => {
    const user = me(req);
    if (!payments.providerEnabled('btcpay')) throw E.disabled('BTCPay disabled');
    minimum(req.body.amount_cents);
    const currency = checkCurrency(req.body.currency, money.btcpay.allowedCurrencies);
    if (!btcpayConfigured(money)) throw E.unavailable('BTCPay is not configured.');
    const c = await payments.createCheckout('btcpay', user, req.body.amount_cents, currency);
    let inv: { id: string; checkoutLink: string };
    try {
      inv = await btcpayCreateInvoice(money, c.amountCents, currency, c.reference);
    } catch (err) {
      req.log.warn({ err: (err as Error).message, reference: c.reference }, 'btcpay invoice failed');
      throw E.providerError();
    }
    await payments.setProviderReference(c.id, inv.id);
    return reply.status(201).send({ ...checkoutBody(c), payment_url: inv.checkoutLink });
  });
}
