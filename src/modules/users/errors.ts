// The users module's error catalogue: each code once (status, code, message); handlers throw from it
// and routes list theirs in `config.errors` (shown per operation in the OpenAPI document).
import { defineErrors } from '../../platform/http/errors.js';

export const UserErrors = defineErrors({
  userNotFound: { status: 404, code: 'not_found', message: 'No User matches the given query.' },
  deviceNotFound: { status: 404, code: 'not_found', message: 'No Device matches the given query.' },
  notFound: { status: 404, code: 'not_found', message: 'Not found.' },
  handleUnavailable: { status: 400, code: 'handle_unavailable', message: 'Could not generate a free handle; please choose one.' },
  tokenNotValid: { status: 401, code: 'token_not_valid', message: 'Token is invalid or expired' },
  userInactive: { status: 401, code: 'user_inactive', message: 'User is inactive' },
  blocked: { status: 400, code: 'blocked', message: 'Unblock this user first.' },
  cannotFollowSelf: { status: 400, code: 'cannot_follow_self', message: 'Cannot follow yourself' },
  cannotBlockSelf: { status: 400, code: 'cannot_block_self', message: 'Cannot block yourself' },
  cannotMuteSelf: { status: 400, code: 'cannot_mute_self', message: 'Cannot mute yourself' },
  invalidSocialToken: { status: 400, code: 'invalid_social_token', message: 'The provider rejected these credentials.' },
  providerNotConfigured: { status: 400, code: 'provider_not_configured', message: 'This login provider is not configured on this server.' },
  invalidRequest: { status: 400, code: 'invalid_request', message: 'Incorrect input. access_token or code is required.' },
  emailRequired: { status: 400, code: 'email_required', message: 'The provider did not share an e-mail address.' },
  emailUnverified: { status: 400, code: 'email_unverified', message: 'Sign in with your password to link this account.' },
});
