// Messaging endpoints. The same route set answers under /api/v1/ and /api/v1/messaging/.
// One function per resource (thread-routes.ts, message-routes.ts, receipt-routes.ts, typing-routes.ts);
// shared schemas and helpers are in http.ts.
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { routeHelpers } from './http.js';
import { threadRoutes } from './thread-routes.js';
import { messageRoutes } from './message-routes.js';
import { receiptRoutes } from './receipt-routes.js';
import { typingRoutes } from './typing-routes.js';

export { SEND_BURST } from './http.js';

async function messagingRoutes(app: App, ctx: Ctx) {
  const h = routeHelpers(ctx);
  threadRoutes(app, ctx, h);
  receiptRoutes(app, ctx, h);
  typingRoutes(app, ctx, h);
  messageRoutes(app, ctx, h);
}

export async function registerMessagingRoutes(app: App, ctx: Ctx) {
  await app.register(async (scope) => messagingRoutes(scope as App, ctx));
  await app.register(async (scope) => messagingRoutes(scope as App, ctx), { prefix: '/messaging' });
}
