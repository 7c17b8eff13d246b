// The presented-post cache: the viewer-independent part of a W-Post that costs queries to build
// (media, images and video with their URLs; recent paid gifts and the gift summary), kept in the
// platform cache (Redis in server mode, in-process embedded) under the post id.
//
// Validity: an entry carries the version it was built for (page-facts.ts: updated_at, the post's
// media links and their newest edit, its newest paid gift) and the request origin its URLs were made for; a read with
// another version or origin is a miss and rebuilds it. So edits, new media links (and media deleted
// with their links), and gifts replace entries by themselves, on every instance, with no message to
// lose. Everything else in a W-Post is read live for every page and never cached here: the post row
// (text, visibility, hidden, counters), the author (profile, name, avatar, suspension) and all
// viewer-specific fields. A deleted post has no row left to present; its entry just expires.
//
// The TTL keeps URLs valid (a signed media URL outlives the entry by at least half its lifetime)
// and bounds what no version sees: a gift type renamed.
import type { Ctx } from '../../context.js';

type Parts = Record<string, unknown>;
interface Entry {
  v: string;
  o: string;
  d: Parts;
}

const keyOf = (postId: number) => `social:pp:${postId}`;

export function createPostCache(ctx: Ctx) {
  const urlTtlSec = Math.min(ctx.config.mediaUrls.ttlSec, ctx.config.storage.s3.presignSeconds);
  const ttlMs = Math.min(300, Math.floor(urlTtlSec / 4)) * 1000;

  /** Cached parts by post id, for the entries built for this version and origin. */
  async function read(items: { id: number; version: string }[], origin: string): Promise<Map<number, Parts>> {
    const out = new Map<number, Parts>();
    if (!items.length || ttlMs <= 0) return out;
    let raw: (string | null)[];
    try {
      raw = await ctx.kv.getMany(items.map((i) => keyOf(i.id)));
    } catch (err) {
      // A cache outage costs queries, never the page.
      ctx.log.warn({ err }, 'presented-post cache read failed');
      return out;
    }
    items.forEach((item, n) => {
      const s = raw[n];
      if (!s) return;
      const e = JSON.parse(s) as Entry;
      if (e.v === item.version && e.o === origin) out.set(item.id, e.d);
    });
    return out;
  }

  async function write(items: { id: number; version: string; parts: Parts }[], origin: string) {
    if (!items.length || ttlMs <= 0) return;
    try {
      await ctx.kv.setMany(items.map((i) => [keyOf(i.id), JSON.stringify({ v: i.version, o: origin, d: i.parts } satisfies Entry)]), ttlMs);
    } catch (err) {
      ctx.log.warn({ err }, 'presented-post cache write failed');
    }
  }

  const drop = (postIds: number[]) => (postIds.length ? ctx.kv.del(...postIds.map(keyOf)) : Promise.resolve());

  return { read, write, drop };
}

export type PostCache = ReturnType<typeof createPostCache>;
