import type { Module } from '../../context.js';
import { createCommunityService } from './service.js';
import { communityRoutes } from './routes.js';

export const communityModule: Module = { name: 'community', service: createCommunityService, routes: communityRoutes };
