// Feed cursors. Timelines use the platform's (created_at, id) keyset cursor. for_you uses its own:
// the anchor of its candidate window plus an offset into the ranked window (see for-you.ts).
import { decodeCursor, encodeCursor, invalidCursor, parseInstant, type Keyset } from '../../platform/http/pagination.js';

export interface RankCursor {
  /** Newest row of the window (inclusive) and the time scores were computed against. */
  anchor: Keyset;
  at: number;
  offset: number;
}

/** Accepts a bare token or the whole `next` URL the app fetches verbatim. */
function tokenOf(raw: string): string {
  if (!/^https?:|^\/|\?/.test(raw) && !raw.includes('cursor=')) return raw;
  try {
    return new URL(raw, 'http://x').searchParams.get('cursor') ?? '';
  } catch {
    throw invalidCursor();
  }
}

export function encodeRankCursor(c: RankCursor): string {
  return Buffer.from(JSON.stringify({ a: [c.anchor.t, c.anchor.id], n: c.at, o: c.offset })).toString('base64url');
}

export function decodeRankCursor(raw: string | undefined): RankCursor | null {
  if (raw === undefined || raw === '') return null;
  try {
    const v = JSON.parse(Buffer.from(tokenOf(raw), 'base64url').toString('utf8'));
    const [t, id] = v.a;
    if (parseInstant(t) === null || !Number.isSafeInteger(id) || !Number.isSafeInteger(v.n) || !Number.isSafeInteger(v.o) || v.o < 0 || v.o > 10_000) {
      throw new Error();
    }
    return { anchor: { t, id }, at: v.n, offset: v.o };
  } catch {
    throw invalidCursor();
  }
}

export { decodeCursor as decodeKeysetCursor, encodeCursor as encodeKeysetCursor };
