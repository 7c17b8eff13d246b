// Moderation: reports (user, staff and automatic), enforcements and their expiry. The one service object
// other modules see; the work is split by concern into targets.ts (what can be reported and by whom),
// reports.ts (reports and automatic flags) and enforcements.ts (enforcements, lifting, expiry).
import type { Ctx } from '../../context.js';
import { createTargets } from './targets.js';
import { createReports } from './reports.js';
import { createEnforcements } from './enforcements.js';

export * from './vocabulary.js';

export function createModerationService(ctx: Ctx) {
  const targets = createTargets(ctx);
  const { registerTarget, isModerator, checkTarget } = targets;
  return {
    ...createReports(ctx, targets),
    ...createEnforcements(ctx, targets),
    /** The banned-word list automatic flagging uses (MODERATION_BANNED_WORDS; read-only). */
    bannedWords: () => [...ctx.config.moderation.bannedWords],
    registerTarget,
    isModerator,
    checkTarget,
  };
}

export type ModerationService = ReturnType<typeof createModerationService>;
