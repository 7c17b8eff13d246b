// feed/*: timelines (home, following), ranked feeds (for_you), their video variants, health; home/highlights.
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import type { Keyset } from '../../platform/http/pagination.js';
import { decodeCursor, encodeCursor, originOf, pageUrl } from '../../platform/http/pagination.js';
import { Loose } from '../../platform/http/schemas.js';
import { cachedPage } from '../../platform/http/cached-page.js';
import { userTag } from '../../platform/pages.js';
import { postTag } from '../social/service.js';
import type { PostRow } from '../social/schema.js';
import { viewerOf } from '../users/present.js';
import type { Viewer } from '../users/present.js';
import { composeFeed, type PostItem } from './compose.js';
import { decodeRankCursor, encodeRankCursor, type RankCursor } from './cursor.js';
import { HIGHLIGHTS } from './highlights.js';
import type { FeedService } from './service.js';

const PageSize = Type.Integer({ minimum: 1, maximum: 100 });
const FeedQuery = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 2048 })),
  limit: Type.Optional(PageSize),
  page_size: Type.Optional(PageSize),
});
const FeedItem = Type.Object({ type: Type.String(), id: Type.Union([Type.Integer(), Type.String()]) }, { additionalProperties: true });
const FeedPage = Type.Object({ items: Type.Array(FeedItem), next: Type.Union([Type.String(), Type.Null()]) });
const Health = Type.Object({
  cache_connected: Type.Boolean(),
  insight_cache: Type.Object({ mentor: Type.Boolean(), matrix: Type.Boolean(), soulmatch: Type.Boolean() }),
});

type Q = { cursor?: string; limit?: number; page_size?: number };
const sizeOf = (q: Q) => q.limit ?? q.page_size ?? 20;

export async function feedRoutes(app: App, ctx: Ctx, feed: FeedService) {
  const social = ctx.services.social;

  /** Presents posts as feed items; video feeds keep only posts whose presented `video` is truthy. */
  async function envelope(req: FastifyRequest, rows: PostRow[], next: string | null, opts: { firstPage: boolean; videoOnly: boolean }) {
    const viewer = viewerOf(req) as Viewer;
    const posts = await social.presentPosts(viewer, rows, originOf(req, ctx.config.publicBaseUrl));
    const items: PostItem[] = posts
      .filter((p) => !opts.videoOnly || Boolean((p as Record<string, unknown>).video))
      .map((p) => ({ type: 'post', id: (p as { id: number }).id, post: p as Record<string, unknown> }));
    // Video feeds carry posts only; the others go through the composer (insight-card slots).
    const cards = !opts.videoOnly && opts.firstPage ? await feed.insights.cardsFor(viewer.id) : {};
    const out = opts.videoOnly ? items : composeFeed(items, { viewer, page: opts.firstPage ? 1 : 2, cards });
    return { items: out, next: next ? pageUrl(req, ctx.config.publicBaseUrl, next) : null };
  }

  // Pages are kept in the page cache under the viewer, each post and each author: a write that
  // changes any of them drops the page (docs/perf.md, "Rendered feed pages and thread lists").
  const tagsOf = (viewerId: number, rows: PostRow[]) => [userTag(viewerId), ...rows.flatMap((r) => [postTag(r.id), userTag(r.authorId)])];
  const serve = (req: FastifyRequest, reply: FastifyReply, build: () => Promise<{ rows: PostRow[]; body: unknown; keep: boolean }>) =>
    cachedPage(ctx.pages, ctx.config.publicBaseUrl, req, reply, async () => {
      const page = await build();
      return { body: page.body, tags: page.keep ? tagsOf(req.user!.id, page.rows) : null };
    });

  const timelineRoute = (videoOnly: boolean) => (req: FastifyRequest<{ Querystring: Q }>, reply: FastifyReply) =>
    serve(req, reply, async () => {
      const before: Keyset | null = decodeCursor(req.query.cursor);
      const page = await feed.timeline.page(req.user!.id, before, sizeOf(req.query), videoOnly);
      // A cold timeline (being rebuilt) is not kept: the rebuild changes it.
      if (page.cold) await feed.requestRebuild(req.user!.id);
      const body = await envelope(req, page.rows, page.next ? encodeCursor(page.next) : null, { firstPage: !before, videoOnly });
      return { rows: page.rows, body, keep: !page.cold };
    });

  const rankedRoute = (videoOnly: boolean) => (req: FastifyRequest<{ Querystring: Q }>, reply: FastifyReply) =>
    serve(req, reply, async () => {
      const cursor: RankCursor | null = decodeRankCursor(req.query.cursor);
      const page = await feed.forYou.page(req.user!.id, cursor, sizeOf(req.query), videoOnly);
      const body = await envelope(req, page.rows, page.next ? encodeRankCursor(page.next) : null, { firstPage: !cursor, videoOnly });
      return { rows: page.rows, body, keep: true };
    });

  const schema = { tags: ['feed'], querystring: FeedQuery, response: { 200: FeedPage } };
  app.get('/feed/home', { schema }, timelineRoute(false));
  app.get('/feed/following', { schema }, timelineRoute(false));
  app.get('/feed/following_videos', { schema }, timelineRoute(true));
  app.get('/feed/for_you', { schema }, rankedRoute(false));
  app.get('/feed/for_you_videos', { schema }, rankedRoute(true));

  app.get('/feed/health', { schema: { tags: ['feed'], response: { 200: Health } } }, async (req) => ({
    cache_connected: await ctx.kv.ping(),
    insight_cache: await feed.insights.cached(req.user!.id),
  }));

  app.get('/home/highlights', { config: { auth: 'none' }, schema: { tags: ['feed'], response: { 200: Loose } } }, async () => HIGHLIGHTS);
}

