import type { Module } from '../../context.js';
import { createAuditService } from './service.js';
import { auditRoutes } from './routes.js';

export const auditModule: Module = {
  name: 'audit',
  service: createAuditService,
  routes: auditRoutes,
  invariants: (ctx) => [
    {
      name: 'hash chain',
      async run() {
        const r = await ctx.services.audit.verify();
        if (r.ok) return { status: 'ok', detail: `${r.checked} events verified` };
        return { status: 'fail', detail: `broken at event ${r.broken!.id} (seq ${r.broken!.seq}): ${r.broken!.reason}` };
      },
    },
  ],
};
