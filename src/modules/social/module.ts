import type { Module } from '../../context.js';
import { createSocialService } from './service.js';
import { postRoutes } from './post-routes.js';
import { commentRoutes } from './comment-routes.js';
import { giftRoutes } from './gift-routes.js';
import { paidGiftRoutes } from './paid-gift-routes.js';
import { seedPosts } from './seed.js';
import { wireSocial } from './wiring.js';

export const socialModule: Module = {
  name: 'social',
  service: createSocialService,
  routes: async (app, ctx) => {
    await postRoutes(app, ctx);
    await commentRoutes(app, ctx);
    await giftRoutes(app, ctx);
    await paidGiftRoutes(app, ctx);
  },
  seed: seedPosts,
  jobs: wireSocial,
};
