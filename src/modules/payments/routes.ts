// payments/*: gift catalogue, plans, subscriptions, wallet, checkouts and provider webhooks.
import { and, desc, eq } from 'drizzle-orm';
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { ApiError, notFound, unauthorized } from '../../platform/http/errors.js';
import { clampPageSize, cursorPage, decodeCursor, paginate } from '../../platform/http/pagination.js';
import { IdParam, PageQuery } from '../../platform/http/schemas.js';
import { scope } from '../../platform/http/route-helpers.js';
import { validateEffects } from './gifts.js';
import { plans, subscriptions } from './schema.js';
import { paymentError, toSlcCents, type Notification } from './service.js';
import {
  btcpayConfigured,
  btcpayCreateInvoice,
  btcpayGetInvoice,
  hmacMatches,
  majorToMinor,
  ProviderError,
  sha256Hex,
  stripeClient,
  verifyAppleTransaction,
  verifyGooglePurchase,
} from './providers.js';

const Open = Type.Object({}, { additionalProperties: true });
const me = (req: FastifyRequest) => {
  if (!req.user) throw unauthorized();
  return req.user.id;
};
const disabled = (name: string) => new ApiError(403, { detail: `${name} disabled` });
const received = { received: true };

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

const GiftBody = {
  key: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), Type.Null()])),
  name: Type.String({ minLength: 1, maxLength: 64 }),
  price_cents: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
  price_slc_cents: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
  kind: Type.Optional(Type.Union([Type.Literal('static'), Type.Literal('animated')])),
  art_url: Type.Optional(Type.String({ maxLength: 500 })),
  media_url: Type.Optional(Type.String({ maxLength: 500 })),
  animation_url: Type.Optional(Type.String({ maxLength: 500 })),
  is_active: Type.Optional(Type.Boolean()),
  effects: Type.Optional(Type.Union([Open, Type.Null()])),
  metadata: Type.Optional(Open),
};

export async function paymentsRoutes(app: App, ctx: Ctx) {
  const payments = ctx.services.payments;
  const money = ctx.config.money;
  const gifts = payments.gifts;
  const origin = (req: FastifyRequest) => ctx.config.publicBaseUrl ?? `${req.protocol}://${req.host}`;

  // ---- gift catalogue ----

  app.get('/payments/gifts', { config: { auth: 'none' }, schema: { tags: ['payments'], querystring: Type.Object(PageQuery) } }, async (req) => {
    if (!money.paymentsEnabled) return { next: null, previous: null, results: [] };
    const limit = clampPageSize(req.query.page_size);
    const page = paginate(await gifts.listActive(decodeCursor(req.query.cursor), limit), limit);
    return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, page.rows.map((g) => gifts.present(g, origin(req))));
  });

  app.get('/payments/gifts/:id', { config: { auth: 'none' }, schema: { tags: ['payments'], params: IdParam } }, async (req) => {
    const g = await gifts.get(req.params.id);
    if (!g || !g.isActive) throw notFound();
    return gifts.present(g, origin(req));
  });

  const giftValues = (b: Record<string, unknown>) => {
    if (b.effects !== undefined) {
      const err = validateEffects(b.effects);
      if (err) throw new ApiError(400, { effects: [err] });
    }
    const map: Record<string, string> = { key: 'key', name: 'name', price_cents: 'priceCents', price_slc_cents: 'priceSlcCents', kind: 'kind', art_url: 'artUrl', media_url: 'mediaUrl', animation_url: 'animationUrl', is_active: 'isActive', effects: 'effects', metadata: 'metadata' };
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(b)) if (map[k]) out[map[k]] = k === 'effects' && v === null ? {} : v;
    return out;
  };

  app.post('/payments/gifts', { config: { auth: 'staff' }, schema: { tags: ['payments'], description: 'Staff: adds a gift type.', body: Type.Object(GiftBody, { additionalProperties: false }) } }, async (req, reply) => {
    const row = await gifts.create(giftValues(req.body) as never);
    return reply.status(201).send(gifts.present(row, origin(req)));
  });

  const GiftPatch = Type.Object({ ...GiftBody, name: Type.Optional(GiftBody.name), price_cents: Type.Optional(GiftBody.price_cents) }, { additionalProperties: false });
  const patchGift = async (req: FastifyRequest<{ Params: { id: number }; Body: Record<string, unknown> }>) => {
    const row = await gifts.update(req.params.id, giftValues(req.body));
    if (!row) throw notFound();
    return gifts.present(row, origin(req));
  };
  app.patch('/payments/gifts/:id', { config: { auth: 'staff' }, schema: { tags: ['payments'], params: IdParam, body: GiftPatch } }, async (req) => patchGift(req as never));
  app.put('/payments/gifts/:id', { config: { auth: 'staff' }, schema: { tags: ['payments'], params: IdParam, body: GiftPatch } }, async (req) => patchGift(req as never));
  app.delete('/payments/gifts/:id', { config: { auth: 'staff' }, schema: { tags: ['payments'], description: 'Staff: deactivates a gift type (sent gifts keep it).', params: IdParam } }, async (req, reply) => {
    if (!(await gifts.update(req.params.id, { isActive: false }))) throw notFound();
    return reply.status(204).send();
  });

  // ---- plans, subscriptions, wallet ----

  const presentPlan = (p: typeof plans.$inferSelect) => ({ id: p.id, name: p.name, price_cents: p.priceCents, interval: p.interval, features: p.features, is_active: p.isActive });

  app.get('/payments/plans', { config: { auth: 'none' }, schema: { tags: ['payments'], querystring: Type.Object(PageQuery) } }, async (req) => {
    if (!money.paymentsEnabled) return { next: null, previous: null, results: [] };
    const limit = clampPageSize(req.query.page_size);
    const rows = await ctx.db.select().from(plans).where(eq(plans.isActive, true)).orderBy(desc(plans.createdAt), desc(plans.id)).limit(limit + 1);
    const page = paginate(rows, limit);
    return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, page.rows.map(presentPlan));
  });
  app.get('/payments/plans/:id', { config: { auth: 'none' }, schema: { tags: ['payments'], params: IdParam } }, async (req) => {
    const [p] = await ctx.db.select().from(plans).where(and(eq(plans.id, req.params.id), eq(plans.isActive, true)));
    if (!p) throw notFound();
    return presentPlan(p);
  });

  app.get('/payments/subscriptions/wallet', { schema: { tags: ['payments'], description: 'The legacy wallet (SLC balances live in coin/balance/).' } }, async (req) => payments.wallet(me(req)));

  const presentSub = async (s: typeof subscriptions.$inferSelect) => {
    const [p] = await ctx.db.select().from(plans).where(eq(plans.id, s.planId));
    return {
      id: s.id,
      plan: presentPlan(p),
      status: s.status,
      current_period_start: s.currentPeriodStart?.toISOString() ?? null,
      current_period_end: s.currentPeriodEnd?.toISOString() ?? null,
      created_at: s.createdAt.toISOString(),
      updated_at: s.updatedAt.toISOString(),
    };
  };
  app.get('/payments/subscriptions', { schema: { tags: ['payments'], querystring: Type.Object(PageQuery) } }, async (req) => {
    const limit = clampPageSize(req.query.page_size);
    const rows = await ctx.db.select().from(subscriptions).where(eq(subscriptions.userId, me(req))).orderBy(desc(subscriptions.createdAt), desc(subscriptions.id)).limit(limit + 1);
    const page = paginate(rows, limit);
    return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, await Promise.all(page.rows.map(presentSub)));
  });
  app.get('/payments/subscriptions/:id', { schema: { tags: ['payments'], params: IdParam } }, async (req) => {
    const [s] = await ctx.db.select().from(subscriptions).where(and(eq(subscriptions.id, req.params.id), eq(subscriptions.userId, me(req))));
    if (!s) throw notFound();
    return presentSub(s);
  });

  // ---- checkouts ----

  function checkCurrency(raw: string, allowed: string[]) {
    const c = raw.trim().toUpperCase();
    if (!allowed.includes(c)) throw new ApiError(400, { currency: [`Unsupported currency. Use one of: ${allowed.join(', ')}.`] });
    if (toSlcCents(1, c, money.fxRates) === null) throw new ApiError(400, { currency: [`No exchange rate for ${c}.`] });
    return c;
  }
  const checkoutBody = (c: { id: number; reference: string; amountCents: number; currency: string; status: string }) => ({
    checkout_id: c.id,
    reference: c.reference,
    amount_cents: c.amountCents,
    currency: c.currency,
    status: c.status,
  });
  const unavailable = (what: string) => new ApiError(503, { detail: `${what} is not configured.`, code: 'payments_unavailable' });
  const minimum = (amount: number) => {
    if (amount < money.stripe.minCents) throw new ApiError(400, { amount_cents: [`Amount must be at least ${money.stripe.minCents} cents.`] });
  };

  app.post('/payments/stripe/checkout', { schema: { tags: ['payments'], body: CheckoutBody, response: { 201: CheckoutResponse } } }, async (req, reply) => {
    const user = me(req);
    if (!payments.providerEnabled('stripe')) throw disabled('Stripe');
    minimum(req.body.amount_cents);
    const currency = checkCurrency(req.body.currency, money.stripe.allowedCurrencies);
    if (!money.stripe.apiKey) throw unavailable('Stripe');
    const c = await payments.createCheckout('stripe', user, req.body.amount_cents, currency);
    let session: { id: string; url: string | null };
    try {
      session = await stripeClient(money).checkout.sessions.create(
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
      throw new ApiError(502, { detail: 'Payment provider error.', code: 'provider_error' });
    }
    if (!session.url) throw new ApiError(502, { detail: 'Payment provider error.', code: 'provider_error' });
    await payments.setProviderReference(c.id, session.id);
    return reply.status(201).send({ ...checkoutBody(c), payment_url: session.url });
  });

  app.post('/payments/ipay/checkout', { schema: { tags: ['payments'], body: CheckoutBody, response: { 201: CheckoutResponse } } }, async (req, reply) => {
    const user = me(req);
    if (!payments.providerEnabled('ipay')) throw disabled('iPay');
    minimum(req.body.amount_cents);
    const currency = checkCurrency(req.body.currency, money.ipay.allowedCurrencies);
    const c = await payments.createCheckout('ipay', user, req.body.amount_cents, currency);
    return reply.status(201).send(checkoutBody(c));
  });

  app.post('/payments/btcpay/checkout', { schema: { tags: ['payments'], body: CheckoutBody, response: { 201: CheckoutResponse } } }, async (req, reply) => {
    const user = me(req);
    if (!payments.providerEnabled('btcpay')) throw disabled('BTCPay');
    minimum(req.body.amount_cents);
    const currency = checkCurrency(req.body.currency, money.btcpay.allowedCurrencies);
    if (!btcpayConfigured(money)) throw unavailable('BTCPay');
    const c = await payments.createCheckout('btcpay', user, req.body.amount_cents, currency);
    let inv: { id: string; checkoutLink: string };
    try {
      inv = await btcpayCreateInvoice(money, c.amountCents, currency, c.reference);
    } catch (err) {
      req.log.warn({ err: (err as Error).message, reference: c.reference }, 'btcpay invoice failed');
      throw new ApiError(502, { detail: 'Payment provider error.', code: 'provider_error' });
    }
    await payments.setProviderReference(c.id, inv.id);
    return reply.status(201).send({ ...checkoutBody(c), payment_url: inv.checkoutLink });
  });

  // ---- in-app purchases ----

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
      if (!payments.providerEnabled('iap')) throw disabled('IAP');
      const b = req.body;
      if (b.platform === 'ios' && !b.receipt) throw new ApiError(400, { receipt: ['This field is required.'] });
      if (b.platform === 'android' && !b.purchase_token) throw new ApiError(400, { purchase_token: ['This field is required.'] });
      const sku = money.iap.skus[b.product_id];
      if (!sku) throw paymentError('Unknown product_id.');
      const slc = toSlcCents(sku.amountCents, sku.currency, money.fxRates);
      if (!slc || slc <= 0) throw paymentError('SKU amount invalid.');
      const verdict = b.platform === 'ios' ? await verifyAppleTransaction(money, b.receipt!) : await verifyGooglePurchase(money, b.product_id, b.purchase_token!);
      if (!verdict.ok) throw paymentError(verdict.detail ?? 'Verification failed.');
      if (b.platform === 'ios' && (verdict.transactionId !== b.transaction_id || verdict.productId !== b.product_id)) throw paymentError('Verification failed.');
      if (verdict.status === 'pending') throw new ApiError(409, { detail: 'Purchase not settled.' });
      if (verdict.status === 'failed') throw paymentError('Verification failed.');
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

  // ---- webhooks: no auth, raw bytes, never throttled ----

  await app.register(async (hooks) => {
    hooks.removeAllContentTypeParsers();
    hooks.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    const raw = (req: FastifyRequest) => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    const hook = { config: { auth: 'none' as const, throttle: false }, schema: { tags: ['payments'], hide: false } };
    const parseObject = (buf: Buffer): Record<string, unknown> => {
      try {
        const v = JSON.parse(buf.toString('utf8')) as unknown;
        if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
      } catch {
        /* below */
      }
      throw paymentError('Invalid payload.');
    };

    hooks.post('/payments/stripe/webhook', hook, async (req, reply: FastifyReply) => {
      if (!payments.providerEnabled('stripe')) return reply.status(403).send({ detail: 'This payment provider is disabled.', code: 'provider_disabled' });
      if (!money.stripe.webhookSecret) throw unavailable('Stripe webhook');
      const sig = req.headers['stripe-signature'];
      if (typeof sig !== 'string' || !sig) return reply.status(400).send({ detail: 'Missing signature.', code: 'invalid_signature' });
      const body = raw(req);
      let event: { id: string; type: string; data: { object: Record<string, unknown> } };
      try {
        event = stripeClient(money).webhooks.constructEvent(body, sig, money.stripe.webhookSecret) as never;
      } catch {
        return reply.status(400).send({ detail: 'Invalid signature.', code: 'invalid_signature' });
      }
      const kinds = ['checkout.session.completed', 'checkout.session.async_payment_succeeded', 'checkout.session.async_payment_failed'];
      if (!kinds.includes(event.type)) return received;
      const s = event.data?.object ?? {};
      if (s.mode === 'subscription') return received;
      const meta = (s.metadata && typeof s.metadata === 'object' ? s.metadata : {}) as Record<string, unknown>;
      const ref = [s.client_reference_id, meta.reference, meta.payment_reference].find((v) => typeof v === 'string' && v);
      if (typeof ref !== 'string') throw paymentError('Missing payment reference.');
      const c = await payments.checkoutByReference('stripe', ref);
      if (!c) throw paymentError('Unknown payment reference.');
      if (typeof event.id !== 'string' || !event.id) throw paymentError('Missing event id.');
      const amount = s.amount_total ?? s.amount_received;
      if (amount === undefined || amount === null) throw paymentError('Stripe amount is required for coin minting.');
      if (!Number.isSafeInteger(amount) || (amount as number) <= 0) throw paymentError('Stripe amount is invalid.');
      const currency = (typeof s.currency === 'string' && s.currency ? s.currency : 'usd').toUpperCase();
      const status = event.type === 'checkout.session.async_payment_failed' ? 'failed' : s.payment_status === 'paid' ? 'paid' : 'pending';
      await payments.settleCheckout(c.id, { provider: 'stripe', providerEventId: event.id, eventType: event.type, amountCents: amount as number, currency, status, rawBodyHash: sha256Hex(body), source: 'stripe_webhook' });
      return received;
    });

    hooks.post('/payments/ipay/webhook', hook, async (req, reply: FastifyReply) => {
      if (!payments.providerEnabled('ipay')) return reply.status(403).send({ detail: 'This payment provider is disabled.', code: 'provider_disabled' });
      const secret = money.ipay.webhookSecret;
      if (!secret) return reply.status(401).send({ detail: 'IPAY_WEBHOOK_SECRET is not configured.', code: 'payments_unavailable' });
      const body = raw(req);
      const sig = req.headers['x-ipay-signature'];
      if (!hmacMatches(secret, body, typeof sig === 'string' ? sig : undefined, true)) return reply.status(401).send({ detail: 'Invalid signature.', code: 'invalid_signature' });
      const p = parseObject(body);
      const first = (...keys: string[]) => keys.map((k) => p[k]).find((v) => (typeof v === 'string' && v.trim()) || typeof v === 'number');
      const reference = first('order_id', 'reference', 'merchant_order_id', 'external_id');
      if (reference === undefined) throw paymentError('Payment reference is required.');
      const status = first('status', 'payment_status', 'state');
      if (typeof status !== 'string') throw paymentError('Payment status is required.');
      const currency = first('currency', 'currency_code');
      if (typeof currency !== 'string') throw paymentError('Payment currency is required.');
      let amount: number | null = null;
      if (Number.isSafeInteger(p.amount_cents) && (p.amount_cents as number) > 0) amount = p.amount_cents as number;
      else if (typeof p.amount_cents === 'string' && /^\d{1,12}$/.test(p.amount_cents)) amount = Number(p.amount_cents);
      else if (p.amount !== undefined) amount = majorToMinor(p.amount);
      if (!amount || amount <= 0) throw paymentError('Payment amount is invalid.');
      const c = await payments.checkoutByReference('ipay', String(reference));
      if (!c) throw paymentError('Unknown payment reference.');
      const eventId = String(first('event_id', 'payment_id', 'transaction_id', 'id') ?? reference).slice(0, 128);
      const st = status.toLowerCase();
      const outcome = money.ipay.paidStatuses.includes(st) ? 'paid' : money.ipay.failedStatuses.includes(st) ? 'failed' : 'pending';
      await payments.settleCheckout(c.id, { provider: 'ipay', providerEventId: eventId, eventType: String(p.event_type ?? p.type ?? 'ipay.payment').slice(0, 64), amountCents: amount, currency: currency.toUpperCase(), status: outcome, rawBodyHash: sha256Hex(body), source: 'ipay_webhook' });
      return received;
    });

    hooks.post('/payments/btcpay/webhook', hook, async (req, reply: FastifyReply) => {
      if (!payments.providerEnabled('btcpay')) return reply.status(403).send({ detail: 'This payment provider is disabled.', code: 'provider_disabled' });
      const secret = money.btcpay.webhookSecret;
      if (!secret) return reply.status(401).send({ detail: 'BTCPAY_WEBHOOK_SECRET is not configured.', code: 'payments_unavailable' });
      const body = raw(req);
      const sig = req.headers['btcpay-sig'];
      if (!hmacMatches(secret, body, typeof sig === 'string' ? sig : undefined, false)) return reply.status(401).send({ detail: 'Invalid signature.', code: 'invalid_signature' });
      const p = parseObject(body);
      const invoiceId = [p.invoiceId, p.invoice_id, p.id].find((v) => typeof v === 'string' && v);
      const type = [p.type, p.eventType, p.event_type].find((v) => typeof v === 'string' && v);
      if (typeof invoiceId !== 'string' || typeof type !== 'string') throw paymentError('Invoice id and type are required.');
      if (!btcpayConfigured(money)) throw unavailable('BTCPay');
      let inv: Record<string, unknown>;
      try {
        inv = await btcpayGetInvoice(money, invoiceId);
      } catch (err) {
        if (err instanceof ProviderError) throw new ApiError(502, { detail: 'Could not read the invoice from BTCPay.' });
        throw err;
      }
      const amount = majorToMinor(inv.amount ?? inv.price);
      const currency = typeof inv.currency === 'string' ? inv.currency.toUpperCase() : null;
      const status = typeof inv.status === 'string' ? inv.status.toLowerCase() : typeof inv.state === 'string' ? inv.state.toLowerCase() : null;
      const meta = (inv.metadata && typeof inv.metadata === 'object' ? inv.metadata : {}) as Record<string, unknown>;
      const ref = [meta.reference, meta.orderId, meta.order_id].find((v) => typeof v === 'string' && v) as string | undefined;
      if (!amount || !currency || !status || (inv.id !== undefined && inv.id !== invoiceId)) throw paymentError('Invalid invoice.');
      let c = await payments.checkoutByProviderReference('btcpay', invoiceId);
      if (c && ref && ref !== c.reference) throw paymentError('Payment reference mismatch.');
      if (!c && ref) {
        c = await payments.checkoutByReference('btcpay', ref);
        if (c && c.providerReference && c.providerReference !== invoiceId) throw paymentError('Payment reference mismatch.');
        if (c && !c.providerReference) await payments.setProviderReference(c.id, invoiceId);
      }
      if (!c) throw paymentError('Unknown payment reference.');
      const outcome = money.btcpay.paidStatuses.includes(status) ? 'paid' : money.btcpay.failedStatuses.includes(status) ? 'failed' : 'pending';
      await payments.settleCheckout(c.id, { provider: 'btcpay', providerEventId: invoiceId, eventType: type.slice(0, 64), amountCents: amount, currency, status: outcome, rawBodyHash: sha256Hex(body), source: 'btcpay_webhook' });
      return received;
    });
  });
}
