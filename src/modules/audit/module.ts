import type { Module } from '../../context.js';
import { createAuditService } from './service.js';
import { auditRoutes } from './routes.js';

export const auditModule: Module = { name: 'audit', service: createAuditService, routes: auditRoutes };
