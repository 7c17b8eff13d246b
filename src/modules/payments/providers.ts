// Provider protocols: Stripe (official SDK), iPay and BTCPay HMAC signatures, the BTCPay
// Greenfield API, Apple App Store signed transactions (JWS with an x5c chain) and Google Play.
import fs from 'node:fs';
import { createHash, createHmac, timingSafeEqual, X509Certificate } from 'node:crypto';
import type Stripe from 'stripe';
import { compactVerify } from 'jose';
import type { MoneyConfig } from '../../config.js';

export const sha256Hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * An HMAC-SHA256 signature header: lower-case hex (or standard base64) of the raw body, optionally
 * prefixed `name=` (e.g. `sha256=`). Both the whole value and the part after the first `=` are tried,
 * so base64 padding is never mistaken for a prefix.
 */
export function hmacMatches(secret: string, raw: Buffer, header: string | undefined, allowBase64: boolean): boolean {
  if (!header) return false;
  const mac = createHmac('sha256', secret).update(raw).digest();
  const hex = mac.toString('hex');
  const b64 = mac.toString('base64');
  const candidates = [header.trim()];
  const eq = header.indexOf('=');
  if (eq > 0) candidates.push(header.slice(eq + 1).trim());
  return candidates.some((c) => safeEqual(c.toLowerCase(), hex) || (allowBase64 && safeEqual(c, b64)));
}

/** "15.00" / 15 / 15.5 (major units) → minor units, exact, half-up; null when not a positive amount. */
export function majorToMinor(v: unknown): number | null {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : typeof v === 'string' ? v.trim() : '';
  const m = /^(\d{1,12})(?:\.(\d{1,12}))?$/.exec(s);
  if (!m) return null;
  const frac = (m[2] ?? '').padEnd(3, '0');
  let cents = Number(m[1]) * 100 + Number(frac.slice(0, 2));
  if (Number(frac[2]) >= 5) cents += 1;
  return cents > 0 && Number.isSafeInteger(cents) ? cents : null;
}

export const minorToMajor = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

// ---- Stripe ----

/**
 * The SDK client; STRIPE_API_BASE (an http(s) origin) points it at stripe-mock or a test server.
 * The SDK (a few hundred modules) loads on first use, not at every start.
 */
export async function stripeClient(money: MoneyConfig): Promise<Stripe> {
  const { default: Stripe } = await import('stripe');
  const base = money.stripe.apiBase ? new URL(money.stripe.apiBase) : null;
  // Webhook verification needs no API key; any placeholder keeps the SDK constructible then.
  return new Stripe(money.stripe.apiKey ?? 'sk_unconfigured', {
    maxNetworkRetries: 2,
    timeout: 20_000,
    ...(base && { host: base.hostname, port: base.port || (base.protocol === 'https:' ? 443 : 80), protocol: base.protocol === 'https:' ? 'https' : 'http' }),
  });
}

// ---- BTCPay Greenfield ----

export class ProviderError extends Error {
  override name = 'ProviderError';
}

async function btcpayFetch(money: MoneyConfig, path: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const b = money.btcpay;
  let res: Response;
  try {
    res = await fetch(`${b.baseUrl}/api/v1/stores/${encodeURIComponent(b.storeId!)}${path}`, {
      ...init,
      headers: { authorization: `token ${b.apiKey}`, 'content-type': 'application/json', accept: 'application/json' },
      signal: AbortSignal.timeout(b.timeoutMs),
    });
  } catch (err) {
    throw new ProviderError(`BTCPay request failed: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new ProviderError(`BTCPay answered ${res.status}`);
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new ProviderError('BTCPay answered malformed JSON');
  }
}

export const btcpayConfigured = (money: MoneyConfig) => Boolean(money.btcpay.baseUrl && money.btcpay.storeId && money.btcpay.apiKey);

export async function btcpayCreateInvoice(money: MoneyConfig, amountCents: number, currency: string, reference: string) {
  const inv = await btcpayFetch(money, '/invoices', { method: 'POST', body: JSON.stringify({ amount: minorToMajor(amountCents), currency, metadata: { reference } }) });
  const id = typeof inv.id === 'string' ? inv.id : null;
  const link = typeof inv.checkoutLink === 'string' ? inv.checkoutLink : typeof inv.checkout_url === 'string' ? inv.checkout_url : null;
  if (!id || !link) throw new ProviderError('BTCPay invoice without id or checkoutLink');
  return { id, checkoutLink: link };
}

export async function btcpayGetInvoice(money: MoneyConfig, id: string) {
  return btcpayFetch(money, `/invoices/${encodeURIComponent(id)}`);
}

// ---- Apple App Store signed transactions ----

export interface StoreVerdict {
  ok: boolean;
  status: 'paid' | 'pending' | 'failed';
  transactionId: string;
  productId: string;
  detail?: string;
}

function readCert(path: string): X509Certificate {
  return new X509Certificate(fs.readFileSync(path));
}

/**
 * Verifies a JWS signed transaction: the x5c chain must lead (each certificate signed by the next,
 * all currently valid) to the configured root, and the JWS must verify with the leaf's key.
 */
export async function verifyAppleTransaction(money: MoneyConfig, jws: string): Promise<StoreVerdict> {
  const fail = (detail: string): StoreVerdict => ({ ok: false, status: 'failed', transactionId: '', productId: '', detail });
  if (!money.iap.appleRootCertPath) return fail('Apple IAP verification not configured.');
  let root: X509Certificate;
  try {
    root = readCert(money.iap.appleRootCertPath);
  } catch {
    return fail('Apple IAP verification not configured.');
  }
  let header: { alg?: string; x5c?: unknown };
  try {
    header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8')) as typeof header;
  } catch {
    return fail('Malformed signed transaction.');
  }
  if (header.alg !== 'ES256' || !Array.isArray(header.x5c) || header.x5c.length < 2 || header.x5c.length > 5 || header.x5c.some((c) => typeof c !== 'string')) {
    return fail('Malformed signed transaction.');
  }
  let chain: X509Certificate[];
  try {
    chain = (header.x5c as string[]).map((c) => new X509Certificate(Buffer.from(c, 'base64')));
  } catch {
    return fail('Malformed certificate chain.');
  }
  const now = Date.now();
  for (const c of chain) if (Date.parse(c.validFrom) > now || Date.parse(c.validTo) < now) return fail('Certificate expired.');
  for (let i = 0; i < chain.length - 1; i++) {
    if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) return fail('Broken certificate chain.');
  }
  const top = chain[chain.length - 1];
  const anchored = top.fingerprint256 === root.fingerprint256 || (top.checkIssued(root) && top.verify(root.publicKey));
  if (!anchored) return fail('Untrusted certificate chain.');
  let payload: Record<string, unknown>;
  try {
    const r = await compactVerify(jws, chain[0].publicKey, { algorithms: ['ES256'] });
    payload = JSON.parse(Buffer.from(r.payload).toString('utf8')) as Record<string, unknown>;
  } catch {
    return fail('Invalid signature.');
  }
  if (money.iap.appleBundleId && payload.bundleId !== money.iap.appleBundleId) return fail('Wrong bundle id.');
  const transactionId = typeof payload.transactionId === 'string' ? payload.transactionId : '';
  const productId = typeof payload.productId === 'string' ? payload.productId : '';
  if (!transactionId || !productId) return fail('Incomplete transaction.');
  if (payload.revocationDate !== undefined && payload.revocationDate !== null) return { ok: true, status: 'failed', transactionId, productId, detail: 'Purchase revoked.' };
  return { ok: true, status: 'paid', transactionId, productId };
}

// ---- Google Play ----

/**
 * Asks the configured verification endpoint (the Play Developer API's
 * `applications/{pkg}/purchases/products/{sku}/tokens/{token}` or a compatible proxy).
 * purchaseState 0 = purchased, 1 = cancelled, 2 = pending.
 */
export async function verifyGooglePurchase(money: MoneyConfig, productId: string, token: string): Promise<StoreVerdict & { orderId: string | null }> {
  const g = money.iap;
  const fail = (detail: string) => ({ ok: false, status: 'failed' as const, transactionId: '', productId, detail, orderId: null });
  if (!g.googleVerifyUrl) return fail('Google IAP verification not configured.');
  let res: Response;
  try {
    res = await fetch(`${g.googleVerifyUrl}/applications/${encodeURIComponent(g.googlePackageName)}/purchases/products/${encodeURIComponent(productId)}/tokens/${encodeURIComponent(token)}`, {
      headers: { accept: 'application/json', ...(g.googleAccessToken && { authorization: `Bearer ${g.googleAccessToken}` }) },
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    return fail('Google verification unavailable.');
  }
  if (!res.ok) return fail('Verification failed.');
  let body: Record<string, unknown>;
  try {
    body = (await res.json()) as Record<string, unknown>;
  } catch {
    return fail('Verification failed.');
  }
  const state = body.purchaseState;
  const orderId = typeof body.orderId === 'string' && body.orderId ? body.orderId : null;
  if (state === 0) return { ok: true, status: 'paid', transactionId: orderId ?? '', productId, orderId };
  if (state === 2) return { ok: true, status: 'pending', transactionId: orderId ?? '', productId, orderId };
  return { ...fail('Verification failed.'), ok: state === 1, orderId };
}
