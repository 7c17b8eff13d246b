import type { Module } from '../../context.js';
import { createMatrixService, MATRIX_JOBS, type MatrixService } from './service.js';
import { matrixRoutes } from './routes.js';
import { ASTRO_EVENTS, type ChartComputedEvent } from '../astro/service.js';

export const matrixModule: Module = {
  name: 'matrix',
  service: createMatrixService,
  routes: async (app, ctx) => matrixRoutes(app, ctx, ctx.services.matrix as MatrixService),
  jobs: (ctx) => {
    const matrix = ctx.services.matrix as MatrixService;
    ctx.queue.define<{ userId: number }>(MATRIX_JOBS.insight, async ({ userId }) => {
      await matrix.computeInsight(userId);
    });
    // New birth data can change the life path: refresh today's card.
    ctx.events.on<ChartComputedEvent>(ASTRO_EVENTS.chartComputed, ({ userId }) => ctx.queue.enqueue(MATRIX_JOBS.insight, { userId }));
    ctx.services.feed.registerInsightCard('matrix', (userId) => matrix.insightCard(userId), { cached: (userId) => matrix.cardCached(userId) });
  },
};
