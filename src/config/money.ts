// SLC credits and payments: throttles, exchange rates, providers and their webhooks, store SKUs.
import { bool, ConfigError, int, list, lowerList, optStr, parseRate, str, upperList, url, type Env, type RateSpec } from './readers.js';

/** SLC credits and payments (issue 11). */
export interface MoneyConfig {
  throttles: { transfer: RateSpec; spend: RateSpec; paidReaction: RateSpec; iapVerify: RateSpec };
  /** US dollars per unit of each currency, as exact decimal strings (USD is always 1). */
  fxRates: Record<string, string>;
  giftCreatorShareBps: number;
  paymentsEnabled: boolean;
  providers: { stripe: boolean; ipay: boolean; btcpay: boolean; iap: boolean };
  stripe: { apiKey: string | null; webhookSecret: string | null; apiBase: string | null; minCents: number; allowedCurrencies: string[]; successUrl: string; cancelUrl: string };
  /** Where Stripe sends the buyer after a subscription checkout (PAYMENTS_CHECKOUT_*, the Stripe top-up URLs by default). */
  subscriptions: { successUrl: string; cancelUrl: string };
  ipay: { webhookSecret: string | null; allowedCurrencies: string[]; paidStatuses: string[]; failedStatuses: string[] };
  btcpay: { baseUrl: string | null; storeId: string | null; apiKey: string | null; webhookSecret: string | null; allowedCurrencies: string[]; paidStatuses: string[]; failedStatuses: string[]; timeoutMs: number };
  iap: { appleRootCertPath: string | null; appleBundleId: string | null; googleVerifyUrl: string | null; googlePackageName: string; googleAccessToken: string | null; skus: Record<string, { amountCents: number; currency: string }> };
}

function fxRates(env: Env): Record<string, string> {
  const out: Record<string, string> = { USD: '1' };
  for (const part of list(env, 'COIN_FX_RATES', [])) {
    const m = /^([A-Za-z]{3})\s*=\s*(\d{1,9}(?:\.\d{1,12})?)$/.exec(part);
    if (!m || !/[1-9]/.test(m[2])) throw new ConfigError(`COIN_FX_RATES must look like "EUR=1.08,GEL=0.37" (positive decimals), got "${part}"`);
    if (m[1].toUpperCase() !== 'USD') out[m[1].toUpperCase()] = m[2];
  }
  return out;
}

function skuMap(env: Env): Record<string, { amountCents: number; currency: string }> {
  const raw = optStr(env, 'IAP_SKU_MAP');
  if (raw === null) return { 'com.selflink.slc.499': { amountCents: 499, currency: 'USD' }, 'com.selflink.slc.999': { amountCents: 999, currency: 'USD' } };
  const out: Record<string, { amountCents: number; currency: string }> = {};
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([\w.-]{1,128})\s*=\s*(\d{1,9})(?:\s*:?\s*([A-Za-z]{3}))?$/.exec(part);
    if (!m || Number(m[2]) <= 0) throw new ConfigError(`IAP_SKU_MAP must look like "com.app.sku=499:USD,…", got "${part}"`);
    out[m[1]] = { amountCents: Number(m[2]), currency: (m[3] ?? 'USD').toUpperCase() };
  }
  return out;
}

export function moneyConfig(env: Env): MoneyConfig {
  const apiBase = url(env, 'STRIPE_API_BASE', ['http:', 'https:']);
  const successUrl = str(env, 'STRIPE_CHECKOUT_SUCCESS_URL', 'http://localhost:3000/payments/success');
  const cancelUrl = str(env, 'STRIPE_CHECKOUT_CANCEL_URL', 'http://localhost:3000/payments/cancel');
  return {
    throttles: {
      transfer: parseRate('COIN_THROTTLE_TRANSFER', str(env, 'COIN_THROTTLE_TRANSFER', '30/min')),
      spend: parseRate('COIN_THROTTLE_SPEND', str(env, 'COIN_THROTTLE_SPEND', '60/min')),
      paidReaction: parseRate('PAID_REACTION_THROTTLE', str(env, 'PAID_REACTION_THROTTLE', '30/min')),
      iapVerify: parseRate('IAP_THROTTLE_VERIFY', str(env, 'IAP_THROTTLE_VERIFY', '20/min')),
    },
    fxRates: fxRates(env),
    giftCreatorShareBps: int(env, 'GIFT_CREATOR_SHARE_BPS', 0, 0, 10_000),
    paymentsEnabled: bool(env, 'FEATURE_PAYMENTS', true),
    providers: {
      stripe: bool(env, 'PAYMENTS_PROVIDER_ENABLED_STRIPE', true),
      ipay: bool(env, 'PAYMENTS_PROVIDER_ENABLED_IPAY', true),
      btcpay: bool(env, 'PAYMENTS_PROVIDER_ENABLED_BTCPAY', true),
      iap: bool(env, 'PAYMENTS_PROVIDER_ENABLED_IAP', false),
    },
    stripe: {
      apiKey: optStr(env, 'STRIPE_API_KEY'),
      webhookSecret: optStr(env, 'STRIPE_WEBHOOK_SECRET'),
      apiBase: apiBase ? apiBase.replace(/\/+$/, '') : null,
      minCents: int(env, 'STRIPE_CHECKOUT_MIN_CENTS', 50, 1),
      allowedCurrencies: upperList(env, 'STRIPE_ALLOWED_CURRENCIES', ['USD', 'EUR', 'GEL']),
      successUrl,
      cancelUrl,
    },
    // The original read these as settings it never defined, so subscriptions always went to localhost.
    subscriptions: {
      successUrl: str(env, 'PAYMENTS_CHECKOUT_SUCCESS_URL', successUrl),
      cancelUrl: str(env, 'PAYMENTS_CHECKOUT_CANCEL_URL', cancelUrl),
    },
    ipay: {
      webhookSecret: optStr(env, 'IPAY_WEBHOOK_SECRET'),
      allowedCurrencies: upperList(env, 'IPAY_ALLOWED_CURRENCIES', ['USD', 'EUR', 'GEL']),
      paidStatuses: lowerList(env, 'IPAY_PAID_STATUSES', ['paid', 'success', 'completed']),
      failedStatuses: lowerList(env, 'IPAY_FAILED_STATUSES', ['failed', 'canceled', 'expired']),
    },
    btcpay: {
      baseUrl: (url(env, 'BTCPAY_BASE_URL', ['http:', 'https:']) ?? '').replace(/\/+$/, '') || null,
      storeId: optStr(env, 'BTCPAY_STORE_ID'),
      apiKey: optStr(env, 'BTCPAY_API_KEY'),
      webhookSecret: optStr(env, 'BTCPAY_WEBHOOK_SECRET'),
      allowedCurrencies: upperList(env, 'BTCPAY_ALLOWED_CURRENCIES', ['USD', 'EUR']),
      paidStatuses: lowerList(env, 'BTCPAY_PAID_STATUSES', ['settled']),
      failedStatuses: lowerList(env, 'BTCPAY_FAILED_STATUSES', ['expired', 'invalid']),
      timeoutMs: int(env, 'BTCPAY_TIMEOUT_SECONDS', 10, 1, 120) * 1000,
    },
    iap: {
      appleRootCertPath: optStr(env, 'IAP_APPLE_ROOT_CERT_PATH'),
      appleBundleId: optStr(env, 'IAP_APPLE_BUNDLE_ID'),
      googleVerifyUrl: (url(env, 'IAP_GOOGLE_VERIFY_URL', ['http:', 'https:']) ?? '').replace(/\/+$/, '') || null,
      googlePackageName: str(env, 'IAP_GOOGLE_PACKAGE_NAME', 'com.selflink.app'),
      googleAccessToken: optStr(env, 'IAP_GOOGLE_ACCESS_TOKEN'),
      skus: skuMap(env),
    },
  };
}
