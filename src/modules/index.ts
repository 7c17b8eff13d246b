// Every module of the application, in registration order.
import type { Ctx, Module, Services } from '../context.js';
import type { Platform } from '../platform/index.js';
import { usersModule } from './users/module.js';
import { flagsModule } from './flags/module.js';
import { notificationsModule } from './notifications/module.js';
import { moderationModule } from './moderation/module.js';
import { auditModule } from './audit/module.js';
import { realtimeModule } from '../realtime/module.js';
import { messagingModule } from './messaging/module.js';
import { mediaModule } from './media/module.js';
import { socialModule } from './social/module.js';
import { feedModule } from './feed/module.js';
import { searchModule } from './search/module.js';
import { astroModule } from './astro/module.js';
import { matrixModule } from './matrix/module.js';
import { soulmatchModule } from './soulmatch/module.js';
import { mentorModule } from './mentor/module.js';
import { coinModule } from './coin/module.js';
import { paymentsModule } from './payments/module.js';
import { rewardsModule } from './rewards/module.js';
import { communityModule } from './community/module.js';
import { adminModule } from './admin/module.js';

export const modules: Module[] = [
  usersModule, realtimeModule, flagsModule, mediaModule, socialModule, feedModule, searchModule, notificationsModule, moderationModule, auditModule, messagingModule,
  astroModule, matrixModule, soulmatchModule, mentorModule, coinModule, paymentsModule, rewardsModule, communityModule,
  adminModule,
];

export function createContext(platform: Platform): Ctx {
  const services = {} as Services;
  const ctx: Ctx = Object.assign(Object.create(null), platform, { services, db: platform.database.db, readDb: (platform.replica ?? platform.database).db }) as Ctx;
  for (const m of modules) {
    if (m.service) (services as unknown as Record<string, unknown>)[m.name] = m.service(ctx);
  }
  for (const m of modules) m.jobs?.(ctx);
  return ctx;
}
