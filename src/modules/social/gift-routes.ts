// gifts/: plain gifts (no coin spend), visible and editable by their sender only.
// The gift type catalogue belongs to the payments module (not built yet), so `gift_type` is stored
// as a bare id; when a payments service with `giftTypeExists(id)` appears, it is consulted.
import { and, desc, eq } from 'drizzle-orm';
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { fieldError } from '../../platform/http/errors.js';
import { clampPageSize, decodeCursor, olderThan, paginate, cursorPage } from '../../platform/http/pagination.js';
import { IdParam, Page, PageQuery } from '../../platform/http/schemas.js';
import { gifts, type GiftRow } from './schema.js';
import { author, IdLike, idOf } from './http.js';
import { SocialErrors } from './errors.js';

const GiftSchema = Type.Object({
  id: Type.Integer(),
  sender: Type.Integer(),
  receiver: Type.Integer(),
  gift_type: Type.Integer(),
  payload: Type.Object({}, { additionalProperties: true }),
  created_at: Type.String(),
});
const Payload = Type.Object({}, { additionalProperties: true, maxProperties: 50 });
const PutBody = Type.Object({ receiver: IdLike, gift_type: IdLike, payload: Type.Optional(Payload) }, { additionalProperties: false });
const PatchBody = Type.Object({ receiver: Type.Optional(IdLike), gift_type: Type.Optional(IdLike), payload: Type.Optional(Payload) }, { additionalProperties: false });

const present = (g: GiftRow) => ({ id: g.id, sender: g.senderId, receiver: g.receiverId, gift_type: g.giftTypeId, payload: g.payload, created_at: g.createdAt.toISOString() });

type GiftTypeChecker = { giftTypeExists?: (id: number) => Promise<boolean> };

export async function giftRoutes(app: App, ctx: Ctx) {
  const users = ctx.services.users;

  /** Receivers must be active and not separated from the sender by a block; all failures read the same. */
  async function checkReceiver(senderId: number, raw: number | string) {
    const id = idOf(raw);
    const u = await users.getById(id);
    if (!u || !u.isActive || (id !== senderId && (await users.isBlockedEitherWay(senderId, id)))) throw fieldError('receiver', `Invalid pk "${id}" - object does not exist.`);
    return id;
  }
  async function checkGiftType(raw: number | string) {
    const id = idOf(raw);
    const payments = (ctx.services as unknown as Record<string, GiftTypeChecker | undefined>).payments;
    if (payments?.giftTypeExists && !(await payments.giftTypeExists(id))) throw fieldError('gift_type', `Invalid pk "${id}" - object does not exist.`);
    return id;
  }
  async function own(req: FastifyRequest, id: number) {
    const [g] = await ctx.db.select().from(gifts).where(and(eq(gifts.id, id), eq(gifts.senderId, author(req).id))).limit(1);
    if (!g) throw SocialErrors.giftNotFound();
    return g;
  }

  app.get('/gifts', { schema: { tags: ['gifts'], querystring: Type.Object(PageQuery), response: { 200: Page(GiftSchema) } } }, async (req) => {
    const limit = clampPageSize(req.query.page_size);
    const rows = await ctx.db
      .select()
      .from(gifts)
      .where(and(eq(gifts.senderId, author(req).id), olderThan(gifts.createdAt, gifts.id, decodeCursor(req.query.cursor))))
      .orderBy(desc(gifts.createdAt), desc(gifts.id))
      .limit(limit + 1);
    const page = paginate(rows, limit);
    return cursorPage(req, ctx.config.publicBaseUrl, page.nextCursor, page.rows.map(present));
  });

  app.post('/gifts', { schema: { tags: ['gifts'], body: PutBody, response: { 201: GiftSchema } } }, async (req, reply) => {
    const sender = author(req).id;
    const receiverId = await checkReceiver(sender, req.body.receiver);
    const giftTypeId = await checkGiftType(req.body.gift_type);
    const [g] = await ctx.db.insert(gifts).values({ senderId: sender, receiverId, giftTypeId, payload: (req.body.payload ?? {}) as Record<string, unknown> }).returning();
    return reply.status(201).send(present(g));
  });

  app.get('/gifts/:id', { schema: { tags: ['gifts'], params: IdParam, response: { 200: GiftSchema } } }, async (req) => present(await own(req, req.params.id)));

  const update = async (req: FastifyRequest, id: number, b: { receiver?: number | string; gift_type?: number | string; payload?: object }) => {
    const g = await own(req, id);
    const patch: Partial<typeof gifts.$inferInsert> = { updatedAt: new Date() };
    if (b.receiver !== undefined) patch.receiverId = await checkReceiver(g.senderId, b.receiver);
    if (b.gift_type !== undefined) patch.giftTypeId = await checkGiftType(b.gift_type);
    if (b.payload !== undefined) patch.payload = b.payload as Record<string, unknown>;
    const [saved] = await ctx.db.update(gifts).set(patch).where(eq(gifts.id, g.id)).returning();
    return present(saved);
  };
  app.put('/gifts/:id', { schema: { tags: ['gifts'], params: IdParam, body: PutBody, response: { 200: GiftSchema } } }, async (req) => update(req, req.params.id, req.body));
  app.patch('/gifts/:id', { schema: { tags: ['gifts'], params: IdParam, body: PatchBody, response: { 200: GiftSchema } } }, async (req) => update(req, req.params.id, req.body));

  app.delete('/gifts/:id', { schema: { tags: ['gifts'], params: IdParam } }, async (req, reply) => {
    const g = await own(req, req.params.id);
    await ctx.db.delete(gifts).where(eq(gifts.id, g.id));
    return reply.status(204).send();
  });
}
