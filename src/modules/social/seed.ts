// Demo posts for seed-demo: set-based SQL, so 200,000 posts take seconds. Like seed-demo itself,
// this one-shot admin path reads the demo accounts and fixes their posts_count directly.
import { sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import type { SeedOptions } from '../../commands/seed-demo.js';

const DEMO_EMAILS = '%@demo.selflink.app';

const OPENERS = [
  'Morning pages done.', 'Small win today:', 'Noticed something on my walk:', 'A question for this community:', 'Reminder to self:',
  'Grateful for', 'Trying a new habit:', 'Week in review:', 'Thinking about', 'Reading notes:', 'Honest update:', 'Tiny experiment:',
];
const TOPICS = [
  'staying curious when plans fall apart', 'ten minutes of breathing before coffee', 'the people who check in without being asked',
  'learning to say no without a long explanation', 'how the full moon changes my sleep', 'journaling three lines before bed',
  'finishing the book I started in spring', 'calling my grandmother every Sunday', 'walking without headphones', 'cooking for friends again',
];
const CLOSERS = ['Anyone else?', 'More tomorrow.', '🌱', 'Still figuring it out.', 'Feels good.', 'What works for you?', '✨', 'Day 12.'];

const pgArray = (values: string[]) => sql`array[${sql.join(values.map((v) => sql`${v}`), sql`, `)}]::text[]`;

export async function seedPosts(ctx: Ctx, opts: SeedOptions) {
  if (opts.posts <= 0) return;
  // Authors are picked from an array by position: a constant-time lookup per row (no join to plan).
  await ctx.db.execute(sql`
    with demo as (
      select array_agg(id order by id) as ids from users where email like ${DEMO_EMAILS} and is_active
    )
    insert into posts (author_id, text, visibility, language, created_at, updated_at)
    select demo.ids[1 + (g * 7919) % cardinality(demo.ids)],
           (${pgArray(OPENERS)})[1 + g % ${OPENERS.length}] || ' ' || (${pgArray(TOPICS)})[1 + (g / ${OPENERS.length}) % ${TOPICS.length}] || ' ' ||
             (${pgArray(CLOSERS)})[1 + (g / 7) % ${CLOSERS.length}],
           case when g % 10 = 3 then 'followers' else 'public' end,
           'en',
           now() - g * interval '41 seconds', now() - g * interval '41 seconds'
    from demo, generate_series(1, ${opts.posts}) g
    where cardinality(demo.ids) > 0`);
  await ctx.db.execute(sql`
    update users u set posts_count = coalesce(p.c, 0)
    from users u2 left join (select author_id, count(*)::int as c from posts group by author_id) p on p.author_id = u2.id
    where u.id = u2.id and u.email like ${DEMO_EMAILS}`);
  const [{ c }] = (await ctx.db.execute(sql`select count(*)::int as c from posts`)).rows as { c: number }[];
  console.log(`posts ready: ${c} posts in total`);
}
