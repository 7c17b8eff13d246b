// Messaging endpoints. The same route set answers under /api/v1/ and /api/v1/messaging/.
// One function per resource (thread-routes.ts, message-routes.ts, receipt-routes.ts, typing-routes.ts);
// shared schemas and helpers are in http.ts.
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { routeHelpers } from './http.js';
import { MessagingErrors } from './errors.js';
import { declareRouteErrors } from '../../platform/http/errors.js';
import { threadRoutes } from './thread-routes.js';
import { messageRoutes } from './message-routes.js';
import { receiptRoutes } from './receipt-routes.js';
import { typingRoutes } from './typing-routes.js';

export { SEND_BURST } from './http.js';

async function messagingRoutes(app: App, ctx: Ctx) {
  const h = routeHelpers(ctx);
  const E = MessagingErrors.specs;
  const mayMessage = [E.messagingBlocked, E.recipientUnavailable, E.dmNotAllowed];
  declareRouteErrors(app, [
    ['*', /\/threads\/:id(\/|$)/, [E.threadNotFound]],
    ['POST', /\/threads(\/direct)?\/?$/, [E.selfThread, E.targetNotFound, ...mayMessage]],
    ['POST', /\/threads\/:id\/messages$/, mayMessage],
    ['POST', /\/messages\/?$/, [E.threadNotFound, ...mayMessage]],
    ['*', /\/messages\/:id(\/|$)/, [E.messageNotFound]],
    ['POST', /\/messages\/:id\/ack$/, [E.ownMessage]],
    ['POST', /\/messages\/:id\/react/, [E.emojiRequired]],
  ]);
  threadRoutes(app, ctx, h);
  receiptRoutes(app, ctx, h);
  typingRoutes(app, ctx, h);
  messageRoutes(app, ctx, h);
}

export async function registerMessagingRoutes(app: App, ctx: Ctx) {
  await app.register(async (scope) => messagingRoutes(scope as App, ctx));
  await app.register(async (scope) => messagingRoutes(scope as App, ctx), { prefix: '/messaging' });
}
