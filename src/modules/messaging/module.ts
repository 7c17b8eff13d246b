import type { Module } from '../../context.js';
import { createMessagingService } from './service.js';
import { registerMessagingRoutes } from './routes.js';
import { defineMessagingJobs } from './jobs.js';

export const messagingModule: Module = {
  name: 'messaging',
  service: (ctx) => createMessagingService(ctx),
  routes: registerMessagingRoutes,
  jobs: defineMessagingJobs,
};
