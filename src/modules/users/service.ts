// The users module's rules: accounts, sessions and tokens, the follow graph, blocks, devices.
// The one service object other modules see; the work is split by concern into accounts.ts (accounts and
// sessions), graph.ts (follow, block, mute), dm-policy.ts (who may message whom),
// posts-count.ts (users.posts_count for the social module's writes) and devices.ts.
import type { Ctx } from '../../context.js';
import { createUserFacts } from './facts.js';
import { createUserMaintenance } from './maintenance.js';
import { createAccounts } from './accounts.js';
import { createGraph } from './graph.js';
import { createDevices } from './devices.js';
import { createDmPolicy } from './dm-policy.js';
import { createPostsCount } from './posts-count.js';

export * from './events.js';

export function createUsersService(ctx: Ctx) {
  const accounts = createAccounts(ctx);
  return {
    ...accounts,
    ...createGraph(ctx, accounts),
    ...createDevices(ctx),
    ...createDmPolicy(ctx),
    ...createPostsCount(ctx),
    ...createUserFacts(ctx),
    ...createUserMaintenance(ctx),
  };
}

export type UsersService = ReturnType<typeof createUsersService> & {
  present: import('./present.js').Presenter['present'];
  presentOne: import('./present.js').Presenter['presentOne'];
  photoUrl: import('./present.js').Presenter['photoUrl'];
};
