// The community module's error catalogue: each code once (status, code, message); handlers throw from it
// and routes list theirs in `config.errors` (shown per operation in the OpenAPI document).
// The upper-case codes are the community web app's (it matches on them).
import { defineErrors } from '../../platform/http/errors.js';

export const CommunityErrors = defineErrors({
  problemNotFound: { status: 404, code: 'not_found', message: 'No Problem matches the given query.' },
  commentNotFound: { status: 404, code: 'not_found', message: 'No ProblemComment matches the given query.' },
  artifactNotFound: { status: 404, code: 'not_found', message: 'No WorkArtifact matches the given query.' },
  agreementRequired: { status: 403, code: 'AGREEMENT_REQUIRED', message: 'AGREEMENT_REQUIRED' },
  invalidCredentials: { status: 400, code: 'INVALID_CREDENTIALS', message: 'INVALID_CREDENTIALS' },
});
