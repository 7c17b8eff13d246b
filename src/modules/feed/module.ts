import type { Module } from '../../context.js';
import { createFeedService, type FeedService } from './service.js';
import { feedRoutes } from './routes.js';
import { defineFeedJobs } from './jobs.js';

export const feedModule: Module = {
  name: 'feed',
  service: createFeedService,
  routes: async (app, ctx) => feedRoutes(app, ctx, ctx.services.feed as FeedService),
  jobs: (ctx) => defineFeedJobs(ctx, (ctx.services.feed as FeedService).timeline, ctx.services.feed.forYou),
};
