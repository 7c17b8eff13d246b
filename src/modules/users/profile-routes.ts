// me/profile/ (the personal map that drives onboarding) and profile/me/ (dating/profile settings).
import { USER_EVENTS } from './service.js';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { ApiError, fieldError, fieldErrors } from '../../platform/http/errors.js';
import { originOf } from '../../platform/http/pagination.js';
import { DateString, isRealDate, TimeString } from '../../platform/http/schemas.js';
import { sniffMedia } from '../../platform/storage/sniff.js';
import { personalMaps, userProfiles, type UserRow } from './schema.js';
import { settingsOf } from './present.js';
import { me } from './present.js';

const Str120 = Type.String({ maxLength: 120 });
const Lat = Type.Union([Type.Number({ minimum: -90, maximum: 90 }), Type.Null()]);
const Lon = Type.Union([Type.Number({ minimum: -180, maximum: 180 }), Type.Null()]);
// DD/MM/YYYY is accepted too, as the original did.
const BirthDate = Type.Union([DateString, Type.String({ pattern: '^\\d{2}/\\d{2}/\\d{4}$' })]);

const PersonalMapBody = (required: boolean) => {
  const f = {
    first_name: Str120,
    last_name: Str120,
    birth_date: BirthDate,
    birth_place_country: Str120,
    birth_place_city: Str120,
  };
  const opt = {
    birth_time: Type.Optional(Type.Union([TimeString, Type.Null(), Type.Literal('')])),
    birth_latitude: Type.Optional(Lat),
    birth_longitude: Type.Optional(Lon),
  };
  return required
    ? Type.Object({ ...f, ...opt }, { additionalProperties: false })
    : Type.Object(
        {
          first_name: Type.Optional(Str120),
          last_name: Type.Optional(Str120),
          birth_date: Type.Optional(BirthDate),
          birth_place_country: Type.Optional(Str120),
          birth_place_city: Type.Optional(Str120),
          ...opt,
        },
        { additionalProperties: false },
      );
};

const PersonalMapSchema = Type.Object({
  email: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  birth_date: Type.Union([Type.String(), Type.Null()]),
  birth_time: Type.Union([Type.String(), Type.Null()]),
  birth_place_country: Type.String(),
  birth_place_city: Type.String(),
  birth_latitude: Type.Union([Type.Number(), Type.Null()]),
  birth_longitude: Type.Union([Type.Number(), Type.Null()]),
  avatar_image: Type.Union([Type.String(), Type.Null()]),
  is_complete: Type.Boolean(),
});

const choice = (values: string[]) => Type.Union(['', ...values].map((v) => Type.Literal(v)));
const StrList = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32 });

const ProfileFields = {
  gender: choice(['male', 'female', 'non_binary', 'other', 'prefer_not_to_say']),
  orientation: choice(['hetero', 'homo', 'bi', 'pan', 'asexual', 'other', 'prefer_not_to_say']),
  relationship_goal: Type.Union(['casual', 'long_term', 'marriage', 'unsure'].map((v) => Type.Literal(v))),
  values: StrList,
  preferred_lifestyle: StrList,
  attachment_style: choice(['secure', 'anxious', 'avoidant', 'mixed']),
  love_language: StrList,
  birth_date: Type.Union([DateString, Type.Null()]),
  birth_time: Type.Union([TimeString, Type.Null()]),
  birth_city: Type.String({ maxLength: 128 }),
  birth_country: Type.String({ maxLength: 128 }),
  birth_timezone: Type.String({ maxLength: 64 }),
  birth_latitude: Lat,
  birth_longitude: Lon,
};

const ProfileSchema = Type.Object({
  gender: Type.String(),
  orientation: Type.String(),
  relationship_goal: Type.String(),
  values: Type.Array(Type.String()),
  preferred_lifestyle: Type.Array(Type.String()),
  attachment_style: Type.String(),
  love_language: Type.Array(Type.String()),
  birth_date: Type.Union([Type.String(), Type.Null()]),
  birth_time: Type.Union([Type.String(), Type.Null()]),
  birth_city: Type.String(),
  birth_country: Type.String(),
  birth_timezone: Type.String(),
  birth_latitude: Type.Union([Type.Number(), Type.Null()]),
  birth_longitude: Type.Union([Type.Number(), Type.Null()]),
  language: Type.String(),
});

const ProfilePatch = Type.Object(
  {
    ...Object.fromEntries(Object.entries(ProfileFields).map(([k, v]) => [k, Type.Optional(v)])),
    language: Type.Optional(Type.String({ pattern: '^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$' })),
  } as Record<string, ReturnType<typeof Type.Optional>>,
  { additionalProperties: false },
);

function toIsoDate(s: string): string {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(s);
  return m ? `${m[3]}-${m[2]}-${m[1]}` : s;
}

export async function profileRoutes(app: App, ctx: Ctx) {
  const users = ctx.services.users;
  type PM = typeof personalMaps.$inferSelect;

  async function avatarUrl(req: FastifyRequest, key: string | null) {
    if (!key) return null;
    return users.photoUrl(`storage:${key}`, originOf(req, ctx.config.publicBaseUrl));
  }

  async function presentMap(req: FastifyRequest, user: UserRow, pm: PM | undefined) {
    const m = pm ?? null;
    const isComplete = Boolean(m && m.firstName && m.lastName && m.birthDate && m.birthPlaceCountry && m.birthPlaceCity);
    return {
      email: user.email,
      first_name: m?.firstName ?? '',
      last_name: m?.lastName ?? '',
      birth_date: m?.birthDate ?? null,
      birth_time: m?.birthTime ?? null,
      birth_place_country: m?.birthPlaceCountry ?? '',
      birth_place_city: m?.birthPlaceCity ?? '',
      birth_latitude: m?.birthLatitude ?? null,
      birth_longitude: m?.birthLongitude ?? null,
      avatar_image: await avatarUrl(req, m?.avatarKey ?? null),
      is_complete: isComplete,
    };
  }

  const getMap = async (userId: number) => (await ctx.db.select().from(personalMaps).where(eq(personalMaps.userId, userId)).limit(1))[0];

  async function saveMap(req: FastifyRequest, full: boolean) {
    const user = me(req);
    const b = (req.body ?? {}) as Record<string, any>;
    const errors: Record<string, string[]> = {};
    if (full) for (const k of ['first_name', 'last_name', 'birth_place_country', 'birth_place_city']) if (!String(b[k] ?? '').trim()) errors[k] = ['This field may not be blank.'];
    const birthDate = b.birth_date !== undefined ? toIsoDate(String(b.birth_date)) : undefined;
    if (birthDate !== undefined && !isRealDate(birthDate)) errors.birth_date = ['Date has wrong format. Use one of these formats instead: YYYY-MM-DD, DD/MM/YYYY.'];
    const avatar = req.uploads.find((f) => f.field === 'avatar_image');
    const unknownFile = req.uploads.find((f) => f.field !== 'avatar_image');
    if (unknownFile) errors[unknownFile.field] = ['Unknown field.'];
    const sniffed = avatar ? sniffMedia(avatar.head) : null;
    if (avatar && sniffed?.kind !== 'image') errors.avatar_image = ['Upload a valid image. The file you uploaded was either not an image or a corrupted image.'];
    if (Object.keys(errors).length) throw fieldErrors(errors);

    const patch: Partial<typeof personalMaps.$inferInsert> = { updatedAt: new Date() };
    if (b.first_name !== undefined) patch.firstName = String(b.first_name).trim();
    if (b.last_name !== undefined) patch.lastName = String(b.last_name).trim();
    if (birthDate !== undefined) patch.birthDate = birthDate;
    if (b.birth_time !== undefined) patch.birthTime = b.birth_time === '' ? null : b.birth_time;
    if (b.birth_place_country !== undefined) patch.birthPlaceCountry = String(b.birth_place_country).trim();
    if (b.birth_place_city !== undefined) patch.birthPlaceCity = String(b.birth_place_city).trim();
    if (b.birth_latitude !== undefined) patch.birthLatitude = b.birth_latitude;
    if (b.birth_longitude !== undefined) patch.birthLongitude = b.birth_longitude;

    const previous = await getMap(user.id);
    let newKey: string | null = null;
    if (avatar && sniffed) {
      newKey = `avatars/${user.id}/${randomBytes(8).toString('hex')}.${sniffed.ext}`;
      await ctx.storage.put(newKey, avatar, sniffed.mime);
      patch.avatarKey = newKey;
    }
    const saved = await ctx.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(personalMaps)
        .values({ userId: user.id, ...patch })
        .onConflictDoUpdate({ target: personalMaps.userId, set: patch })
        .returning();
      // Mirror the personal map into the account, as the app reads name/birth data/photo from users/me/.
      const userPatch: Partial<typeof import('./schema.js').users.$inferInsert> = { birthTime: row.birthTime };
      const fullName = `${row.firstName} ${row.lastName}`.trim();
      if (fullName) userPatch.name = fullName.slice(0, 120);
      if (row.birthDate) userPatch.birthDate = row.birthDate;
      const place = [row.birthPlaceCity, row.birthPlaceCountry].filter(Boolean).join(', ');
      if (place) userPatch.birthPlace = place.slice(0, 255);
      if (row.avatarKey) userPatch.photo = `storage:${row.avatarKey}`;
      const updated = await users.update(user.id, userPatch, tx);
      return { row, updated };
    });
    // users.update inside our transaction leaves the event to us: search and others re-read the row.
    await ctx.events.emit(USER_EVENTS.updated, { userId: user.id });
    if (newKey && previous?.avatarKey) await ctx.storage.delete(previous.avatarKey).catch(() => undefined);
    return presentMap(req, saved.updated, saved.row);
  }

  const mapConfig = { multipart: { fileSize: ctx.config.http.uploadMaxBytes, files: 1 } };
  app.get('/me/profile', { schema: { tags: ['profile'], response: { 200: PersonalMapSchema } } }, async (req) => {
    const user = me(req);
    return presentMap(req, user, await getMap(user.id));
  });
  app.patch('/me/profile', { config: mapConfig, schema: { tags: ['profile'], body: PersonalMapBody(false), consumes: ['application/json', 'multipart/form-data'], response: { 200: PersonalMapSchema } } }, async (req) => saveMap(req, false));
  app.put('/me/profile', { config: mapConfig, schema: { tags: ['profile'], body: PersonalMapBody(true), consumes: ['application/json', 'multipart/form-data'], response: { 200: PersonalMapSchema } } }, async (req) => saveMap(req, true));

  type Profile = typeof userProfiles.$inferSelect;
  const presentProfile = (p: Profile | undefined, user: UserRow) => ({
    gender: p?.gender ?? '',
    orientation: p?.orientation ?? '',
    relationship_goal: p?.relationshipGoal ?? 'unsure',
    values: p?.values ?? [],
    preferred_lifestyle: p?.preferredLifestyle ?? [],
    attachment_style: p?.attachmentStyle ?? '',
    love_language: p?.loveLanguage ?? [],
    birth_date: p?.birthDate ?? null,
    birth_time: p?.birthTime ?? null,
    birth_city: p?.birthCity ?? '',
    birth_country: p?.birthCountry ?? '',
    birth_timezone: p?.birthTimezone ?? '',
    birth_latitude: p?.birthLatitude ?? null,
    birth_longitude: p?.birthLongitude ?? null,
    language: settingsOf(user).language,
  });
  const isEmpty = (p: Profile | undefined) =>
    !p ||
    (!p.gender && !p.orientation && p.relationshipGoal === 'unsure' && !p.values.length && !p.preferredLifestyle.length && !p.attachmentStyle && !p.loveLanguage.length &&
      !p.birthDate && !p.birthTime && !p.birthCity && !p.birthCountry && !p.birthTimezone && p.birthLatitude === null && p.birthLongitude === null);
  const getProfile = async (userId: number) => (await ctx.db.select().from(userProfiles).where(eq(userProfiles.userId, userId)).limit(1))[0];

  app.get('/profile/me', { schema: { tags: ['profile'], response: { 200: ProfileSchema } } }, async (req) => {
    const user = me(req);
    return presentProfile(await getProfile(user.id), user);
  });

  app.patch('/profile/me', { schema: { tags: ['profile'], body: ProfilePatch, response: { 200: ProfileSchema, 201: ProfileSchema } } }, async (req, reply) => {
    let user = me(req);
    const b = req.body as Record<string, any>;
    if (typeof b.birth_date === 'string' && !isRealDate(b.birth_date)) throw fieldError('birth_date', 'Date has wrong format. Use YYYY-MM-DD.');
    const map: Record<string, keyof Profile> = {
      gender: 'gender', orientation: 'orientation', relationship_goal: 'relationshipGoal', values: 'values', preferred_lifestyle: 'preferredLifestyle',
      attachment_style: 'attachmentStyle', love_language: 'loveLanguage', birth_date: 'birthDate', birth_time: 'birthTime', birth_city: 'birthCity',
      birth_country: 'birthCountry', birth_timezone: 'birthTimezone', birth_latitude: 'birthLatitude', birth_longitude: 'birthLongitude',
    };
    const patch: Record<string, unknown> = { updatedAt: new Date() };
    for (const [k, col] of Object.entries(map)) if (b[k] !== undefined) patch[col] = b[k];
    const before = await getProfile(user.id);
    const [row] = await ctx.db
      .insert(userProfiles)
      .values({ userId: user.id, ...patch })
      .onConflictDoUpdate({ target: userProfiles.userId, set: patch })
      .returning();
    if (b.language !== undefined) user = await users.update(user.id, { settings: { ...settingsOf(user), language: b.language } });
    if (!row) throw new ApiError(500, { detail: 'Profile was not saved.' });
    return reply.status(isEmpty(before) ? 201 : 200).send(presentProfile(row, user));
  });
}
