// A post without media is one statement: the post, its author's posts_count and post.created. The
// text posts that arrive in one turn of the event loop share one statement: a commit and a round
// trip per turn instead of per post (pgbench, 20 clients, each their own authors: ~5,800 single
// posts/s against ~16,000 in statements of ten; docs/perf.md, "Writes").
import { getTableColumns, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { cteColumns } from '../../platform/db/cte.js';
import { pgErrorCode } from '../../platform/db/index.js';
import { prepared } from '../../platform/db/prepared.js';
import { turnBatch } from '../../platform/db/turn-batch.js';
import { posts, type PostRow } from './schema.js';
import { SOCIAL_EVENTS } from './events.js';

export type TextPostValues = Required<Pick<typeof posts.$inferInsert, 'authorId' | 'text' | 'visibility' | 'language' | 'hasVideo'>>;
type Inserted = { post: PostRow; eventId: number };

const payloadOfP = sql`jsonb_build_object('postId', p.id, 'authorId', p.author_id, 'text', p.text, 'visibility', p.visibility)`;
const keyOf = (v: TextPostValues) => `${v.authorId}\u0000${v.visibility}\u0000${v.language}\u0000${v.hasVideo}\u0000${v.text}`;

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

  // The same over arrays, one row per post; an author with several posts in it counts them all.
  const manyStatement = prepared('social_text_posts', (q) => {
    const arr = (name: string, type: string) => sql`${sql.placeholder(name)}::${sql.raw(type)}[]`;
    const post = q.$with('p', getTableColumns(posts)).as(
      sql`insert into ${posts} (author_id, text, visibility, language, has_video)
          select * from unnest(${arr('authorIds', 'bigint')}, ${arr('texts', 'text')}, ${arr('visibilities', 'text')}, ${arr('languages', 'text')}, ${arr('hasVideos', 'boolean')})
          returning *`,
    );
    const counted = users().postsCountsCte(q, 'counted', sql`(select author_id, count(*)::int from p group by author_id order by author_id)`);
    const event = ctx.events.cte(q, 'ev', SOCIAL_EVENTS.postCreated, payloadOfP, sql`p`);
    return q
      .with(post, counted, event)
      .select({ post: cteColumns(posts, post), eventId: event.eventId })
      .from(post)
      .innerJoin(event, sql`(${event.payload} ->> 'postId')::bigint = ${post.id}`);
  });

  const one = async (v: TextPostValues): Promise<Inserted> => (await oneStatement(ctx.db).execute(v))[0];

  const inTurn = turnBatch(async (batch: TextPostValues[]): Promise<PromiseSettledResult<Inserted>[]> => {
    if (batch.length === 1) return Promise.allSettled([one(batch[0])]);
    let rows: Inserted[];
    try {
      rows = await manyStatement(ctx.db).execute({
        authorIds: batch.map((v) => v.authorId),
        texts: batch.map((v) => v.text),
        visibilities: batch.map((v) => v.visibility),
        languages: batch.map((v) => v.language),
        hasVideos: batch.map((v) => v.hasVideo),
      });
    } catch (err) {
      // One post refused (its author deleted meanwhile) or a deadlock with another turn's posts by
      // the same authors: each post alone, so only what fails fails.
      // (only when PostgreSQL reported it, a SQLSTATE: then nothing committed and no post can be written twice)
      if (pgErrorCode(err) === undefined) throw err;
      return Promise.allSettled(batch.map(one));
    }
    // Each caller takes a row with its own values (two alike are interchangeable), in id order.
    const byKey = new Map<string, Inserted[]>();
    for (const r of rows.sort((a, b) => a.post.id - b.post.id)) {
      const key = keyOf(r.post as TextPostValues);
      const list = byKey.get(key);
      if (list) list.push(r);
      else byKey.set(key, [r]);
    }
    return batch.map((v) => {
      const r = byKey.get(keyOf(v))?.shift();
      return r ? { status: 'fulfilled', value: r } : { status: 'rejected', reason: new Error('text post: no row came back for a post of the batch') };
    });
  });

  /** Writes a text post with its posts_count and post.created; hand the event id to events.emitted(). */
  async function insertTextPost(values: TextPostValues): Promise<Inserted> {
    const r = await inTurn(values);
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  }

  return { insertTextPost };
}
