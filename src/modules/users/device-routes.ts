// devices/: push tokens, owner-only. A token lives on one account: registering it again moves it.
import { and, desc, eq } from 'drizzle-orm';
import { Type } from 'typebox';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { clampPageSize, decodeCursor, olderThan, paginate, cursorPage } from '../../platform/http/pagination.js';
import { IdParam, Page, PageQuery } from '../../platform/http/schemas.js';
import { devices } from './schema.js';
import { me } from './present.js';
import { UserErrors } from './errors.js';

const DeviceSchema = Type.Object({ id: Type.Integer(), device_type: Type.String(), push_token: Type.String(), last_seen: Type.String(), created_at: Type.String() });
const DeviceType = Type.String({ minLength: 1, maxLength: 32 });
const PushToken = Type.String({ minLength: 1, maxLength: 255 });

type Row = typeof devices.$inferSelect;
const present = (d: Row) => ({ id: d.id, device_type: d.deviceType, push_token: d.pushToken, last_seen: d.lastSeen.toISOString(), created_at: d.createdAt.toISOString() });

export async function deviceRoutes(app: App, ctx: Ctx) {
  const own = async (userId: number, id: number) => {
    const [d] = await ctx.db.select().from(devices).where(and(eq(devices.id, id), eq(devices.userId, userId))).limit(1);
    if (!d) throw UserErrors.deviceNotFound();
    return d;
  };

  app.get('/devices', { schema: { tags: ['devices'], querystring: Type.Object(PageQuery), response: { 200: Page(DeviceSchema) } } }, async (req) => {
    const user = me(req);
    const limit = clampPageSize(req.query.page_size);
    const rows = await ctx.db
      .select()
      .from(devices)
      .where(and(eq(devices.userId, user.id), olderThan(devices.createdAt, devices.id, decodeCursor(req.query.cursor))))
      .orderBy(desc(devices.createdAt), desc(devices.id))
      .limit(limit + 1);
    const page = paginate(rows, limit);
    return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, page.rows.map(present));
  });

  app.post(
    '/devices',
    { schema: { tags: ['devices'], body: Type.Object({ device_type: DeviceType, push_token: PushToken }, { additionalProperties: false }), response: { 200: DeviceSchema, 201: DeviceSchema } } },
    async (req, reply) => {
      const user = me(req);
      const [existing] = await ctx.db.select().from(devices).where(eq(devices.pushToken, req.body.push_token)).limit(1);
      const [row] = await ctx.db
        .insert(devices)
        .values({ userId: user.id, deviceType: req.body.device_type, pushToken: req.body.push_token })
        .onConflictDoUpdate({ target: devices.pushToken, set: { userId: user.id, deviceType: req.body.device_type, lastSeen: new Date() } })
        .returning();
      return reply.status(existing?.userId === user.id ? 200 : 201).send(present(row));
    },
  );

  app.get('/devices/:id', { schema: { tags: ['devices'], params: IdParam, response: { 200: DeviceSchema } } }, async (req) => present(await own(me(req).id, req.params.id)));

  const update = async (userId: number, id: number, patch: { device_type?: string; push_token?: string }) => {
    await own(userId, id);
    const [row] = await ctx.db
      .update(devices)
      .set({ ...(patch.device_type !== undefined && { deviceType: patch.device_type }), ...(patch.push_token !== undefined && { pushToken: patch.push_token }), lastSeen: new Date() })
      .where(eq(devices.id, id))
      .returning();
    return present(row);
  };
  app.put(
    '/devices/:id',
    { schema: { tags: ['devices'], params: IdParam, body: Type.Object({ device_type: DeviceType, push_token: PushToken }, { additionalProperties: false }), response: { 200: DeviceSchema } } },
    async (req) => update(me(req).id, req.params.id, req.body),
  );
  app.patch(
    '/devices/:id',
    {
      schema: {
        tags: ['devices'],
        params: IdParam,
        body: Type.Object({ device_type: Type.Optional(DeviceType), push_token: Type.Optional(PushToken) }, { additionalProperties: false }),
        response: { 200: DeviceSchema },
      },
    },
    async (req) => update(me(req).id, req.params.id, req.body),
  );
  app.delete('/devices/:id', { schema: { tags: ['devices'], params: IdParam } }, async (req, reply) => {
    const user = me(req);
    await own(user.id, req.params.id);
    await ctx.db.delete(devices).where(eq(devices.id, req.params.id));
    return reply.status(204).send();
  });
}
