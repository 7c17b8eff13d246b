import type { Module } from '../../context.js';
import { createPaymentsService } from './service.js';
import { paymentsRoutes } from './routes.js';
import { paymentsRetentionJobs, paymentsSchedules } from './retention.js';

export const paymentsModule: Module = {
  name: 'payments',
  service: createPaymentsService,
  routes: paymentsRoutes,
  jobs: paymentsRetentionJobs,
  schedules: paymentsSchedules,
};
