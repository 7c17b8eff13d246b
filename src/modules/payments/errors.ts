// The payments module's error catalogue: each error once (status, code, message). Handlers throw from
// it (`PaymentErrors.unknownReference()`, or with a per-answer `detail`), and routes.ts lists per route
// which of them it may answer, for the OpenAPI document. Field errors ({"field": ["…"]}) stay inline.
// `bare` errors keep the original's wire body, `{"detail"}` without a code (the app and the contract
// tests read them so); their code only names them in the OpenAPI document.
import { ApiError, defineErrors, type ErrorSpec } from '../../platform/http/errors.js';

const specs = {
  paymentsDisabled: { status: 403, code: 'payments_disabled', message: 'Payments disabled', bare: true },
  /** Checkouts and IAP: "<Provider> disabled", as the original. */
  disabled: { status: 403, code: 'provider_disabled', message: 'This payment provider is disabled.', bare: true },
  /** Webhooks. */
  providerDisabled: { status: 403, code: 'provider_disabled', message: 'This payment provider is disabled.' },
  unavailable: { status: 503, code: 'payments_unavailable', message: 'The payment provider is not configured.' },
  providerError: { status: 502, code: 'provider_error', message: 'Payment provider error.' },
  missingSignature: { status: 400, code: 'invalid_signature', message: 'Missing signature.' },
  /** Stripe answers 400 on a bad signature (what its retries expect), the HMAC providers 401. */
  badStripeSignature: { status: 400, code: 'invalid_signature', message: 'Invalid signature.' },
  badHmacSignature: { status: 401, code: 'invalid_signature', message: 'Invalid signature.' },
  hmacNotConfigured: { status: 401, code: 'payments_unavailable', message: 'The webhook secret is not configured.' },
  invalidPayload: { status: 400, code: 'invalid_payload', message: 'Invalid payload.', bare: true },
  missingReference: { status: 400, code: 'invalid_payload', message: 'Missing payment reference.', bare: true },
  unknownReference: { status: 400, code: 'unknown_reference', message: 'Unknown payment reference.', bare: true },
  referenceMismatch: { status: 400, code: 'reference_mismatch', message: 'Payment reference mismatch.', bare: true },
  amountMismatch: { status: 400, code: 'amount_mismatch', message: 'Payment amount mismatch.', bare: true },
  eventMismatch: { status: 400, code: 'event_mismatch', message: 'Payment event mismatch.', bare: true },
  invalidAmount: { status: 400, code: 'invalid_amount', message: 'Payment amount is invalid.', bare: true },
  paymentFailed: { status: 400, code: 'payment_failed', message: 'PaymentEvent is failed.', bare: true },
  invoiceUnreadable: { status: 502, code: 'provider_error', message: 'Could not read the invoice from BTCPay.', bare: true },
  unknownProduct: { status: 400, code: 'unknown_product', message: 'Unknown product_id.', bare: true },
  verificationFailed: { status: 400, code: 'verification_failed', message: 'Verification failed.', bare: true },
  notSettled: { status: 409, code: 'not_settled', message: 'Purchase not settled.', bare: true },
  giftTypeNotFound: { status: 404, code: 'not_found', message: 'Not found.' },
  planNotFound: { status: 404, code: 'not_found', message: 'Not found.' },
  subscriptionNotFound: { status: 404, code: 'not_found', message: 'Not found.' },
  alreadySubscribed: { status: 409, code: 'already_subscribed', message: 'You already have an active subscription to this plan.' },
} satisfies Record<string, ErrorSpec & { bare?: true }>;

const coded = defineErrors(specs);
const bare = (s: ErrorSpec) => (detail?: string) => new ApiError(s.status, { detail: detail ?? s.message });

export const PaymentErrors: typeof coded = Object.assign(
  Object.fromEntries(Object.entries(specs).map(([name, s]) => [name, 'bare' in s ? bare(s) : coded[name as keyof typeof specs]])),
  { specs },
) as unknown as typeof coded;
