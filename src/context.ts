// The application context: the platform's adapters plus every module's service.
// Modules reach each other only through `ctx.services`.
import type { App } from './platform/http/app-type.js';
import type { Platform } from './platform/index.js';
import type { UsersService } from './modules/users/service.js';
import type { FlagsService } from './modules/flags/service.js';
import type { NotificationsService } from './modules/notifications/service.js';
import type { ModerationService } from './modules/moderation/service.js';
import type { AuditService } from './modules/audit/service.js';
import type { MessagingService } from './modules/messaging/service.js';
import type { RealtimeService } from './realtime/service.js';
import type { MediaService } from './modules/media/service.js';
import type { SocialService } from './modules/social/service.js';
import type { FeedService } from './modules/feed/service.js';
import type { SearchService } from './modules/search/service.js';
import type { AstroService } from './modules/astro/service.js';
import type { MatrixService } from './modules/matrix/service.js';
import type { SoulmatchService } from './modules/soulmatch/service.js';
import type { MentorService } from './modules/mentor/service.js';
import type { CoinService } from './modules/coin/service.js';
import type { PaymentsService } from './modules/payments/service.js';
import type { RewardsService } from './modules/rewards/service.js';
import type { CommunityService } from './modules/community/service.js';

export interface Services {
  users: UsersService;
  flags: FlagsService;
  notifications: NotificationsService;
  moderation: ModerationService;
  audit: AuditService;
  realtime: RealtimeService;
  messaging: MessagingService;
  media: MediaService;
  social: SocialService;
  feed: FeedService;
  search: SearchService;
  astro: AstroService;
  matrix: MatrixService;
  soulmatch: SoulmatchService;
  mentor: MentorService;
  coin: CoinService;
  payments: PaymentsService;
  rewards: RewardsService;
  community: CommunityService;
}

export interface Ctx extends Platform {
  services: Services;
  db: Platform['database']['db'];
  /**
   * Reads that tolerate replication lag (other people's profiles and lists, search, feed pages): the
   * replica when DATABASE_REPLICA_URL is set, else the primary. Writes and a user's reads of what they
   * just wrote use `db`.
   */
  readDb: Platform['database']['db'];
}

export interface Module {
  name: string;
  /** Builds the module's service; other services are reached lazily through ctx.services. */
  service?: (ctx: Ctx) => unknown;
  /** Registers routes under /api/v1. */
  routes?: (app: App, ctx: Ctx) => Promise<void>;
  /** Registers routes at the server root (outside /api/v1). */
  rootRoutes?: (app: App, ctx: Ctx) => Promise<void>;
  /** Defines background jobs (every role defines them; only workers run them). */
  jobs?: (ctx: Ctx) => void;
  /** Repeating jobs, installed by the scheduler role. */
  schedules?: (ctx: Ctx) => Promise<void>;
  /** Invariant checks `selflink doctor` runs (ledger balances, hash chains…); each says ok, warn or fail. */
  invariants?: (ctx: Ctx) => import('./commands/doctor.js').DoctorCheck[];
  /** Adds the module's demo data (seed-demo). */
  seed?: (ctx: Ctx, opts: import('./commands/seed-demo.js').SeedOptions) => Promise<void>;
}
