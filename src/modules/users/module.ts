import type { Module } from '../../context.js';
import { createUsersService, type UsersService } from './service.js';
import { createPresenter } from './present.js';
import { authRoutes } from './auth-routes.js';
import { userRoutes } from './routes.js';
import { profileRoutes } from './profile-routes.js';
import { deviceRoutes } from './device-routes.js';
import { usersRetentionJobs, usersSchedules } from './retention.js';
import { sessionCacheJobs, withSessionCache } from './session-cache.js';

export const usersModule: Module = {
  name: 'users',
  service: (ctx) => withSessionCache(ctx, { ...createUsersService(ctx), ...createPresenter(ctx) }) as UsersService,
  routes: async (app, ctx) => {
    await authRoutes(app, ctx);
    await userRoutes(app, ctx);
    await profileRoutes(app, ctx);
    await deviceRoutes(app, ctx);
  },
  jobs: (ctx) => {
    usersRetentionJobs(ctx);
    sessionCacheJobs(ctx);
  },
  schedules: usersSchedules,
};
