import type { Module } from '../../context.js';
import { createRewardsService } from './service.js';
import { rewardsRoutes } from './routes.js';
import { rewardsPageRoutes } from './page.js';

export const rewardsModule: Module = { name: 'rewards', service: createRewardsService, routes: rewardsRoutes, rootRoutes: rewardsPageRoutes };
