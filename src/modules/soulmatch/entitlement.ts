// Who may see premium SoulMatch explanations. Never decided by a query parameter alone: the
// requested tier is granted only when this says so. Until the credits module lands nobody has an
// entitlement (free tier for all); the lead wires this to ctx.services.coin at merge.
import type { Ctx } from '../../context.js';

export async function premiumAllowed(_ctx: Ctx, _userId: number): Promise<boolean> {
  return false;
}
