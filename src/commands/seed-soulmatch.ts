// seed-soulmatch [--force]: the original's seed_soulmatch_recommendations. Five users with birth data
// and charts (Tbilisi), so recommendations have candidates. Refused outside development without --force.
import type { Command } from './index.js';
import { parseArgs } from './index.js';

const NAMES = ['One', 'Two', 'Three', 'Four', 'Five'];

export const seedSoulmatch: Command = {
  help: 'seed-soulmatch [--force]: five SoulMatch demo users (soulmatch_seed<N>@example.com / seedpass123) with natal charts',
  async run(ctx, args) {
    const { opts } = parseArgs(args);
    if (ctx.config.env !== 'development' && !opts.force) {
      console.error('seed-soulmatch only runs in development; pass --force to run it anyway');
      return 1;
    }
    const users = ctx.services.users;
    let created = 0;
    let updated = 0;
    for (let idx = 1; idx <= 5; idx++) {
      const email = `soulmatch_seed${idx}@example.com`;
      const handle = `soul_seed${idx}`;
      let user = (await users.findByEmail(email)) ?? (await users.findByHandles([handle]))[0] ?? null;
      if (!user) {
        user = await users.createUser({ email, password: 'seedpass123', handle, name: `Seed ${NAMES[idx - 1]}` });
        created++;
      } else updated++;
      const patch: Record<string, unknown> = {};
      if (!user.birthDate) patch.birthDate = `1990-01-0${idx}`;
      if (!user.birthTime) patch.birthTime = `${String(9 + (idx % 6)).padStart(2, '0')}:30:00`;
      if (!user.birthPlace) patch.birthPlace = 'Tbilisi';
      if (Object.keys(patch).length) user = await users.update(user.id, patch);
      if (!(await ctx.services.astro.chartRow(user.id))) {
        await ctx.services.astro.submit(user.id, { date_of_birth: user.birthDate!, time_of_birth: user.birthTime!, city: 'Tbilisi', country: 'Georgia' }, { async: false });
      }
    }
    console.log(`seed-soulmatch: ${created} created, ${updated} updated`);
  },
};
