import type { Module } from '../../context.js';
import { createNotificationsService } from './service.js';
import { notificationRoutes } from './routes.js';
import { notificationJobs } from './jobs.js';
import { notificationsRetentionJobs, notificationsSchedules } from './retention.js';

export const notificationsModule: Module = {
  name: 'notifications',
  service: createNotificationsService,
  routes: notificationRoutes,
  jobs: (ctx) => {
    notificationJobs(ctx);
    notificationsRetentionJobs(ctx);
  },
  schedules: notificationsSchedules,
};
