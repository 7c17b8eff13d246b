// Notifications: stored in-app rows plus push/e-mail delivery through queue jobs.
import { and, count, desc, eq, sql } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { notFound } from '../../platform/http/errors.js';
import { olderThan, paginate, type Keyset } from '../../platform/http/pagination.js';
import { notifications, type NotificationRow } from './schema.js';
import { cteColumns } from '../../platform/db/cte.js';
import { EMAIL_TYPES, inQuietHours, type QuietHours } from './delivery.js';
import { providersFromConfig, type Providers } from './providers.js';
import { createDeliveries } from './deliveries.js';

export const NOTIFICATION_JOBS = {
  event: 'notifications.event',
  push: 'notifications.push',
  pushDevice: 'notifications.push-device',
  pushReceipt: 'notifications.push-receipt',
  email: 'notifications.email',
} as const;

/** Written with the notification row; its listener queues the deliveries it asks for. */
export const NOTIFICATION_CREATED = 'notification.created';

export interface NotificationCreatedEvent {
  notificationId: number;
  /** The recipient (absent on events written before it was added). */
  userId?: number;
  push: boolean;
  email: boolean;
}

export interface CreateOptions {
  /** The user whose action caused it; defaults to payload.actor_id. Self-actions never notify. */
  actorId?: number | null;
  /** Idempotency key per recipient: the same key never notifies twice (retries, like/unlike/like). */
  dedupeKey?: string;
  /** Evaluation time for quiet hours (tests); defaults to now. */
  now?: Date;
}

interface DeliverySettings {
  push_enabled: boolean;
  email_enabled: boolean;
  quiet_hours: QuietHours;
}

const settingsOf = (raw: Record<string, unknown> | null | undefined): DeliverySettings => ({
  push_enabled: raw?.push_enabled !== false,
  email_enabled: raw?.email_enabled !== false,
  quiet_hours: (raw?.quiet_hours ?? {}) as QuietHours,
});

/** The users service's rows by id (getMany). */
type People = Awaited<ReturnType<Ctx['services']['users']['getMany']>>;

const missing = () => notFound('No Notification matches the given query.');

export function createNotificationsService(ctx: Ctx) {
  let providers: Providers = providersFromConfig(ctx.config, ctx.log);
  const users = () => ctx.services.users;

  /** create()'s rules for one recipient: null when nothing is stored, else what to deliver. */
  function decide(people: People, userId: number, actorId: number | null, silenced: boolean, type: string, now: Date) {
    const recipient = people.get(userId);
    if (!recipient || !recipient.isActive) return null;
    if (actorId !== null) {
      const actor = people.get(actorId);
      if (!actor || !actor.isActive || silenced) return null;
    }
    const s = settingsOf(recipient.settings);
    const quiet = inQuietHours(s.quiet_hours, now);
    return { push: !quiet && s.push_enabled, email: !quiet && s.email_enabled && EMAIL_TYPES.has(type) && Boolean(recipient.email) };
  }

  /**
   * create() for a batch (a relay batch of unread reminders), by the same rules: the people read in
   * one query, the block and mute checks in one (shared by the turn), and the rows with their
   * delivery events written in one statement, not one per notification. Returns how many were stored.
   */
  async function createMany(items: { userId: number; type: string; payload: Record<string, unknown>; dedupeKey: string; actorId: number | null }[], now = new Date()): Promise<number> {
    // (one per recipient and key: a statement cannot insert the same row twice)
    const unique = [...new Map(items.filter((i) => i.actorId !== i.userId).map((i) => [`${i.userId}:${i.dedupeKey}`, i])).values()];
    if (!unique.length) return 0;
    const ids = [...new Set(unique.flatMap((i) => (i.actorId !== null ? [i.userId, i.actorId] : [i.userId])))];
    const [people, silenced] = await Promise.all([users().getMany(ids), Promise.all(unique.map((i) => (i.actorId !== null ? users().isBlockedOrMuted(i.userId, i.actorId) : false)))]);
    const rows = unique.flatMap((i, k) => {
      const d = decide(people, i.userId, i.actorId, silenced[k], i.type, now);
      return d ? [{ ...i, ...d }] : [];
    });
    if (!rows.length) return 0;
    const values = sql.join(
      rows.map((r) => sql`(${r.userId}::bigint, ${r.type.slice(0, 64)}::varchar, ${JSON.stringify(r.payload)}::jsonb, ${r.dedupeKey.slice(0, 128)}::varchar, ${r.push}::boolean, ${r.email}::boolean)`),
      sql`, `,
    );
    const q = ctx.db;
    const v = q.$with('v', { userId: sql<number>`user_id`.as('user_id') }).as(sql`select * from (values ${values}) as v(user_id, type, payload, dedupe_key, push, email)`);
    const n = q.$with('n', { id: sql<number>`id`.as('id') }).as(
      sql`insert into ${notifications} (user_id, type, payload, dedupe_key) select user_id, type, payload, dedupe_key from v on conflict do nothing returning id, user_id, dedupe_key`,
    );
    const event = ctx.events.cte(
      q,
      'ev',
      NOTIFICATION_CREATED,
      sql`jsonb_build_object('notificationId', n.id, 'userId', n.user_id, 'push', v.push, 'email', v.email)`,
      sql`n join v on v.user_id = n.user_id and v.dedupe_key = n.dedupe_key where v.push or v.email`,
    );
    const [r] = await q
      .with(v, n, event)
      .select({ stored: sql<number>`(select count(*) from n)`.mapWith(Number), events: sql<number[]>`(select coalesce(array_agg(event_id), '{}') from ev)` })
      .from(sql`(select 1) one`);
    const events = (r.events ?? []).map(Number);
    if (events.length) ctx.events.emitted(NOTIFICATION_CREATED, events);
    return r.stored;
  }

  /**
   * Stores a notification for `userId` unless the recipient is gone or inactive, the actor is the
   * recipient, inactive, blocked either way or muted by the recipient. Push and e-mail are queued
   * unless the recipient turned them off or is inside quiet hours (the in-app row is kept then).
   */
  async function create(userId: number, type: string, payload: Record<string, unknown>, opts: CreateOptions = {}): Promise<NotificationRow | null> {
    const actorRaw = opts.actorId !== undefined ? opts.actorId : payload.actor_id;
    const actorId = typeof actorRaw === 'number' ? actorRaw : null;
    if (actorId === userId) return null;
    // The checks side by side (the people read fresh, in one query): a notification follows every
    // unread message, so its round trips add up.
    const people = [userId, ...(actorId !== null ? [actorId] : [])];
    const [rows, silenced] = await Promise.all([users().getMany(people), actorId !== null ? users().isBlockedOrMuted(userId, actorId) : false]);
    const d = decide(rows, userId, actorId, silenced, type, opts.now ?? new Date());
    if (!d) return null;
    const { push, email } = d;
    // The row and its delivery request in one statement (the outbox relays it to the queue): a
    // duplicate (the dedupe key) writes neither.
    const q = ctx.db;
    const n = q.$with('n').as(
      q
        .insert(notifications)
        .values({ userId, type: type.slice(0, 64), payload, dedupeKey: opts.dedupeKey?.slice(0, 128) ?? null })
        .onConflictDoNothing()
        .returning(),
    );
    const event = ctx.events.cte(q, 'ev', NOTIFICATION_CREATED, sql`jsonb_build_object('notificationId', n.id, 'userId', n.user_id, 'push', ${push}::boolean, 'email', ${email}::boolean)`, push || email ? sql`n` : sql`n where false`);
    const [row] = await q
      .with(n, event)
      .select({ n: cteColumns(notifications, n), eventId: sql<number | null>`(select event_id from ev)`.mapWith(Number) })
      .from(n);
    if (!row) return null;
    if (push || email) ctx.events.emitted(NOTIFICATION_CREATED, [row.eventId!]);
    return row.n;
  }

  async function getOwn(userId: number, id: number): Promise<NotificationRow> {
    const [row] = await ctx.db
      .select()
      .from(notifications)
      .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
      .limit(1);
    if (!row) throw missing();
    return row;
  }

  async function list(userId: number, opts: { cursor: Keyset | null; limit: number }) {
    const rows = await ctx.db
      .select()
      .from(notifications)
      .where(and(eq(notifications.userId, userId), olderThan(notifications.createdAt, notifications.id, opts.cursor)))
      .orderBy(desc(notifications.createdAt), desc(notifications.id))
      .limit(opts.limit + 1);
    return paginate(rows, opts.limit);
  }

  /** Marks read (keeping the first read time) or unread; only the owner's rows. */
  async function setRead(userId: number, id: number, read: boolean): Promise<NotificationRow> {
    const [row] = await ctx.db
      .update(notifications)
      .set(read ? { isRead: true, readAt: sql`coalesce(${notifications.readAt}, now())` } : { isRead: false, readAt: null })
      .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
      .returning();
    if (!row) throw missing();
    return row;
  }

  async function markAllRead(userId: number): Promise<number> {
    const rows = await ctx.db
      .update(notifications)
      .set({ isRead: true, readAt: sql`now()` })
      .where(and(eq(notifications.userId, userId), eq(notifications.isRead, false)))
      .returning({ id: notifications.id });
    return rows.length;
  }

  async function remove(userId: number, id: number) {
    const rows = await ctx.db
      .delete(notifications)
      .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
      .returning({ id: notifications.id });
    if (!rows.length) throw missing();
  }

  async function unreadCount(userId: number): Promise<number> {
    const [r] = await ctx.db
      .select({ n: count() })
      .from(notifications)
      .where(and(eq(notifications.userId, userId), eq(notifications.isRead, false)));
    return Number(r?.n ?? 0);
  }

  async function byId(id: number): Promise<NotificationRow | null> {
    const [row] = await ctx.db.select().from(notifications).where(eq(notifications.id, id)).limit(1);
    return row ?? null;
  }

  const deliveries = createDeliveries(ctx, { byId, providers: () => providers });

  return {
    create,
    createMany,
    getOwn,
    list,
    setRead,
    markAllRead,
    remove,
    unreadCount,
    ...deliveries,
    /** Installs real delivery providers (or test doubles); the default only logs. */
    useProviders(p: Partial<Providers>) {
      providers = { ...providers, ...p };
    },
  };
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;
