// W-User: the user shape every endpoint returns (also post authors, senders, members).
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { Ctx } from '../../context.js';
import { ApiError } from '../../platform/http/errors.js';
import type { UserRow } from './schema.js';

/** The current user: the signed-in user's row (the guard loads it), or 401. Every module's one way to get it. */
export function me(req: FastifyRequest): UserRow {
  if (!req.user) throw new ApiError(401, { detail: 'Authentication credentials were not provided.', code: 'not_authenticated' });
  return req.user as UserRow;
}

/** The viewer of a public read: who is asking (null when anonymous), for visibility rules and presenters. */
export const viewerOf = (req: FastifyRequest): Viewer | null => (req.user ? { id: req.user.id, isStaff: req.user.isStaff } : null);

export const SETTINGS_DEFAULTS = {
  privacy: 'public',
  dm_policy: 'everyone',
  language: 'en',
  quiet_hours: {} as Record<string, unknown>,
  push_enabled: true,
  email_enabled: true,
  digest_enabled: false,
};

export type UserSettings = typeof SETTINGS_DEFAULTS;

export function settingsOf(u: Pick<UserRow, 'settings'>): UserSettings {
  return { ...SETTINGS_DEFAULTS, ...(u.settings as Partial<UserSettings>) };
}

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const UserSettingsSchema = Type.Object({
  privacy: Type.String(),
  dm_policy: Type.String(),
  language: Type.String(),
  quiet_hours: Type.Object({}, { additionalProperties: true }),
  push_enabled: Type.Boolean(),
  email_enabled: Type.Boolean(),
  digest_enabled: Type.Boolean(),
});

export const UserSchema = Type.Object(
  {
    id: Type.Integer(),
    email: Nullable(Type.String()),
    handle: Type.String(),
    username: Type.String(),
    name: Type.String(),
    bio: Type.String(),
    photo: Type.String(),
    avatar_url: Type.String(),
    account_key: Type.String(),
    birth_date: Nullable(Type.String()),
    birth_time: Nullable(Type.String()),
    birth_place: Nullable(Type.String()),
    locale: Type.String(),
    flags: Type.Object({}, { additionalProperties: true }),
    followers_count: Type.Integer(),
    following_count: Type.Integer(),
    posts_count: Type.Integer(),
    is_following: Type.Boolean(),
    created_at: Type.String(),
    updated_at: Type.String(),
    settings: Type.Union([UserSettingsSchema, Type.Null()]),
  },
  { $id: 'User' },
);

export interface PresentOptions {
  /** Show e-mail, birth data and settings regardless of who looks (auth responses). */
  includePii?: boolean;
  /** Request origin for turning stored media keys into absolute URLs. */
  origin?: string;
  /**
   * Already known for these rows (a page's one batched viewer query): which of them the viewer
   * follows, and which share a conversation with the viewer. Given, they are not looked up again.
   */
  following?: Set<number>;
  peers?: Set<number>;
}

export interface Viewer {
  id: number;
  isStaff: boolean;
}

export function createPresenter(ctx: Ctx) {
  /** Stored photos are absolute URLs, or `storage:<key>` for uploaded avatars. */
  async function photoUrl(photo: string, origin?: string): Promise<string> {
    if (!photo.startsWith('storage:')) return photo;
    const url = await ctx.storage.url(photo.slice('storage:'.length));
    if (url.startsWith('/')) return (ctx.config.publicBaseUrl ?? origin ?? '') + url;
    return url;
  }

  async function present(viewer: Viewer | null, rows: UserRow[], opts: PresentOptions = {}) {
    const others = rows.filter((r) => r.id !== viewer?.id).map((r) => r.id);
    const [following, online] = await Promise.all([
      opts.following ?? (viewer ? ctx.services.users.followingAmong(viewer.id, others) : Promise.resolve(new Set<number>())),
      // Presence (`flags.online`: the thread list's dot) follows the presence frames' rule: only
      // people who share a conversation with the viewer; a viewer is online by definition.
      viewer && others.length
        ? (opts.peers ? Promise.resolve(opts.peers) : ctx.services.messaging.peersAmong(viewer.id, others)).then((peers) => (peers.size ? ctx.services.realtime.onlineAmong([...peers]) : new Set<number>()))
        : Promise.resolve(new Set<number>()),
    ]);
    // Only stored photos need the storage's URL (a promise each); the rest are presented as they are.
    const stored = rows.filter((u) => u.photo.startsWith('storage:'));
    const photos = new Map(await Promise.all(stored.map(async (u) => [u.photo, await photoUrl(u.photo, opts.origin)] as const)));
    return rows.map((u) => {
      const visible = opts.includePii || viewer?.id === u.id || viewer?.isStaff === true;
      const isFollowing = following.has(u.id);
      const photo = photos.get(u.photo) ?? u.photo;
      return {
        id: u.id,
        email: visible ? u.email : null,
        handle: u.handle,
        username: u.handle,
        name: u.name,
        bio: u.bio,
        photo,
        avatar_url: photo,
        account_key: `user:${u.id}`,
        birth_date: visible ? u.birthDate : null,
        birth_time: visible ? u.birthTime : null,
        birth_place: visible ? u.birthPlace : null,
        locale: u.locale,
        flags: { ...u.flags, following: isFollowing, is_following: isFollowing, online: viewer?.id === u.id || online.has(u.id) },
        followers_count: u.followersCount,
        following_count: u.followingCount,
        posts_count: u.postsCount,
        is_following: isFollowing,
        created_at: u.createdAt.toISOString(),
        updated_at: u.updatedAt.toISOString(),
        settings: visible ? settingsOf(u) : null,
      };
    });
  }

  async function presentOne(viewer: Viewer | null, row: UserRow, opts: PresentOptions = {}) {
    return (await present(viewer, [row], opts))[0];
  }

  return { present, presentOne, photoUrl };
}

export type Presenter = ReturnType<typeof createPresenter>;
export type PresentedUser = Awaited<ReturnType<Presenter['presentOne']>>;
