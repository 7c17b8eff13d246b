// Report and enforcement targets: a resolver per type (users here; posts, comments and messages register
// theirs from their own modules) answers whether a target exists, who owns it and who may see it.
import type { Ctx } from '../../context.js';
import { isModerator as isModeratorUser } from '../../platform/http/guard.js';
import type { Moderator, TargetResolver, TargetType } from './vocabulary.js';
import { ModerationErrors } from './errors.js';

export function createTargets(ctx: Ctx) {
  const resolvers = new Map<string, TargetResolver>();
  const users = () => ctx.services.users;

  function registerTarget(type: TargetType, resolver: TargetResolver) {
    resolvers.set(type, resolver);
  }

  registerTarget('user', {
    exists: async (id) => (await users().getById(id)) !== null,
    ownerId: async (id) => ((await users().getById(id)) ? id : null),
    visibleTo: async (viewerId, id) => {
      const u = await users().getById(id);
      return Boolean(u?.isActive) && (viewerId === id || !(await users().isBlockedEitherWay(viewerId, id)));
    },
  });

  const isModerator = (u: Moderator) => isModeratorUser({ isStaff: u.isStaff, isSuperuser: u.isSuperuser === true, roles: u.roles ?? [] });

  /** The target's owner; a 400 with a code when the type is not available or the object does not exist. */
  async function checkTarget(type: string, id: number): Promise<number | null> {
    const r = resolvers.get(type);
    if (!r) throw ModerationErrors.targetTypeUnavailable(`Reports on "${type}" are not available.`);
    if (!(await r.exists(id))) throw ModerationErrors.unknownTarget();
    return r.ownerId(id);
  }

  /**
   * For reporters: the target's owner when the reporter may see it. Unknown and invisible targets
   * answer the same 400, so reports are no oracle for what exists.
   */
  async function checkVisibleTarget(type: string, id: number, reporterId: number): Promise<number | null> {
    const r = resolvers.get(type);
    if (!r) throw ModerationErrors.targetTypeUnavailable(`Reports on "${type}" are not available.`);
    const ok = r.visibleTo ? await r.visibleTo(reporterId, id) : await r.exists(id);
    if (!ok) throw ModerationErrors.unknownTarget();
    return r.ownerId(id);
  }

  return { resolvers, registerTarget, isModerator, checkTarget, checkVisibleTarget };
}

export type Targets = ReturnType<typeof createTargets>;
