import type { Module } from '../../context.js';
import { createCoinService } from './service.js';
import { coinRoutes } from './routes.js';

export const coinModule: Module = {
  name: 'coin',
  service: createCoinService,
  routes: coinRoutes,
};
