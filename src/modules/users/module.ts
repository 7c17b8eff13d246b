import type { Module } from '../../context.js';
import { createUsersService, type UsersService } from './service.js';
import { createPresenter } from './present.js';
import { authRoutes } from './auth-routes.js';
import { userRoutes } from './routes.js';
import { profileRoutes } from './profile-routes.js';
import { deviceRoutes } from './device-routes.js';
import { usersRetentionJobs, usersSchedules } from './retention.js';
import { sessionCacheJobs, withSessionCache } from './session-cache.js';
import { UserErrors } from './errors.js';
import { declareRouteErrors } from '../../platform/http/errors.js';

export const usersModule: Module = {
  name: 'users',
  service: (ctx) => withSessionCache(ctx, { ...createUsersService(ctx), ...createPresenter(ctx) }) as UsersService,
  routes: async (app, ctx) =>
    app.register(async (scope) => {
      const s = scope as typeof app;
      const E = UserErrors.specs;
      declareRouteErrors(s, [
        ['POST', /\/auth\/register$/, [E.handleUnavailable]],
        ['POST', /\/auth\/refresh$/, [E.tokenNotValid, E.userInactive]],
        ['POST', /\/auth\/(social|google|facebook|github)/, [E.invalidSocialToken, E.providerNotConfigured, E.invalidRequest, E.emailRequired, E.emailUnverified]],
        ['*', /\/users\/:id(\/|$)/, [E.userNotFound]],
        ['POST', /\/users\/:id\/follow$/, [E.blocked, E.cannotFollowSelf]],
        ['POST', /\/users\/:id\/block$/, [E.cannotBlockSelf]],
        ['POST', /\/users\/:id\/mute$/, [E.cannotMuteSelf]],
        ['*', /\/devices\/:id$/, [E.deviceNotFound]],
      ]);
      await authRoutes(s, ctx);
      await userRoutes(s, ctx);
      await profileRoutes(s, ctx);
      await deviceRoutes(s, ctx);
    }),
  jobs: (ctx) => {
    usersRetentionJobs(ctx);
    sessionCacheJobs(ctx);
  },
  schedules: usersSchedules,
};
