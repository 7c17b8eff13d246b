// What the social module lends other modules at start-up: report targets for moderation and
// realtime channel checks (a socket may watch post:<id>/comment:<id> only when it may see them).
import type { Ctx } from '../../context.js';

export function wireSocial(ctx: Ctx) {
  const social = ctx.services.social;
  ctx.services.moderation.registerTarget('post', {
    exists: (id) => social.postExists(id),
    ownerId: (id) => social.getPostOwner(id),
    visibleTo: (viewerId, id) => social.canViewPost(viewerId, id),
    setHidden: (id, hidden) => social.hidePost(id, hidden),
  });
  ctx.services.moderation.registerTarget('comment', {
    exists: (id) => social.commentExists(id),
    ownerId: (id) => social.getCommentOwner(id),
    visibleTo: (viewerId, id) => social.canViewComment(viewerId, id),
    setHidden: (id, hidden) => social.hideComment(id, hidden),
  });
  ctx.services.realtime.registerChannel('post', (userId, id) => social.canViewPost(userId, id));
  ctx.services.realtime.registerChannel('comment', (userId, id) => social.canViewComment(userId, id));
}
