// The soulmatch module's error catalogue: each code once (status, code, message); the service and
// handlers throw from it and routes list theirs in `config.errors` (shown per operation in the OpenAPI document).
import { ApiError, defineErrors } from '../../platform/http/errors.js';

const catalogue = defineErrors({
  selfMatch: { status: 400, code: 'soulmatch_self', message: 'Cannot compute SoulMatch with yourself.' },
  /** Missing, inactive, blocked or muted: the viewer cannot tell which. */
  userNotFound: { status: 404, code: 'not_found', message: 'User not found.' },
  /** The legacy refresh with the feature off; its body is the contract's `{"status": "disabled"}`, not `{detail, code}`. */
  disabled: { status: 403, code: 'disabled', message: 'disabled' },
});

export const SoulmatchErrors = {
  ...catalogue,
  disabled: () => new ApiError(catalogue.specs.disabled.status, { status: catalogue.specs.disabled.code }),
};
