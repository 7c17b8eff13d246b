// The messaging module's error catalogue: each code once (status, code, message); handlers throw from it
// and routes list theirs in `config.errors` (shown per operation in the OpenAPI document).
import { defineErrors } from '../../platform/http/errors.js';

export const MessagingErrors = defineErrors({
  threadNotFound: { status: 404, code: 'not_found', message: 'Thread not found.' },
  messageNotFound: { status: 404, code: 'not_found', message: 'Message not found.' },
  targetNotFound: { status: 404, code: 'not_found', message: 'Target user not found' },
  selfThread: { status: 400, code: 'self_thread', message: 'Cannot start a direct thread with yourself' },
  ownMessage: { status: 400, code: 'own_message', message: 'Only recipients can acknowledge a message.' },
  emojiRequired: { status: 400, code: 'invalid', message: 'emoji is required' },
  messagingBlocked: { status: 400, code: 'messaging_blocked', message: 'Messaging is blocked between these users.' },
  recipientUnavailable: { status: 400, code: 'recipient_unavailable', message: 'This user cannot receive messages.' },
  dmNotAllowed: { status: 400, code: 'dm_not_allowed', message: 'This user does not accept messages.' },
});
