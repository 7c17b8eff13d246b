import type { Module } from '../../context.js';
import { createSocialService } from './service.js';
import { postRoutes } from './post-routes.js';
import { commentRoutes } from './comment-routes.js';
import { giftRoutes } from './gift-routes.js';
import { paidGiftRoutes } from './paid-gift-routes.js';
import { seedPosts } from './seed.js';
import { wireSocial } from './wiring.js';
import { SocialErrors } from './errors.js';
import { declareRouteErrors } from '../../platform/http/errors.js';

export const socialModule: Module = {
  name: 'social',
  service: createSocialService,
  routes: async (app, ctx) =>
    app.register(async (scope) => {
      const s = scope as typeof app;
      const E = SocialErrors.specs;
      declareRouteErrors(s, [
        ['*', /\/posts\/:id(\/|$)/, [E.postNotFound]],
        ['POST', /\/comments$/, [E.postNotFound]],
        ['*', /\/comments\/:id(\/|$)/, [E.commentNotFound]],
        ['*', /\/gifts\/:id$/, [E.giftNotFound]],
        ['POST', /\/(posts|comments)\/:id\/gifts?(\/|$)/, [E.invalidQuantity, E.invalidIdempotencyKey]],
      ]);
      await postRoutes(s, ctx);
      await commentRoutes(s, ctx);
      await giftRoutes(s, ctx);
      await paidGiftRoutes(s, ctx);
    }),
  seed: seedPosts,
  jobs: wireSocial,
};
