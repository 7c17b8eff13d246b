import type { Command } from './index.js';

export const verifyAudit: Command = {
  help: 'recompute the audit hash chain and report the first broken link (exit 1 when broken)',
  async run(ctx) {
    const r = await ctx.services.audit.verify();
    if (r.ok) {
      console.log(`audit chain ok: ${r.checked} events verified`);
      return 0;
    }
    const b = r.broken!;
    console.error(`audit chain broken at event ${b.id} (seq ${b.seq}): ${b.reason}; ${r.checked} events before it are intact`);
    return 1;
  },
};
