// Demo data: three named accounts plus N generated users with complete personal maps and follows.
// Bulk rows are written with set-based SQL so 10,000+ users and 500,000 follows take seconds.
import { sql } from 'drizzle-orm';
import type { Command } from './index.js';
import { parseArgs } from './index.js';
import { modules } from '../modules/index.js';
import { hashPassword } from '../platform/auth/passwords.js';

export interface SeedOptions {
  users: number;
  follows: number;
  posts: number;
}

const DEMO_DOMAIN = 'demo.selflink.app';
const NAMED = [
  { handle: 'mentor', name: 'Demo Mentor', first: 'Demo', last: 'Mentor', city: 'Tbilisi', country: 'Georgia', date: '1988-04-12', time: '08:30' },
  { handle: 'seeker', name: 'Demo Seeker', first: 'Demo', last: 'Seeker', city: 'Berlin', country: 'Germany', date: '1995-11-03', time: '21:15' },
  { handle: 'builder', name: 'Demo Builder', first: 'Demo', last: 'Builder', city: 'Lisbon', country: 'Portugal', date: '1991-07-27', time: '13:05' },
];

export const seedDemo: Command = {
  help: `seed-demo [--users N] [--follows N] [--posts N] [--reset]: demo accounts (password changeme123, e-mails @${DEMO_DOMAIN})`,
  async run(ctx, args) {
    const { opts } = parseArgs(args);
    const num = (k: string, d: number) => {
      const v = opts[k] === undefined ? d : Number(opts[k]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`--${k} must be a whole number`);
      return v;
    };
    const o: SeedOptions = { users: num('users', 20), follows: num('follows', 100), posts: num('posts', 60) };
    const db = ctx.db;
    if (opts.reset) {
      await db.execute(sql`delete from users where email like ${'%@' + DEMO_DOMAIN}`);
      console.log('removed previous demo users');
    }
    const hash = await hashPassword('changeme123');
    for (const n of NAMED) {
      await db.execute(sql`
        insert into users (email, handle, name, password, bio, birth_date, birth_time, birth_place)
        values (${`demo-${n.handle}@${DEMO_DOMAIN}`}, ${n.handle}, ${n.name}, ${hash}, ${'Exploring SelfLink.'}, ${n.date}, ${n.time}, ${`${n.city}, ${n.country}`})
        on conflict do nothing`);
    }
    // Generated users: user000001@demo… with deterministic names and birth data.
    await db.execute(sql`
      insert into users (email, handle, name, password, bio, birth_date, birth_time, birth_place, created_at, updated_at)
      select 'user' || lpad(g::text, 6, '0') || '@' || ${DEMO_DOMAIN}, 'user' || lpad(g::text, 6, '0'),
             (array['Nino','Giorgi','Ana','Luka','Mariam','Sandro','Eka','Levan','Tamar','Dato'])[1 + g % 10] || ' ' ||
             (array['Beridze','Kapanadze','Lomidze','Gelashvili','Tsiklauri','Mamedova','Smith','Garcia','Müller','Rossi'])[1 + (g / 10) % 10],
             ${hash}, 'Demo member #' || g,
             date '1970-01-01' + (g * 37 % 12000), time '00:00' + (g * 17 % 1440) * interval '1 minute',
             (array['Tbilisi, Georgia','Batumi, Georgia','Berlin, Germany','Lisbon, Portugal','New York, USA'])[1 + g % 5],
             now() - (g * interval '1 minute'), now() - (g * interval '1 minute')
      from generate_series(1, ${o.users}) g
      on conflict do nothing`);
    await db.execute(sql`
      insert into user_profiles (user_id) select id from users where email like ${'%@' + DEMO_DOMAIN} on conflict do nothing`);
    await db.execute(sql`
      insert into personal_maps (user_id, first_name, last_name, birth_date, birth_time, birth_place_country, birth_place_city)
      select id, split_part(name, ' ', 1), coalesce(nullif(split_part(name, ' ', 2), ''), 'Demo'), birth_date, birth_time,
             trim(split_part(birth_place, ',', 2)), split_part(birth_place, ',', 1)
      from users where email like ${'%@' + DEMO_DOMAIN} on conflict do nothing`);
    // Named accounts follow each other; generated users follow pseudo-random others.
    await db.execute(sql`
      insert into follows (follower_id, followee_id)
      select a.id, b.id from users a join users b on a.id <> b.id
      where a.handle in ('mentor','seeker','builder') and b.handle in ('mentor','seeker','builder')
      on conflict do nothing`);
    if (o.follows > 0 && o.users > 1) {
      // Pseudo-random pairs by array position: O(1) lookups, so 500,000 follows take seconds.
      await db.execute(sql`
        with u as (select array_agg(id order by id) as ids, count(*)::bigint as n from users where email like ${'user%@' + DEMO_DOMAIN}),
             pairs as (
               select u.ids[1 + (g::bigint * 7919) % u.n] as a,
                      u.ids[1 + (g::bigint * 104729 + (g::bigint / u.n) * 15485863 + 1) % u.n] as b
               from generate_series(1, ${o.follows}) g, u)
        insert into follows (follower_id, followee_id)
        select a, b from pairs where a <> b
        on conflict do nothing`);
    }
    await db.execute(sql`
      update users u set followers_count = coalesce(f.c, 0)
      from users u2 left join (select followee_id, count(*) c from follows group by followee_id) f on f.followee_id = u2.id
      where u.id = u2.id and u.email like ${'%@' + DEMO_DOMAIN}`);
    await db.execute(sql`
      update users u set following_count = coalesce(f.c, 0)
      from users u2 left join (select follower_id, count(*) c from follows group by follower_id) f on f.follower_id = u2.id
      where u.id = u2.id and u.email like ${'%@' + DEMO_DOMAIN}`);
    for (const m of modules) await m.seed?.(ctx, o);
    // After a bulk load: fresh statistics, so the planner picks the indexes from the first request,
    // and the visibility map set, so index-only scans (a post's follower pages) need no heap fetch.
    // Autovacuum would get there in time; a machine without it (this one) never does.
    await db.execute(sql`vacuum (analyze)`);
    const [{ c }] = (await db.execute(sql`select count(*)::int as c from users where email like ${'%@' + DEMO_DOMAIN}`)).rows as { c: number }[];
    const [{ f }] = (await db.execute(sql`select count(*)::int as f from follows`)).rows as { f: number }[];
    console.log(`demo data ready: ${c} demo users, ${f} follows (log in as demo-mentor@${DEMO_DOMAIN} / changeme123)`);
  },
};
