// users/, users/me/, follow graph and blocks.
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { fieldError } from '../../platform/http/errors.js';
import { cachedPage } from '../../platform/http/cached-page.js';
import { clampPageSize, decodeCursor, originOf, cursorPage } from '../../platform/http/pagination.js';
import { userTag } from '../../platform/pages.js';
import { DateString, IdParam, isRealDate, Page, PageQuery, TimeString } from '../../platform/http/schemas.js';
import { UserSchema, settingsOf } from './present.js';
import { me } from './present.js';
import { UserErrors } from './errors.js';

const SettingsPatch = Type.Object(
  {
    privacy: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('followers'), Type.Literal('private')])),
    dm_policy: Type.Optional(Type.Union(['everyone', 'followers', 'following', 'mutual', 'nobody'].map((v) => Type.Literal(v)))),
    language: Type.Optional(Type.String({ pattern: '^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$', maxLength: 32 })),
    quiet_hours: Type.Optional(
      Type.Object(
        { start: Type.Optional(Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' })), end: Type.Optional(Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' })) },
        { additionalProperties: false },
      ),
    ),
    push_enabled: Type.Optional(Type.Boolean()),
    email_enabled: Type.Optional(Type.Boolean()),
    digest_enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const MePatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
    bio: Type.Optional(Type.String({ maxLength: 2000 })),
    photo: Type.Optional(Type.Union([Type.Literal(''), Type.String({ format: 'uri', pattern: '^https?://', maxLength: 500 })])),
    birth_date: Type.Optional(Type.Union([DateString, Type.Null()])),
    birth_time: Type.Optional(Type.Union([TimeString, Type.Null()])),
    birth_place: Type.Optional(Type.String({ maxLength: 255 })),
    locale: Type.Optional(Type.String({ maxLength: 32, pattern: '^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$' })),
    settings: Type.Optional(SettingsPatch),
  },
  { additionalProperties: false },
);

export async function userRoutes(app: App, ctx: Ctx) {
  const users = ctx.services.users;
  const viewerOf = (req: { user: unknown }) => {
    const u = me(req as never);
    return { id: u.id, isStaff: u.isStaff };
  };
  const origin = (req: Parameters<typeof originOf>[0]) => originOf(req, ctx.config.publicBaseUrl);

  app.get(
    '/users',
    {
      schema: {
        tags: ['users'],
        querystring: Type.Object({ ...PageQuery, q: Type.Optional(Type.String({ maxLength: 100 })), search: Type.Optional(Type.String({ maxLength: 100 })) }),
        response: { 200: Page(UserSchema) },
      },
    },
    async (req) => {
      const limit = clampPageSize(req.query.page_size);
      const page = await users.list({ q: req.query.search ?? req.query.q, cursor: decodeCursor(req.query.cursor), limit, viewerId: me(req).id });
      return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, await users.present(viewerOf(req), page.rows, { origin: origin(req) }));
    },
  );

  // Kept in the page cache under the user's tag: what changes the row (their writes, renames,
  // counters, suspension, revoked sessions) drops it, as it drops every page showing them.
  app.get('/users/me', { schema: { tags: ['users'], response: { 200: UserSchema } } }, async (req, reply) =>
    cachedPage(ctx.pages, ctx.config.publicBaseUrl, req, reply, async () => {
      const u = me(req);
      return { body: await users.presentOne(viewerOf(req), u, { origin: origin(req) }), tags: [userTag(u.id)] };
    }),
  );

  app.patch('/users/me', { schema: { tags: ['users'], body: MePatch, response: { 200: UserSchema } } }, async (req) => {
    const u = me(req);
    const b = req.body;
    if (b.birth_date && !isRealDate(b.birth_date)) throw fieldError('birth_date', 'Date has wrong format. Use YYYY-MM-DD.');
    const patch: Parameters<typeof users.update>[1] = {};
    if (b.name !== undefined) patch.name = b.name.trim() || u.name;
    if (b.bio !== undefined) patch.bio = b.bio;
    if (b.photo !== undefined) patch.photo = b.photo;
    if (b.birth_date !== undefined) patch.birthDate = b.birth_date;
    if (b.birth_time !== undefined) patch.birthTime = b.birth_time;
    if (b.birth_place !== undefined) patch.birthPlace = b.birth_place;
    if (b.locale !== undefined) patch.locale = b.locale;
    if (b.settings !== undefined) patch.settings = { ...settingsOf(u), ...b.settings };
    const row = await users.update(u.id, patch);
    return users.presentOne(viewerOf(req), row, { origin: origin(req) });
  });

  app.get(
    '/users/me/recipient-id',
    { schema: { tags: ['users'], response: { 200: Type.Object({ account_key: Type.String() }) } } },
    async (req) => ({ account_key: `user:${me(req).id}` }),
  );

  app.get('/users/:id', { schema: { tags: ['users'], params: IdParam, response: { 200: UserSchema } } }, async (req) => {
    const target = await users.getActive(req.params.id, ctx.readDb);
    const viewer = viewerOf(req);
    if (target.id !== viewer.id && (await users.isBlockedEitherWay(viewer.id, target.id))) throw UserErrors.userNotFound();
    return users.presentOne(viewer, target, { origin: origin(req) });
  });

  const followResponse = { 200: Type.Object({ following: Type.Boolean() }) };
  app.post('/users/:id/follow', { schema: { tags: ['users'], params: IdParam, response: followResponse } }, async (req) => ({
    following: await users.follow(me(req).id, req.params.id),
  }));
  app.delete('/users/:id/follow', { schema: { tags: ['users'], params: IdParam, response: followResponse } }, async (req) => ({
    following: await users.unfollow(me(req).id, req.params.id),
  }));

  // Bare arrays (as the original), newest first, at most 200 (`page_size` lowers it); 404 across a block.
  const GraphQuery = Type.Object({ page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) });
  app.get('/users/:id/followers', { schema: { tags: ['users'], params: IdParam, querystring: GraphQuery, response: { 200: Type.Array(UserSchema) } } }, async (req) =>
    users.present(viewerOf(req), await users.followersOf(me(req).id, req.params.id, req.query.page_size), { origin: origin(req) }),
  );
  app.get('/users/:id/following', { schema: { tags: ['users'], params: IdParam, querystring: GraphQuery, response: { 200: Type.Array(UserSchema) } } }, async (req) =>
    users.present(viewerOf(req), await users.followingOf(me(req).id, req.params.id, req.query.page_size), { origin: origin(req) }),
  );

  const blockResponse = { 200: Type.Object({ blocked: Type.Boolean() }) };
  app.post('/users/:id/block', { schema: { tags: ['users'], params: IdParam, response: blockResponse } }, async (req) => {
    await users.block(me(req).id, req.params.id);
    return { blocked: true };
  });
  app.delete('/users/:id/block', { schema: { tags: ['users'], params: IdParam, response: blockResponse } }, async (req) => {
    await users.unblock(me(req).id, req.params.id);
    return { blocked: false };
  });
  const muteResponse = { 200: Type.Object({ muted: Type.Boolean() }) };
  app.post('/users/:id/mute', { schema: { tags: ['users'], params: IdParam, response: muteResponse } }, async (req) => {
    await users.mute(me(req).id, req.params.id);
    return { muted: true };
  });
  app.delete('/users/:id/mute', { schema: { tags: ['users'], params: IdParam, response: muteResponse } }, async (req) => {
    await users.unmute(me(req).id, req.params.id);
    return { muted: false };
  });
}
