// The coin module's error catalogue: each code once (status, code, message); handlers and the ledger
// throw from it and routes list theirs in `config.errors` (shown per operation in the OpenAPI document).
// Some messages are the bare code: the app shows the code's own translation, as the original did.
import { ApiError, defineErrors } from '../../platform/http/errors.js';

const catalogue = defineErrors({
  invalidLimit: { status: 400, code: 'invalid_limit', message: 'Invalid limit.' },
  invalidCursor: { status: 400, code: 'invalid_cursor', message: 'Invalid cursor.' },
  invalidReceiver: { status: 400, code: 'invalid_receiver', message: 'invalid_receiver' },
  selfTransfer: { status: 400, code: 'invalid_receiver', message: 'Cannot transfer to the same user.' },
  insufficientFunds: { status: 400, code: 'insufficient_funds', message: 'insufficient_funds' },
  /** A purchase answers 402 for the same shortfall (the store screen's contract). */
  purchaseUnpaid: { status: 402, code: 'insufficient_funds', message: 'insufficient_funds' },
  accountInactive: { status: 400, code: 'account_inactive', message: 'Coin account is not active.' },
  accountInvalid: { status: 400, code: 'account_invalid', message: 'System account is not allowed.' },
  invalidAmount: { status: 400, code: 'invalid_amount', message: 'Amount must be positive.' },
  /** Postings that break a ledger rule (empty, unbalanced, unknown account); `detail` says which. */
  ledgerRefused: { status: 400, code: 'coin_error', message: 'The postings were refused.' },
  idempotencyConflict: { status: 409, code: 'idempotency_conflict', message: 'idempotency_conflict' },
  productNotFound: { status: 404, code: 'not_found', message: 'Product not found.' },
});

/**
 * A coin refusal: the catalogue's ApiError that also carries its `code`, so callers of the service
 * (other modules, the concurrency test) can branch on `err.code === 'insufficient_funds'`.
 */
export class CoinError extends ApiError {
  override name = 'CoinError';
  readonly code: string;
  constructor(e: ApiError) {
    super(e.status, e.body, e.headers);
    this.code = String((e.body as { code?: unknown }).code);
  }
}

type Name = Exclude<keyof typeof catalogue, 'specs'>;
const names = Object.keys(catalogue.specs) as Name[];

export const CoinErrors = {
  ...(Object.fromEntries(names.map((n) => [n, (detail?: string) => new CoinError(catalogue[n](detail))])) as { readonly [K in Name]: (detail?: string) => CoinError }),
  specs: catalogue.specs,
};
