// seed-gift-types: the original's seed_gift_types. Upserts the seasonal gift `winter_snow` (animated
// snowfall over the post for 18 seconds) through the payments gift catalogue; running it again updates
// the same row. Prints `Created|Updated gift winter_snow (id=…)`.
import type { Command } from './index.js';
import { isUniqueViolation } from '../platform/db/index.js';

const WINTER_SNOW = {
  name: 'Winter Snow',
  priceCents: 100,
  priceSlcCents: 100,
  kind: 'animated' as const,
  mediaUrl: '/static/gifts/snowfall.png',
  animationUrl: '/static/gifts/snowfall.json',
  // Version-2 effects: snow falling over the post and a cold highlight, shown for an 18-second window.
  effects: {
    version: 2,
    persist: { mode: 'window', window_seconds: 18 },
    effects: [
      { type: 'overlay', scope: 'post', animation: '/static/gifts/snowfall.json', fit: 'cover', loop: true, clip_to_bounds: true, opacity: 0.9, duration_ms: 18_000, z_index: 2 },
      { type: 'highlight', scope: 'post', color: '#EAF6FF', tone: 'winter' },
    ],
  },
  metadata: { seed: 'seed-gift-types' },
};

export const seedGiftTypes: Command = {
  help: 'seed-gift-types: creates or updates the seasonal gift winter_snow (idempotent)',
  usage: 'selflink seed-gift-types\n  Upserts the gift type with key winter_snow ("Winter Snow", 100 cents / 100 SLC cents, animated snowfall).\n  A gift staff deactivated stays inactive.',
  async run(ctx) {
    try {
      const { row, created } = await ctx.services.payments.gifts.upsertByKey('winter_snow', WINTER_SNOW);
      console.log(`${created ? 'Created' : 'Updated'} gift winter_snow (id=${row.id})`);
    } catch (err) {
      // Another gift type already carries the name (names are unique too).
      if (isUniqueViolation(err)) {
        console.error('seed-gift-types: another gift type is already named "Winter Snow"; rename it first');
        return 1;
      }
      throw err;
    }
  },
};
