// The rewards module's error catalogue: each code once (status, code, message); handlers, the ledger and
// the transparency page throw from it, and routes list theirs in `config.errors` (shown per operation in
// the OpenAPI document). Field errors ({"points": ["…"]}) stay field errors: they are the 400 `invalid` class.
import { defineErrors } from '../../platform/http/errors.js';

export const RewardsErrors = defineErrors({
  eventNotFound: { status: 404, code: 'not_found', message: 'No RewardEvent matches the given query.' },
  payoutNotFound: { status: 404, code: 'not_found', message: 'No Payout matches the given query.' },
  snapshotNotFound: { status: 404, code: 'not_found', message: 'No MonthlyRewardSnapshot matches the given query.' },
  contributorNotFound: { status: 404, code: 'not_found', message: 'No contributor matches the given query.' },
  /** /rewards/{file}: a name that is not `YYYY-MM.csv`. */
  fileNotFound: { status: 404, code: 'not_found', message: 'Not found.' },
  snapshotNotPublished: { status: 404, code: 'not_found', message: 'No published snapshot for this month.' },
  /** `detail` names the two statuses. */
  invalidTransition: { status: 409, code: 'invalid_transition', message: 'The payout cannot take this status.' },
  /** `detail` names the month and when its window ends. */
  disputeWindowOpen: { status: 409, code: 'dispute_window_open', message: 'The dispute window is open; payouts stay pending until then.' },
  githubUsernameTaken: { status: 409, code: 'github_username_taken', message: 'This GitHub username is linked to another account.' },
  /** `detail` names the login the account has. */
  accountAlreadyLinked: { status: 409, code: 'account_already_linked', message: 'This account is already linked to another GitHub user.' },
  webhookNotConfigured: { status: 403, code: 'webhook_not_configured', message: 'Webhook secret not configured.' },
  invalidSignature: { status: 403, code: 'invalid_signature', message: 'Invalid signature.' },
  payloadFieldMissing: { status: 400, code: 'parse_error', message: 'The form body has no payload field.' },
  payloadNotJson: { status: 400, code: 'parse_error', message: 'JSON parse error - the request body is not valid JSON.' },
  payloadNotObject: { status: 400, code: 'parse_error', message: 'The payload must be a JSON object.' },
});
