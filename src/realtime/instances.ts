// Each gateway process reports its open sockets to the key-value store on its heartbeat, so the
// ops page (/admin/ops) can show sockets per instance, whichever instance serves the page.
import os from 'node:os';
import type { Ctx } from '../context.js';

export const GATEWAYS_KEY = 'ops_gateways';
export const INSTANCE_ID = `${os.hostname()}:${process.pid}`;

export interface GatewayReport {
  open: number;
  channels: number;
  at: number;
}

export async function reportGateway(ctx: Ctx, figures: { open: number; channels: number }) {
  const value: GatewayReport = { ...figures, at: Date.now() };
  // The hash lives as long as some gateway keeps reporting; stale fields are filtered on read.
  await ctx.kv.hashSet(GATEWAYS_KEY, INSTANCE_ID, JSON.stringify(value), 10 * ctx.config.realtime.pingIntervalMs);
}

export async function forgetGateway(ctx: Ctx) {
  await ctx.kv.hashDel(GATEWAYS_KEY, INSTANCE_ID);
}

/** Gateways that reported within three heartbeats. */
export async function liveGateways(ctx: Ctx, now = Date.now()): Promise<({ instance: string } & GatewayReport)[]> {
  const all = await ctx.kv.hashGetAll(GATEWAYS_KEY);
  const out: ({ instance: string } & GatewayReport)[] = [];
  for (const [instance, raw] of Object.entries(all)) {
    try {
      const r = JSON.parse(raw) as GatewayReport;
      if (now - r.at <= 3 * ctx.config.realtime.pingIntervalMs + 5000) out.push({ instance, open: Number(r.open) || 0, channels: Number(r.channels) || 0, at: r.at });
    } catch {
      // a malformed field is skipped
    }
  }
  return out.sort((a, b) => a.instance.localeCompare(b.instance));
}
