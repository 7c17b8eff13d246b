// The astro module's error catalogue: each code once (status, code, message); handlers throw from it
// and routes list theirs in `config.errors` (shown per operation in the OpenAPI document).
// Field errors ({"date_of_birth": ["…"]}) stay field errors: they are the 400 `invalid` class.
import { defineErrors } from '../../platform/http/errors.js';

export const AstroErrors = defineErrors({
  missingBirthData: { status: 400, code: 'missing_birth_data', message: 'No complete birth data is stored in your profile. Please provide or correct it.' },
  locationUnresolved: { status: 400, code: 'location_unresolved', message: 'Unable to resolve the location of your birth place. Update the city and country.' },
  calculationFailed: { status: 400, code: 'astro_calculation_failed', message: 'The chart could not be calculated for this date and place.' },
  chartNotFound: { status: 404, code: 'not_found', message: 'No natal chart found. Submit your birth data to generate one.' },
});
