import type { Module } from '../../context.js';
import { createSearchService } from './service.js';
import { searchRoutes } from './routes.js';
import { defineSearchJobs } from './jobs.js';

export const searchModule: Module = {
  name: 'search',
  service: createSearchService,
  routes: async (app, ctx) => searchRoutes(app, ctx, ctx.services.search),
  jobs: (ctx) => defineSearchJobs(ctx, ctx.services.search),
};
