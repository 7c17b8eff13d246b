import type { Module } from '../../context.js';
import { createMediaService } from './service.js';
import { mediaRoutes } from './routes.js';
import { mediaFileRoutes } from './files.js';
import { mediaRetentionJobs, mediaSchedules } from './retention.js';

export const mediaModule: Module = {
  name: 'media',
  service: createMediaService,
  routes: mediaRoutes,
  rootRoutes: mediaFileRoutes,
  jobs: mediaRetentionJobs,
  schedules: mediaSchedules,
};
