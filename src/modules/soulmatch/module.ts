import type { Module } from '../../context.js';
import { createSoulmatchService, SOULMATCH_JOBS, type SoulmatchService } from './service.js';
import { soulmatchRoutes } from './routes.js';
import { ASTRO_EVENTS, type ChartComputedEvent } from '../astro/service.js';

export const soulmatchModule: Module = {
  name: 'soulmatch',
  service: createSoulmatchService,
  routes: async (app, ctx) => soulmatchRoutes(app, ctx, ctx.services.soulmatch as SoulmatchService),
  jobs: (ctx) => {
    const sm = ctx.services.soulmatch as SoulmatchService;
    ctx.queue.define<{ viewerId: number; targetId: number }>(SOULMATCH_JOBS.compute, ({ viewerId, targetId }) => sm.computeAndStore(viewerId, targetId));
    ctx.queue.define<{ userId: number }>(SOULMATCH_JOBS.insight, async ({ userId }) => {
      await sm.computeInsight(userId);
    });
    ctx.events.on<ChartComputedEvent>(ASTRO_EVENTS.chartComputed, ({ userId }) => ctx.queue.enqueue(SOULMATCH_JOBS.insight, { userId }));
    ctx.services.feed.registerInsightCard('soulmatch', (userId) => sm.insightCard(userId), { cached: (userId) => sm.cardCached(userId) });
  },
};
