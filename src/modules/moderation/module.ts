import type { Module } from '../../context.js';
import { createModerationService } from './service.js';
import { moderationRoutes } from './routes.js';
import { moderationJobs, moderationSchedules } from './jobs.js';

export const moderationModule: Module = { name: 'moderation', service: createModerationService, routes: moderationRoutes, jobs: moderationJobs, schedules: moderationSchedules };
