// Who may see premium SoulMatch explanations. Never decided by a query parameter alone: the
// requested tier is granted only when the caller's credits entitlements include it.
import type { Ctx } from '../../context.js';

export const PREMIUM_ENTITLEMENT = 'soulmatch_premium';

export async function premiumAllowed(ctx: Ctx, userId: number): Promise<boolean> {
  return ctx.services.coin.hasEntitlement(userId, PREMIUM_ENTITLEMENT);
}
