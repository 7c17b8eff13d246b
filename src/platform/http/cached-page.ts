// A route's 200 answered from the page cache (platform/pages.ts) when it holds the page, else built,
// serialized with the route's response schema and stored under the tags the builder names.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pages } from '../pages.js';
import { originOf } from './pagination.js';

export interface BuiltPage {
  body: unknown;
  /** What the page shows (users, posts, ...); null: not to be kept (e.g. built from a cold source). */
  tags: string[] | null;
}

/** The page's key: one per signed-in viewer, origin (links in the page are absolute) and URL with its query. */
const keyOf = (req: FastifyRequest, publicBaseUrl: string | null) => `${req.user!.id}|${originOf(req, publicBaseUrl)}|${req.url}`;

export async function cachedPage(pages: Pages, publicBaseUrl: string | null, req: FastifyRequest, reply: FastifyReply, build: () => Promise<BuiltPage>): Promise<void> {
  const key = keyOf(req, publicBaseUrl);
  void reply.type('application/json; charset=utf-8');
  const hit = pages.get(key);
  if (hit !== undefined) return reply.send(hit);
  const mark = pages.begin();
  const page = await build();
  const body = reply.serialize(page.body) as string; // (the route's JSON serializer: always text)
  if (!page.tags) return reply.send(body);
  // Kept as the bytes sent: a hit then costs no UTF-8 encoding or length count of a page that can run to 100 KB.
  // (not from Buffer's shared pool, whose 8 KB slabs a long-kept small page would pin)
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(body));
  bytes.write(body);
  pages.store(key, bytes, page.tags, mark);
  return reply.send(bytes);
}
