// Who may message whom: blocks in either direction, the recipient's account and dm_policy, decided by
// the users module (messageRefusalSql: a send decides inside its own statement). Refusals are 400s
// with a code, never 403 (the app logs out on 403).
import type { Ctx } from '../../context.js';
import type { MessageRefusal } from '../users/dm-policy.js';
import { MessagingErrors } from './errors.js';


/** The error a refusal answers with (null: none). */
export function refusalError(refusal: MessageRefusal | null) {
  switch (refusal) {
    case null:
      return null;
    case 'blocked':
      return MessagingErrors.messagingBlocked();
    case 'unavailable':
      return MessagingErrors.recipientUnavailable();
    case 'nobody':
      return MessagingErrors.dmNotAllowed();
    case 'restricted':
      return MessagingErrors.dmNotAllowed('This user only accepts messages from certain people.');
  }
}

export async function assertMayMessage(ctx: Ctx, senderId: number, recipientId: number): Promise<void> {
  const error = refusalError(await ctx.services.users.messageRefusal(senderId, recipientId));
  if (error) throw error;
}
