// The coin module's rules: the one service object other modules see. The work is split by concern:
// statement.ts (balance, ledger page), transfers.ts (transfers, spends, the payer, the mint),
// products.ts (products, purchases, entitlements), accounts.ts (account status, recipient keys) and
// ops.ts (invariant check, snapshots, backfill). ledger.ts is the single write path under them all.
import type { Ctx } from '../../context.js';
import { createCoinStatement } from './statement.js';
import { createCoinTransfers } from './transfers.js';
import { createCoinProducts } from './products.js';
import { createCoinAccounts } from './accounts.js';
import { createCoinOps } from './ops.js';

export type { Payer } from './transfers.js';
export type { EntitlementState, Entitlements } from './products.js';

export function createCoinService(ctx: Ctx) {
  return {
    ...createCoinStatement(ctx),
    ...createCoinTransfers(ctx),
    ...createCoinProducts(ctx),
    ...createCoinAccounts(ctx),
    ...createCoinOps(ctx),
  };
}

export type CoinService = ReturnType<typeof createCoinService>;
