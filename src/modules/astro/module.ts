import type { Module } from '../../context.js';
import { createAstroService, ASTRO_JOBS, type AstroService } from './service.js';
import { astroRoutes } from './routes.js';
import { seedAstro } from './seed.js';

export const astroModule: Module = {
  name: 'astro',
  service: createAstroService,
  routes: async (app, ctx) => astroRoutes(app, ctx, ctx.services.astro as AstroService),
  jobs: (ctx) => {
    ctx.queue.define<{ birthDataId: number }>(ASTRO_JOBS.compute, ({ birthDataId }) => (ctx.services.astro as AstroService).computeJob(birthDataId));
  },
  seed: seedAstro,
};
