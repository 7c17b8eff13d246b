// The mentor module's error catalogue: each code once (status, code, message); handlers throw from it
// and routes list theirs in `config.errors` (shown per operation in the OpenAPI document).
// The SSE stream answers its refusals as `error` frames, not from here (the app reads frames there).
import { defineErrors } from '../../platform/http/errors.js';

export const MentorErrors = defineErrors({
  /** The provider failed or timed out (the timeout says so in `detail`). */
  llmUnavailable: { status: 502, code: 'llm_unavailable', message: 'LLM request failed.' },
  missingChart: { status: 400, code: 'missing_chart', message: 'No natal chart found. Create it via /api/v1/astro/natal/ first.' },
  messageRequired: { status: 400, code: 'required', message: 'Message is required.' },
  selfMatch: { status: 400, code: 'self_match', message: 'Cannot mentor match against yourself.' },
  userNotFound: { status: 404, code: 'not_found', message: 'User not found.' },
  sessionNotFound: { status: 404, code: 'not_found', message: 'No MentorSession matches the given query.' },
  dailySessionNotFound: { status: 404, code: 'not_found', message: 'Session not found.' },
  taskNotFound: { status: 404, code: 'not_found', message: 'No DailyTask matches the given query.' },
  jobNotFound: { status: 404, code: 'not_found', message: 'Task not found.' },
  profileNotFound: { status: 404, code: 'not_found', message: 'No MentorProfile matches the given query.' },
  profileExists: { status: 409, code: 'profile_exists', message: 'Mentor profile already exists.' },
});
