import type { Module } from '../../context.js';
import { adminRoutes } from './routes.js';

/** The staff admin pages and the ops page at /admin/ (server-rendered; see docs/admin.md). */
export const adminModule: Module = {
  name: 'admin',
  rootRoutes: adminRoutes,
};
