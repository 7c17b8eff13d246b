// The social module's error catalogue: each code once (status, code, message); handlers throw from it
// and routes list theirs in `config.errors` (shown per operation in the OpenAPI document).
import { defineErrors } from '../../platform/http/errors.js';

export const SocialErrors = defineErrors({
  postNotFound: { status: 404, code: 'not_found', message: 'No Post matches the given query.' },
  commentNotFound: { status: 404, code: 'not_found', message: 'No Comment matches the given query.' },
  giftNotFound: { status: 404, code: 'not_found', message: 'No Gift matches the given query.' },
  invalidQuantity: { status: 400, code: 'invalid_quantity', message: 'Quantity must be between 1 and 50.' },
  invalidIdempotencyKey: { status: 400, code: 'invalid_request', message: 'Idempotency-Key is invalid.' },
});
