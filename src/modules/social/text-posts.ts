// A post without media is one statement: the post, its author's posts_count and post.created. The
// text posts that arrive in one turn of the event loop share one statement: a commit and a round
// trip per turn instead of per post (pgbench, 20 clients, each their own authors: ~5,800 single
// posts/s against ~16,000 in statements of ten; docs/perf.md, "Writes").
import { getTableColumns, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { cteColumns } from '../../platform/db/cte.js';
import { prepared } from '../../platform/db/prepared.js';
import { turnBatchWrites } from '../../platform/db/turn-batch.js';
import { posts, type PostRow } from './schema.js';
import { SOCIAL_EVENTS } from './events.js';

export type TextPostValues = Required<Pick<typeof posts.$inferInsert, 'authorId' | 'text' | 'visibility' | 'language' | 'hasVideo'>>;
type Inserted = { post: PostRow; eventId: number };

const payloadOfP = sql`jsonb_build_object('postId', p.id, 'authorId', p.author_id, 'text', p.text, 'visibility', p.visibility)`;

export function createTextPosts(ctx: Ctx) {
  const users = () => ctx.services.users;

  // Prepared, their values placeholders: drizzle built the CTEs on every post.
  const oneStatement = prepared('social_text_post', (q) => {
    const p = sql.placeholder;
    const values = { authorId: p('authorId'), text: p('text'), visibility: p('visibility'), language: p('language'), hasVideo: p('hasVideo') };
    const post = q.$with('p').as(q.insert(posts).values(values as never).returning());
    const counted = users().postsCountCte(q, 'counted', p('authorId'), 1, sql`exists (select 1 from p)`);
    const event = ctx.events.cte(q, 'ev', SOCIAL_EVENTS.postCreated, payloadOfP, sql`p`);
    return q
      .with(post, counted, event)
      .select({ post: cteColumns(posts, post), eventId: sql<number>`(select event_id from ev)`.mapWith(Number) })
      .from(post);
  });

  // The same over arrays, one row per post; an author with several posts in it counts them all. Each
  // post's id is drawn first, so its row is found by it.
  const manyStatement = prepared('social_text_posts', (q) => {
    const arr = (name: string, type: string) => sql`${sql.placeholder(name)}::${sql.raw(type)}[]`;
    const n = q.$with('n', { ord: sql<number>`ord`.mapWith(Number).as('ord') }).as(
      sql`select nextval(pg_get_serial_sequence('posts', 'id')) as id, u.*
          from unnest(${arr('authorIds', 'bigint')}, ${arr('texts', 'text')}, ${arr('visibilities', 'text')}, ${arr('languages', 'text')}, ${arr('hasVideos', 'boolean')})
               with ordinality as u(author_id, text, visibility, language, has_video, ord)`,
    );
    const post = q.$with('p', getTableColumns(posts)).as(
      sql`insert into ${posts} (id, author_id, text, visibility, language, has_video) overriding system value
          select id, author_id, text, visibility, language, has_video from n
          returning *`,
    );
    const counted = users().postsCountsCte(q, 'counted', sql`(select author_id, count(*)::int from p group by author_id order by author_id)`);
    const event = ctx.events.cte(q, 'ev', SOCIAL_EVENTS.postCreated, payloadOfP, sql`p`);
    return q
      .with(n, post, counted, event)
      .select({ ord: n.ord, post: cteColumns(posts, post), eventId: event.eventId })
      .from(post)
      .innerJoin(n, sql`n.id = ${post.id}`)
      .innerJoin(event, sql`(${event.payload} ->> 'postId')::bigint = ${post.id}`);
  });

  /** Writes a text post with its posts_count and post.created; hand the event id to events.emitted(). */
  const insertTextPost = turnBatchWrites(
    async (v: TextPostValues): Promise<Inserted> => (await oneStatement(ctx.db).execute(v))[0],
    async (batch) => {
      const rows = await manyStatement(ctx.db).execute({
        authorIds: batch.map((v) => v.authorId),
        texts: batch.map((v) => v.text),
        visibilities: batch.map((v) => v.visibility),
        languages: batch.map((v) => v.language),
        hasVideos: batch.map((v) => v.hasVideo),
      });
      const byOrd = new Map(rows.map(({ ord, ...r }) => [ord, r]));
      return batch.map((_, i) => () => byOrd.get(i + 1)!);
    },
  );

  return { insertTextPost };
}
