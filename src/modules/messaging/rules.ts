// Who may message whom: blocks in either direction and the recipient's dm_policy.
// Failures are 400s with a code, never 403 (the app logs out on 403).
import type { Ctx } from '../../context.js';
import { MessagingErrors } from './errors.js';

export type DmPolicy = 'everyone' | 'followers' | 'following' | 'mutual' | 'nobody';

export async function assertMayMessage(ctx: Ctx, senderId: number, recipientId: number): Promise<void> {
  const users = ctx.services.users;
  // Both looked up at once (one round trip of waiting); the block answers first, as before.
  const [blocked, recipient] = await Promise.all([users.isBlockedEitherWay(senderId, recipientId), users.getById(recipientId)]);
  if (blocked) throw MessagingErrors.messagingBlocked();
  if (!recipient || !recipient.isActive) throw MessagingErrors.recipientUnavailable();
  const policy = ((recipient.settings as { dm_policy?: string }).dm_policy ?? 'everyone') as DmPolicy;
  if (policy === 'everyone') return;
  if (policy === 'nobody') throw MessagingErrors.dmNotAllowed();
  // "followers": only people who follow the recipient; "following": only people the recipient follows.
  const [senderFollows, recipientFollows] = await Promise.all([
    policy === 'following' ? Promise.resolve(true) : users.followingAmong(senderId, [recipientId]).then((s) => s.has(recipientId)),
    policy === 'followers' ? Promise.resolve(true) : users.followingAmong(recipientId, [senderId]).then((s) => s.has(senderId)),
  ]);
  if (!senderFollows || !recipientFollows) throw MessagingErrors.dmNotAllowed('This user only accepts messages from certain people.');
}
