// POST payments/{ipay,btcpay}/webhook/: HMAC-SHA256 signed notifications (401 on a bad signature)
// settled through the common mint pipeline (one mint per checkout).
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { PaymentErrors as E } from './errors.js';
import { received } from './http.js';
import { btcpayConfigured, btcpayGetInvoice, hmacMatches, majorToMinor, ProviderError, sha256Hex } from './providers.js';

function parseObject(buf: Buffer): Record<string, unknown> {
  try {
    const v = JSON.parse(buf.toString('utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* below */
  }
  throw E.invalidPayload();
}

export function hmacWebhooks(hooks: App, ctx: Ctx, opts: { raw: (req: FastifyRequest) => Buffer; config: Record<string, unknown> }) {
  const payments = ctx.services.payments;
  const money = ctx.config.money;
  const raw = opts.raw;

  hooks.post('/payments/ipay/webhook', opts.config, async (req) => {
    if (!payments.providerEnabled('ipay')) throw E.providerDisabled();
    const secret = money.ipay.webhookSecret;
    if (!secret) throw E.hmacNotConfigured('IPAY_WEBHOOK_SECRET is not configured.');
    const body = raw(req);
    const sig = req.headers['x-ipay-signature'];
    if (!hmacMatches(secret, body, typeof sig === 'string' ? sig : undefined, true)) throw E.badHmacSignature();
    const p = parseObject(body);
    const first = (...keys: string[]) => keys.map((k) => p[k]).find((v) => (typeof v === 'string' && v.trim()) || typeof v === 'number');
    const reference = first('order_id', 'reference', 'merchant_order_id', 'external_id');
    if (reference === undefined) throw E.invalidPayload('Payment reference is required.');
    const status = first('status', 'payment_status', 'state');
    if (typeof status !== 'string') throw E.invalidPayload('Payment status is required.');
    const currency = first('currency', 'currency_code');
    if (typeof currency !== 'string') throw E.invalidPayload('Payment currency is required.');
    let amount: number | null = null;
    if (Number.isSafeInteger(p.amount_cents) && (p.amount_cents as number) > 0) amount = p.amount_cents as number;
    else if (typeof p.amount_cents === 'string' && /^\d{1,12}$/.test(p.amount_cents)) amount = Number(p.amount_cents);
    else if (p.amount !== undefined) amount = majorToMinor(p.amount);
    if (!amount || amount <= 0) throw E.invalidAmount();
    const c = await payments.checkoutByReference('ipay', String(reference));
    if (!c) throw E.unknownReference();
    const eventId = String(first('event_id', 'payment_id', 'transaction_id', 'id') ?? reference).slice(0, 128);
    const st = status.toLowerCase();
    const outcome = money.ipay.paidStatuses.includes(st) ? 'paid' : money.ipay.failedStatuses.includes(st) ? 'failed' : 'pending';
    await payments.settleCheckout(c.id, { provider: 'ipay', providerEventId: eventId, eventType: String(p.event_type ?? p.type ?? 'ipay.payment').slice(0, 64), amountCents: amount, currency: currency.toUpperCase(), status: outcome, rawBodyHash: sha256Hex(body), source: 'ipay_webhook' });
    return received;
  });

  hooks.post('/payments/btcpay/webhook', opts.config, async (req) => {
    if (!payments.providerEnabled('btcpay')) throw E.providerDisabled();
    const secret = money.btcpay.webhookSecret;
    if (!secret) throw E.hmacNotConfigured('BTCPAY_WEBHOOK_SECRET is not configured.');
    const body = raw(req);
    const sig = req.headers['btcpay-sig'];
    if (!hmacMatches(secret, body, typeof sig === 'string' ? sig : undefined, false)) throw E.badHmacSignature();
    const p = parseObject(body);
    const invoiceId = [p.invoiceId, p.invoice_id, p.id].find((v) => typeof v === 'string' && v);
    const type = [p.type, p.eventType, p.event_type].find((v) => typeof v === 'string' && v);
    if (typeof invoiceId !== 'string' || typeof type !== 'string') throw E.invalidPayload('Invoice id and type are required.');
    if (!btcpayConfigured(money)) throw E.unavailable('BTCPay is not configured.');
    let inv: Record<string, unknown>;
    try {
      inv = await btcpayGetInvoice(money, invoiceId);
    } catch (err) {
      if (err instanceof ProviderError) throw E.invoiceUnreadable();
      throw err;
    }
    const amount = majorToMinor(inv.amount ?? inv.price);
    const currency = typeof inv.currency === 'string' ? inv.currency.toUpperCase() : null;
    const status = typeof inv.status === 'string' ? inv.status.toLowerCase() : typeof inv.state === 'string' ? inv.state.toLowerCase() : null;
    const meta = (inv.metadata && typeof inv.metadata === 'object' ? inv.metadata : {}) as Record<string, unknown>;
    const ref = [meta.reference, meta.orderId, meta.order_id].find((v) => typeof v === 'string' && v) as string | undefined;
    if (!amount || !currency || !status || (inv.id !== undefined && inv.id !== invoiceId)) throw E.invalidPayload('Invalid invoice.');
    let c = await payments.checkoutByProviderReference('btcpay', invoiceId);
    if (c && ref && ref !== c.reference) throw E.referenceMismatch();
    if (!c && ref) {
      c = await payments.checkoutByReference('btcpay', ref);
      if (c && c.providerReference && c.providerReference !== invoiceId) throw E.referenceMismatch();
      if (c && !c.providerReference) await payments.setProviderReference(c.id, invoiceId);
    }
    if (!c) throw E.unknownReference();
    const outcome = money.btcpay.paidStatuses.includes(status) ? 'paid' : money.btcpay.failedStatuses.includes(status) ? 'failed' : 'pending';
    await payments.settleCheckout(c.id, { provider: 'btcpay', providerEventId: invoiceId, eventType: type.slice(0, 64), amountCents: amount, currency, status: outcome, rawBodyHash: sha256Hex(body), source: 'btcpay_webhook' });
    return received;
  });
}
