// matrix/*: the numerology profile (life path) and the astro-profile sync.
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import type { MatrixService, SyncInput } from './service.js';

const SignField = Type.Optional(Type.String({ minLength: 1, maxLength: 32 }));
const Json = Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Array(Type.Any())]));
const SyncBody = Type.Object({ sun: SignField, moon: SignField, ascendant: SignField, planets: Json, aspects: Json, houses: Json }, { additionalProperties: false });

const Any = Type.Any();
const Ts = Type.String();
const MatrixWire = Type.Object({ id: Type.Integer(), life_path: Type.String(), traits: Any, raw_payload: Any, created_at: Ts, updated_at: Ts });
const AstroWire = Type.Object({
  id: Type.Integer(), sun: Type.String(), moon: Type.String(), ascendant: Type.String(),
  planets: Any, aspects: Any, houses: Any, raw_payload: Any, created_at: Ts, updated_at: Ts,
});

type Row = { id: number; createdAt: Date; updatedAt: Date; rawPayload: unknown };
const stamps = (r: Row) => ({ id: r.id, raw_payload: r.rawPayload, created_at: r.createdAt.toISOString(), updated_at: r.updatedAt.toISOString() });
const presentMatrix = (r: Row & { lifePath: string; traits: unknown }) => ({ ...stamps(r), life_path: r.lifePath, traits: r.traits });

export async function matrixRoutes(app: App, _ctx: Ctx, matrix: MatrixService) {
  app.get('/matrix/profile', { schema: { tags: ['matrix'], response: { 200: Type.Object({ astro: AstroWire, matrix: MatrixWire }) } } }, async (req) => {
    const { astro, data } = await matrix.profile(req.user!.id);
    return {
      astro: { ...stamps(astro), sun: astro.sun, moon: astro.moon, ascendant: astro.ascendant, planets: astro.planets, aspects: astro.aspects, houses: astro.houses },
      matrix: presentMatrix(data),
    };
  });

  app.post<{ Body: SyncInput }>('/matrix/sync', { schema: { tags: ['matrix'], body: SyncBody, response: { 200: MatrixWire } } }, async (req) =>
    presentMatrix(await matrix.sync(req.user!.id, req.body ?? {})),
  );
}
