import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedTestApp, type TestApp } from '../support/app.js';
import { itServer } from '../support/server-only.js';

let t: TestApp;
beforeAll(async () => {
  t = await sharedTestApp();
});
afterAll(async () => t?.close());

const register = (body: unknown, headers?: Record<string, string>) => t.request({ method: 'POST', url: '/api/v1/auth/register/', body, headers });
const login = (body: unknown) => t.request({ method: 'POST', url: '/api/v1/auth/login/', body });

describe('register', () => {
  it('creates an account and answers with the app payload (token, refreshToken, user, message)', async () => {
    const res = await register({ email: 'Reg1@Example.com', password: 'password123', handle: 'Reg_One!', username: 'Reg_One!', name: 'Reg One' });
    expect(res.statusCode).toBe(201);
    const b = res.json();
    expect(b.message).toBe('Registration successful.');
    expect(typeof b.token).toBe('string');
    expect(typeof b.refreshToken).toBe('string');
    expect(b.user).toMatchObject({ handle: 'reg_one', email: 'Reg1@Example.com', name: 'Reg One', account_key: `user:${b.user.id}` });
    expect(Number.isSafeInteger(b.user.id)).toBe(true);
    expect(b.user.id).toBeLessThan(1e15);
    // The access token carries the original's claims.
    const claims = JSON.parse(Buffer.from(b.token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ token_type: 'access', user_id: b.user.id });
    expect(claims.jti).toMatch(/^[0-9a-f]{32}$/);
    expect(claims.exp - claims.iat).toBeGreaterThanOrEqual(7 * 86400);
  });

  it('uses fullName when name is blank, and generates a handle when none is given', async () => {
    const res = await register({ email: 'gen@example.com', password: 'password123', fullName: 'Nino Beridze' });
    expect(res.statusCode).toBe(201);
    expect(res.json().user).toMatchObject({ name: 'Nino Beridze', handle: 'nino_beridze' });
  });

  it('rejects duplicate e-mails and handles case-insensitively, leaving no partial row', async () => {
    await register({ email: 'dup@example.com', password: 'password123', handle: 'dupe', name: 'D' });
    const byEmail = await register({ email: 'DUP@EXAMPLE.COM', password: 'password123', handle: 'other', name: 'D' });
    expect(byEmail.statusCode).toBe(400);
    expect(byEmail.json()).toEqual({ email: ['user with this email already exists.'] });
    const byHandle = await register({ email: 'dup2@example.com', password: 'password123', handle: 'DUPE', name: 'D' });
    expect(byHandle.statusCode).toBe(400);
    expect(byHandle.json()).toEqual({ handle: ['Handle is already taken.'] });
    expect(await t.ctx.services.users.findByEmail('dup2@example.com')).toBeNull();
  });

  itServer('concurrent registrations of one e-mail create exactly one account', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => register({ email: 'race@example.com', password: 'password123', handle: `race${i}`, name: 'R' })));
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 400)).toHaveLength(5);
  });

  it.each([
    [{ password: 'password123', name: 'x' }, 'email', 'This field is required.'],
    [{ email: 'not-an-email', password: 'password123', name: 'x' }, 'email', 'Enter a valid email address.'],
    [{ email: 'short@example.com', password: 'short', name: 'x' }, 'password', 'Ensure this field has at least 8 characters.'],
    [{ email: 'type@example.com', password: 12345678, name: 'x' }, 'password', 'Must be a valid string.'],
    [{ email: 'long@example.com', password: 'password123', name: 'x'.repeat(121) }, 'name', 'Ensure this field has no more than 120 characters.'],
    [{ email: 'unk@example.com', password: 'password123', name: 'x', is_staff: true }, 'is_staff', 'Unknown field.'],
    [{ email: 'noname@example.com', password: 'password123' }, 'fullName', 'Please provide your full name.'],
    [{ email: 'bad@example.com', password: 'password123', name: 'x', handle: '!!!' }, 'handle', 'Handle must contain letters or numbers.'],
  ])('rejects bad input %# with a field error', async (body, field, message) => {
    const res = await register(body);
    expect(res.statusCode).toBe(400);
    expect(res.json()[field]).toContain(message);
  });

  it('ignores a stale bearer token on public endpoints', async () => {
    const res = await register({ email: 'stale@example.com', password: 'password123', name: 'S' }, { authorization: 'Bearer not.a.token' });
    expect(res.statusCode).toBe(201);
  });

  it('answers malformed JSON and oversized bodies with 4xx in the error shape', async () => {
    const bad = await t.request({ method: 'POST', url: '/api/v1/auth/register/', payload: '{"email":', headers: { 'content-type': 'application/json' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('parse_error');
    const huge = await t.request({ method: 'POST', url: '/api/v1/auth/register/', payload: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(2_000_000) }), headers: { 'content-type': 'application/json' } });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('payload_too_large');
    const wrongType = await t.request({ method: 'POST', url: '/api/v1/auth/register/', payload: '<email/>', headers: { 'content-type': 'application/xml' } });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.json().code).toBe('unsupported_media_type');
  });
});

describe('login', () => {
  it('is case-insensitive on e-mail and returns the same payload shape', async () => {
    const u = await t.user({ email: 'Login@Example.com' });
    const res = await login({ email: 'login@EXAMPLE.com', password: u.password });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ message: 'Login successful.', user: { id: u.id, email: 'Login@Example.com' } });
  });

  it('answers wrong passwords and unknown e-mails identically', async () => {
    const u = await t.user();
    const wrong = await login({ email: u.email, password: 'nope-nope' });
    const unknown = await login({ email: 'nobody@example.com', password: 'nope-nope' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toEqual({ non_field_errors: ['Invalid credentials'] });
    expect(unknown.json()).toEqual(wrong.json());
  });

  it('refuses suspended accounts, and suspension ends existing tokens at once', async () => {
    const u = await t.user();
    expect((await u.req({ url: '/api/v1/users/me/' })).statusCode).toBe(200);
    await t.ctx.services.users.setActive(u.id, false);
    const me = await u.req({ url: '/api/v1/users/me/' });
    expect(me.statusCode).toBe(401);
    expect(me.json().code).toBe('user_inactive');
    expect((await login({ email: u.email, password: u.password })).statusCode).toBe(400);
  });
});

describe('tokens', () => {
  it('refresh rotates the pair, and a rotated refresh token cannot be reused', async () => {
    const u = await t.user();
    const r1 = await t.request({ method: 'POST', url: '/api/v1/auth/refresh/', body: { refresh: u.refreshToken } });
    expect(r1.statusCode).toBe(200);
    const b1 = r1.json();
    expect(b1).toMatchObject({ message: 'Token refreshed.' });
    expect(b1.refreshToken).not.toBe(u.refreshToken);
    expect((await t.request({ url: '/api/v1/users/me/', token: b1.token })).statusCode).toBe(200);

    const reuse = await t.request({ method: 'POST', url: '/api/v1/auth/refresh/', body: { refresh: u.refreshToken } });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().code).toBe('token_not_valid');
    // Reuse is treated as theft: the whole session is revoked, including the newest tokens.
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/refresh/', body: { refresh: b1.refreshToken } })).statusCode).toBe(401);
    expect((await t.request({ url: '/api/v1/users/me/', token: b1.token })).statusCode).toBe(401);
  });

  itServer('concurrent refreshes of one token succeed once', async () => {
    const u = await t.user();
    const res = await Promise.all(Array.from({ length: 5 }, () => t.request({ method: 'POST', url: '/api/v1/auth/refresh/', body: { refresh: u.refreshToken } })));
    expect(res.filter((r) => r.statusCode === 200)).toHaveLength(1);
  });

  it('rejects wrong-type, tampered and expired tokens', async () => {
    const u = await t.user();
    const asBearer = await t.request({ url: '/api/v1/users/me/', token: u.refreshToken });
    expect(asBearer.statusCode).toBe(401);
    expect(asBearer.json().messages[0].message).toBe('Token has wrong type');
    expect(asBearer.headers['www-authenticate']).toBe('Bearer realm="api"');
    const accessAsRefresh = await t.request({ method: 'POST', url: '/api/v1/auth/refresh/', body: { refresh: u.token } });
    expect(accessAsRefresh.json()).toEqual({ detail: 'Token has wrong type', code: 'token_not_valid' });
    const [h, p] = u.token.split('.');
    const forged = `${h}.${p}.${Buffer.from('x'.repeat(32)).toString('base64url')}`;
    expect((await t.request({ url: '/api/v1/users/me/', token: forged })).statusCode).toBe(401);
    const expired = await new (await import('../../src/platform/auth/tokens.js')).TokenSigner(
      (await import('../support/app.js')).TEST_JWT_KEY,
      -10,
      60,
    ).sign('access', u.id, (JSON.parse(Buffer.from(p, 'base64url').toString()) as { sid: number }).sid);
    expect((await t.request({ url: '/api/v1/users/me/', token: expired })).statusCode).toBe(401);
    expect((await t.request({ url: '/api/v1/users/me/', headers: { authorization: 'Bearer a b' } })).json().code).toBe('bad_authorization_header');
    expect((await t.request({ url: '/api/v1/users/me/' })).json()).toEqual({ detail: 'Authentication credentials were not provided.', code: 'not_authenticated' });
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/refresh/', body: {} })).json()).toEqual({ refresh: ['This field is required.'] });
  });

  it('logout revokes the session: its access and refresh tokens stop working, other sessions live on', async () => {
    const u = await t.user();
    const other = (await login({ email: u.email, password: u.password })).json();
    const out = await u.req({ method: 'POST', url: '/api/v1/auth/logout/' });
    expect(out.statusCode).toBe(200);
    expect((await u.req({ url: '/api/v1/users/me/' })).statusCode).toBe(401);
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/refresh/', body: { refresh: u.refreshToken } })).statusCode).toBe(401);
    expect((await t.request({ url: '/api/v1/users/me/', token: other.token })).statusCode).toBe(200);
    await t.request({ method: 'POST', url: '/api/v1/auth/logout/', token: other.token, body: { all: true } });
    expect((await t.request({ url: '/api/v1/users/me/', token: other.token })).statusCode).toBe(401);
  });

  it('a password change revokes every earlier session and returns a fresh pair', async () => {
    const u = await t.user();
    const wrong = await u.req({ method: 'POST', url: '/api/v1/auth/password/', body: { old_password: 'bad-bad-bad', new_password: 'new-password-1' } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toEqual({ old_password: ['Wrong password.'] });
    const ok = await u.req({ method: 'POST', url: '/api/v1/auth/password/', body: { old_password: u.password, new_password: 'new-password-1' } });
    expect(ok.statusCode).toBe(200);
    expect((await u.req({ url: '/api/v1/users/me/' })).statusCode).toBe(401);
    expect((await t.request({ url: '/api/v1/users/me/', token: ok.json().token })).statusCode).toBe(200);
    expect((await login({ email: u.email, password: 'new-password-1' })).statusCode).toBe(200);
  });
});

describe('imported users of the original server', () => {
  it('verify with their Django pbkdf2 hash and are upgraded to argon2id on login', async () => {
    // Made outside the project (see the vectors' file), so our own hasher cannot agree with itself by mistake.
    const { DJANGO_LEGACY } = await import('../support/django-vectors.js');
    const hash = DJANGO_LEGACY.hash;
    const user = await t.ctx.services.users.createUser({ email: 'legacy@example.com', password: null, name: 'Legacy' });
    const { users } = await import('../../src/modules/users/schema.js');
    const { eq } = await import('drizzle-orm');
    await t.ctx.db.update(users).set({ password: hash }).where(eq(users.id, user.id));
    expect((await login({ email: 'legacy@example.com', password: 'wrong-pass' })).statusCode).toBe(400);
    expect((await login({ email: 'legacy@example.com', password: DJANGO_LEGACY.password })).statusCode).toBe(200);
    const [row] = await t.ctx.db.select().from(users).where(eq(users.id, user.id));
    expect(row.password.startsWith('$argon2id$')).toBe(true);
    expect((await login({ email: 'legacy@example.com', password: 'legacy-pass-1' })).statusCode).toBe(200);
  });
});

describe('logout and password change: bad input', () => {
  it('reject wrong types, unknown fields and missing auth', async () => {
    const u = await t.user();
    expect((await u.req({ method: 'POST', url: '/api/v1/auth/logout/', body: { all: 'yes' } })).json()).toHaveProperty('all');
    expect((await u.req({ method: 'POST', url: '/api/v1/auth/logout/', body: { everything: true } })).json()).toHaveProperty('everything');
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/logout/' })).statusCode).toBe(401);
    expect((await u.req({ method: 'POST', url: '/api/v1/auth/password/', body: { old_password: u.password, new_password: 'short' } })).json()).toHaveProperty('new_password');
    expect((await u.req({ method: 'POST', url: '/api/v1/auth/password/', body: { new_password: 'long-enough-1' } })).json()).toEqual({ old_password: ['This field is required.'] });
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/password/', body: { old_password: 'x', new_password: 'long-enough-1' } })).statusCode).toBe(401);
    // The session still works after all the refusals.
    expect((await u.req({ url: '/api/v1/users/me/' })).statusCode).toBe(200);
  });
});
