import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { sharedTestApp, type TestApp, type TestUser } from '../support/app.js';
import { users } from '../../src/modules/users/schema.js';
import { commands } from '../../src/commands/index.js';
import { canonicalJson } from '../../src/modules/audit/hash.js';
import { itServer } from '../support/server-only.js';

let t: TestApp;
let staff: TestUser;
let plain: TestUser;

beforeAll(async () => {
  t = await sharedTestApp();
  staff = await t.user();
  plain = await t.user();
  await t.ctx.db.update(users).set({ isStaff: true }).where(eq(users.id, staff.id));
});
afterAll(async () => t?.close());

const record = (action: string, metadata: Record<string, unknown> = {}) =>
  t.ctx.services.audit.record({ actorId: staff.id, actorIp: '10.0.0.1', action, objectType: 'thing', objectId: 42, metadata });

describe('audit hash chain', () => {
  it('links each event to the previous one and lists newest first for staff', async () => {
    const a = await record('test.first', { b: 2, a: [1, { z: 1, y: 2 }] });
    const b = await record('test.second');
    expect(b.hashPrev).toBe(a.hashSelf);
    expect(a.hashSelf).toMatch(/^[0-9a-f]{64}$/);
    const res = await staff.req({ url: '/api/v1/audit/events/' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ next: null, previous: null });
    expect(body.results.slice(0, 2).map((e: { id: string }) => e.id)).toEqual([b.id, a.id]);
    expect(body.results[1]).toEqual({
      id: a.id,
      created_at: a.createdAt.toISOString(),
      actor_user: staff.id,
      actor_ip: '10.0.0.1',
      action: 'test.first',
      object_type: 'thing',
      object_id: '42',
      metadata: { b: 2, a: [1, { z: 1, y: 2 }] },
      hash_prev: a.hashPrev,
      hash_self: a.hashSelf,
    });
  });

  it('canonical JSON sorts keys at every depth and is compact', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null } })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
  });

  itServer('20 concurrent appends produce one unbroken chain', async () => {
    const before = await t.ctx.services.audit.verify();
    expect(before.ok).toBe(true);
    const rows = await Promise.all(Array.from({ length: 20 }, (_, i) => record('test.parallel', { i })));
    expect(new Set(rows.map((r) => r.hashPrev)).size).toBe(20);
    const after = await t.ctx.services.audit.verify();
    expect(after).toEqual({ ok: true, checked: before.checked + 20, broken: null });
  });

  it('rows cannot be updated or deleted', async () => {
    const e = await record('test.immutable');
    await expect(t.ctx.db.execute(sql`update audit_events set action = 'x' where id = ${e.id}`)).rejects.toThrow();
    await expect(t.ctx.db.execute(sql`delete from audit_events where id = ${e.id}`)).rejects.toThrow();
    expect((await t.ctx.services.audit.getById(e.id))?.action).toBe('test.immutable');
  });
});

describe('GET audit/events/', () => {
  it('is staff-only: 401 anonymous, 403 for other users', async () => {
    expect((await t.request({ url: '/api/v1/audit/events/' })).statusCode).toBe(401);
    expect((await plain.req({ url: '/api/v1/audit/events/' })).statusCode).toBe(403);
    const e = await record('test.hidden');
    expect((await plain.req({ url: `/api/v1/audit/events/${e.id}/` })).statusCode).toBe(403);
  });

  it('pages with a cursor through every event exactly once', async () => {
    const total = (await t.ctx.services.audit.verify()).checked;
    const seen = new Set<string>();
    let url: string | null = '/api/v1/audit/events/?page_size=7';
    while (url) {
      const res = await staff.req({ url: url.replace(/^https?:\/\/[^/]+/, '') });
      expect(res.statusCode).toBe(200);
      for (const e of res.json().results) {
        expect(seen.has(e.id)).toBe(false);
        seen.add(e.id);
      }
      url = res.json().next;
    }
    expect(seen.size).toBe(total);
  });

  it.each(['cursor=nope', 'page_size=-1', 'page_size=x'])('rejects %s with 400', async (q) => {
    expect((await staff.req({ url: `/api/v1/audit/events/?${q}` })).statusCode).toBe(400);
  });

  it('GET {id}: 200 by UUID; unknown UUID and non-UUIDs are 404, never 500', async () => {
    const e = await record('test.one');
    const ok = await staff.req({ url: `/api/v1/audit/events/${e.id}/` });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().action).toBe('test.one');
    for (const id of ['00000000-0000-4000-8000-000000000000', '123', 'not-a-uuid', "1' or '1'='1"]) {
      const res = await staff.req({ url: `/api/v1/audit/events/${encodeURIComponent(id)}/` });
      expect(res.statusCode).toBe(404);
    }
  });
});

describe('verify-audit command', () => {
  it('reports an intact chain, then the first broken link after tampering', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await commands['verify-audit'].run(t.ctx, [])).toBe(0);
      expect(log.mock.calls.flat().join(' ')).toMatch(/audit chain ok: \d+ events verified/);

      const victim = await record('test.victim', { amount: 1 });
      await record('test.after');
      // Simulate tampering below the application (the trigger has to be bypassed on purpose).
      await t.ctx.db.transaction(async (tx) => {
        await tx.execute(sql`alter table audit_events disable trigger audit_events_no_change`);
        await tx.execute(sql`update audit_events set metadata = '{"amount": 1000}'::jsonb where id = ${victim.id}`);
        await tx.execute(sql`alter table audit_events enable trigger audit_events_no_change`);
      });
      expect(await commands['verify-audit'].run(t.ctx, [])).toBe(1);
      expect(err.mock.calls.flat().join(' ')).toContain(`audit chain broken at event ${victim.id}`);
      const r = await t.ctx.services.audit.verify();
      expect(r.broken).toEqual({ id: victim.id, seq: victim.seq, reason: 'hash_self_mismatch' });
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  });
});
