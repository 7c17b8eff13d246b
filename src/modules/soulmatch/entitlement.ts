// Which SoulMatch explanation tier a caller gets. Never decided by a query parameter alone: the
// requested tier is granted only as far as the caller's credits entitlements reach.
import type { Ctx } from '../../context.js';
import type { ExplainLevel } from './score.js';

/** The highest tier not above `requested` that the caller is entitled to. */
export async function grantedExplainLevel(ctx: Ctx, userId: number, requested: ExplainLevel): Promise<ExplainLevel> {
  if (requested === 'free') return 'free';
  const coin = ctx.services.coin;
  if (requested === 'premium_plus' && (await coin.hasEntitlement(userId, 'soulmatch_premium_plus'))) return 'premium_plus';
  return (await coin.hasEntitlement(userId, 'soulmatch_premium')) ? 'premium' : 'free';
}
