import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { multipart, PNG } from '../support/multipart.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ UPLOAD_MAX_BYTES: '65536' });
});
afterAll(async () => t?.close());

describe('me/profile (personal map)', () => {
  it('starts incomplete with defaults, then onboarding completes it and mirrors it into users/me', async () => {
    const u = await t.user();
    const empty = await u.req({ url: '/api/v1/me/profile/' });
    expect(empty.json()).toEqual({
      email: u.email, first_name: '', last_name: '', birth_date: null, birth_time: null, birth_place_country: '', birth_place_city: '',
      birth_latitude: null, birth_longitude: null, avatar_image: null, is_complete: false,
    });
    const body = { first_name: 'Nino', last_name: 'Beridze', birth_date: '1994-05-17', birth_time: '14:20', birth_place_country: 'Georgia', birth_place_city: 'Tbilisi' };
    const res = await u.req({ method: 'PATCH', url: '/api/v1/me/profile/', body });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ...body, birth_time: '14:20:00', is_complete: true });
    const me = (await u.req({ url: '/api/v1/users/me/' })).json();
    expect(me).toMatchObject({ name: 'Nino Beridze', birth_date: '1994-05-17', birth_time: '14:20:00', birth_place: 'Tbilisi, Georgia' });
  });

  it('can be created by PATCH without a birth date (the original answered 500)', async () => {
    const u = await t.user();
    const res = await u.req({ method: 'PATCH', url: '/api/v1/me/profile/', body: { first_name: 'Only' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ first_name: 'Only', is_complete: false });
  });

  it('accepts DD/MM/YYYY and rejects impossible dates, bad coordinates and unknown fields', async () => {
    const u = await t.user();
    expect((await u.req({ method: 'PATCH', url: '/api/v1/me/profile/', body: { birth_date: '17/05/1994' } })).json().birth_date).toBe('1994-05-17');
    for (const [body, field] of [
      [{ birth_date: '1994-02-30' }, 'birth_date'],
      [{ birth_latitude: 91 }, 'birth_latitude'],
      [{ birth_longitude: 'east' }, 'birth_longitude'],
      [{ first_name: 'x'.repeat(121) }, 'first_name'],
      [{ nickname: 'x' }, 'nickname'],
      [{ birth_time: '7pm' }, 'birth_time'],
    ] as const) {
      const r = await u.req({ method: 'PATCH', url: '/api/v1/me/profile/', body });
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(Object.keys(r.json())).toContain(field);
    }
  });

  it('PUT requires every field', async () => {
    const u = await t.user();
    const r = await u.req({ method: 'PUT', url: '/api/v1/me/profile/', body: { first_name: 'A', last_name: '', birth_date: '2000-01-01', birth_place_country: 'X' } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toHaveProperty('birth_place_city');
  });

  it('takes an avatar upload (multipart), checks the bytes, and users/me shows the new photo', async () => {
    const u = await t.user();
    const form = multipart({ avatar_image: { filename: 'me.jpg', contentType: 'image/jpeg', data: PNG }, birth_place_city: 'Batumi' });
    const res = await t.request({ method: 'PATCH', url: '/api/v1/me/profile/', token: u.token, payload: form.payload, headers: form.headers });
    expect(res.statusCode).toBe(200);
    const url: string = res.json().avatar_image;
    expect(url).toMatch(/^http:\/\/localhost(:\d+)?\/media\/avatars\/\d+\/[0-9a-f]+\.png$/);
    expect(res.json().birth_place_city).toBe('Batumi');
    const photo = (await u.req({ url: '/api/v1/users/me/' })).json().photo;
    expect(photo).toBe(url);
    const key = new URL(url).pathname.replace('/media/', '');
    expect(fs.existsSync(path.join(t.ctx.config.storage.mediaDir, key))).toBe(true);
    const served = await t.request({ url: new URL(url).pathname });
    expect(served.statusCode).toBe(200);
    expect(served.rawPayload.equals(PNG)).toBe(true);
  });

  it('rejects a non-image avatar whatever its name says, and oversize uploads', async () => {
    const u = await t.user();
    const fake = multipart({ avatar_image: { filename: 'me.png', contentType: 'image/png', data: Buffer.from('<?php echo "hi"; ?> not an image at all') } });
    const r1 = await t.request({ method: 'PATCH', url: '/api/v1/me/profile/', token: u.token, payload: fake.payload, headers: fake.headers });
    expect(r1.statusCode).toBe(400);
    expect(r1.json()).toHaveProperty('avatar_image');
    const big = multipart({ avatar_image: { filename: 'big.png', contentType: 'image/png', data: Buffer.concat([PNG, Buffer.alloc(70_000)]) } });
    const r2 = await t.request({ method: 'PATCH', url: '/api/v1/me/profile/', token: u.token, payload: big.payload, headers: big.headers });
    expect(r2.statusCode).toBe(413);
    expect((await u.req({ url: '/api/v1/me/profile/' })).json().avatar_image).toBeNull();
  });

  it('refuses multipart where no upload is expected', async () => {
    const u = await t.user();
    const form = multipart({ name: 'x' });
    const r = await t.request({ method: 'PATCH', url: '/api/v1/users/me/', token: u.token, payload: form.payload, headers: form.headers });
    expect(r.statusCode).toBe(415);
  });
});

describe('profile/me (profile settings)', () => {
  it('returns defaults, answers 201 on the first real save and 200 afterwards', async () => {
    const u = await t.user();
    expect((await u.req({ url: '/api/v1/profile/me/' })).json()).toMatchObject({ relationship_goal: 'unsure', values: [], gender: '', language: 'en' });
    const body = { language: 'ru', gender: 'female', orientation: 'hetero', relationship_goal: 'long_term', values: ['growth', 'family'], preferred_lifestyle: ['travel'], attachment_style: 'secure', love_language: ['words'] };
    const first = await u.req({ method: 'PATCH', url: '/api/v1/profile/me/', body });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject(body);
    const second = await u.req({ method: 'PATCH', url: '/api/v1/profile/me/', body: { gender: 'other' } });
    expect(second.statusCode).toBe(200);
    expect((await u.req({ url: '/api/v1/users/me/' })).json().settings.language).toBe('ru');
  });

  it('rejects bad choices, non-list values and over-long lists', async () => {
    const u = await t.user();
    for (const [body, field] of [
      [{ gender: 'robot' }, 'gender'],
      [{ values: 'growth' }, 'values'],
      [{ values: Array.from({ length: 33 }, (_, i) => `v${i}`) }, 'values'],
      [{ birth_latitude: -100 }, 'birth_latitude'],
      [{ relationship_goal: '' }, 'relationship_goal'],
    ] as const) {
      const r = await u.req({ method: 'PATCH', url: '/api/v1/profile/me/', body });
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(Object.keys(r.json())).toContain(field);
    }
    expect((await u.req({ method: 'PUT', url: '/api/v1/profile/me/', body: {} })).statusCode).toBe(404);
  });
});

describe('devices', () => {
  it('registers, lists, updates and deletes own devices; a token moves to its latest owner', async () => {
    const a = await t.user();
    const b = await t.user();
    const created = await a.req({ method: 'POST', url: '/api/v1/devices/', body: { device_type: 'ios', push_token: 'tok-1' } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    expect((await a.req({ method: 'POST', url: '/api/v1/devices/', body: { device_type: 'ios', push_token: 'tok-1' } })).statusCode).toBe(200);
    expect((await a.req({ url: '/api/v1/devices/' })).json().results).toHaveLength(1);
    expect((await a.req({ method: 'PATCH', url: `/api/v1/devices/${id}/`, body: { device_type: 'android' } })).json().device_type).toBe('android');
    expect((await b.req({ url: `/api/v1/devices/${id}/` })).statusCode).toBe(404);
    expect((await b.req({ method: 'DELETE', url: `/api/v1/devices/${id}/` })).statusCode).toBe(404);
    expect((await b.req({ method: 'PUT', url: `/api/v1/devices/${id}/`, body: { device_type: 'x', push_token: 'y' } })).statusCode).toBe(404);
    // The same physical device signs in as b: the token moves.
    expect((await b.req({ method: 'POST', url: '/api/v1/devices/', body: { device_type: 'ios', push_token: 'tok-1' } })).statusCode).toBe(201);
    expect((await a.req({ url: '/api/v1/devices/' })).json().results).toHaveLength(0);
    const bid = (await b.req({ url: '/api/v1/devices/' })).json().results[0].id;
    expect((await b.req({ method: 'DELETE', url: `/api/v1/devices/${bid}/` })).statusCode).toBe(204);
  });

  it('rejects bad input', async () => {
    const a = await t.user();
    expect((await a.req({ method: 'POST', url: '/api/v1/devices/', body: { device_type: 'ios' } })).json()).toEqual({ push_token: ['This field is required.'] });
    expect((await a.req({ method: 'POST', url: '/api/v1/devices/', body: { device_type: 'x'.repeat(33), push_token: 't' } })).statusCode).toBe(400);
    expect((await a.req({ method: 'PUT', url: '/api/v1/devices/1/', body: { device_type: 'ios' } })).statusCode).toBe(400);
    expect((await a.req({ url: '/api/v1/devices/0/' })).statusCode).toBe(400);
  });
});
