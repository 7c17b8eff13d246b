// The moderation module's error catalogue: each code once (status, code, message); handlers throw from it
// and routes list theirs in `config.errors` (shown per operation in the OpenAPI document).
import { defineErrors } from '../../platform/http/errors.js';

export const ModerationErrors = defineErrors({
  reportNotFound: { status: 404, code: 'not_found', message: 'No Report matches the given query.' },
  enforcementNotFound: { status: 404, code: 'not_found', message: 'No Enforcement matches the given query.' },
  targetTypeUnavailable: { status: 400, code: 'target_type_unavailable', message: 'Reports on this target type are not available.' },
  unknownTarget: { status: 400, code: 'unknown_target', message: 'The target does not exist.' },
  cannotReportSelf: { status: 400, code: 'cannot_report_self', message: 'You cannot report yourself or your own content.' },
  reportConflict: { status: 409, code: 'report_conflict', message: 'A report on this target is being processed; try again.' },
  reportNotOpen: { status: 409, code: 'report_not_open', message: 'Only open reports can be changed.' },
  invalidActionForTarget: { status: 400, code: 'invalid_action_for_target', message: 'Only users can be suspended or banned; enforce on the owner instead.' },
  cannotEnforceSelf: { status: 400, code: 'cannot_enforce_self', message: 'You cannot enforce on yourself.' },
  alreadyLifted: { status: 409, code: 'already_lifted', message: 'This enforcement was already lifted.' },
});
