// Pure delivery rules: quiet hours, previews, and the text of push/e-mail messages.

export interface QuietHours {
  start?: unknown;
  end?: unknown;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

const minutes = (v: unknown): number | null => {
  const m = typeof v === 'string' ? HHMM.exec(v) : null;
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
};

/**
 * Whether `at` falls inside the quiet window [start, end) in UTC. A window may wrap midnight
 * (22:00–07:00); start == end or a missing/invalid bound means no quiet hours.
 */
export function inQuietHours(q: QuietHours | null | undefined, at: Date): boolean {
  const start = minutes(q?.start);
  const end = minutes(q?.end);
  if (start === null || end === null || start === end) return false;
  const now = at.getUTCHours() * 60 + at.getUTCMinutes();
  return start < end ? now >= start && now < end : now >= start || now < end;
}

/** Short text previews only (never whole bodies) go into payloads and pushes. */
export function preview(text: unknown, max = 140): string {
  const s = typeof text === 'string' ? text.replace(/\s+/g, ' ').trim() : '';
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

export type NotificationType = 'follow' | 'like' | 'comment_like' | 'comment' | 'reply' | 'mention' | 'message';

/** Which types also go out by e-mail (push goes out for every type the user allows). */
export const EMAIL_TYPES = new Set<string>(['message', 'mention']);

export function messageText(type: string, actorName: string, payload: Record<string, unknown>): { title: string; body: string } {
  const p = typeof payload.preview === 'string' && payload.preview ? `: ${payload.preview}` : '';
  switch (type) {
    case 'follow':
      return { title: 'New follower', body: `${actorName} started following you` };
    case 'like':
      return { title: 'New like', body: `${actorName} liked your post` };
    case 'comment_like':
      return { title: 'New like', body: `${actorName} liked your comment` };
    case 'comment':
      return { title: 'New comment', body: `${actorName} commented on your post${p}` };
    case 'reply':
      return { title: 'New reply', body: `${actorName} replied to your comment${p}` };
    case 'mention':
      return { title: 'You were mentioned', body: `${actorName} mentioned you${p}` };
    case 'message':
      return { title: actorName, body: typeof payload.preview === 'string' ? payload.preview : 'New message' };
    default:
      return { title: 'SelfLink', body: 'You have a new notification' };
  }
}

/** `@handle` mentions in a text, lower-cased and de-duplicated, at most `max` of them. */
export function parseMentions(text: unknown, max = 10): string[] {
  if (typeof text !== 'string') return [];
  const out = new Set<string>();
  for (const m of text.matchAll(/(?<![\p{L}\p{N}_@.])@([A-Za-z0-9_]{1,30})(?![A-Za-z0-9_])/gu)) {
    out.add(m[1].toLowerCase());
    if (out.size >= max) break;
  }
  return [...out];
}
