// Social login against a local fake provider: Google ID tokens signed with locally made keys and
// served through a JWKS endpoint; GitHub and Facebook code/token exchanges.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, sharedTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let server: http.Server;
let base: string;
let signKey: CryptoKey;
/** What the fake JWKS endpoint serves (a test swaps it to model another provider at the same URL). */
let servedKeys: object[] = [];
const CLIENT = 'selflink-test.apps.example';

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  signKey = privateKey as CryptoKey;
  servedKeys = [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }];
  server = http.createServer((req, res) => {
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url!, 'http://x');
    const auth = req.headers.authorization;
    if (url.pathname === '/jwks') return json(200, { keys: servedKeys });
    if (url.pathname === '/github/token') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => (JSON.parse(body).code === 'good-code' ? json(200, { access_token: 'gh-token' }) : json(200, { error: 'bad_verification_code' })));
      return;
    }
    if (url.pathname === '/github/user') return auth === 'Bearer gh-token' ? json(200, { id: 4242, login: 'octo', name: 'Octo Cat' }) : json(401, { message: 'Bad credentials' });
    if (url.pathname === '/github/user/emails') return json(200, [{ email: 'octo@example.com', primary: true, verified: true }]);
    if (url.pathname === '/fb/me') return url.searchParams.get('access_token') === 'fb-token' && url.searchParams.get('appsecret_proof') ? json(200, { id: '777', name: 'Face Book', email: 'fb@example.com' }) : json(400, { error: {} });
    json(404, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t = await createTestApp({
    GOOGLE_CLIENT_IDS: CLIENT,
    GOOGLE_JWKS_URL: `${base}/jwks`,
    GITHUB_CLIENT_ID: 'gh-client',
    GITHUB_CLIENT_SECRET: 'gh-secret',
    GITHUB_TOKEN_URL: `${base}/github/token`,
    GITHUB_API_URL: `${base}/github`,
    FACEBOOK_APP_ID: 'fb-app',
    FACEBOOK_APP_SECRET: 'fb-secret',
    FACEBOOK_GRAPH_URL: `${base}/fb`,
  });
});
afterAll(async () => {
  await t?.close();
  server?.close();
});

const googleToken = (claims: Record<string, unknown>, opts: { aud?: string; iss?: string; exp?: number; key?: CryptoKey } = {}) =>
  new SignJWT({ email_verified: true, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(opts.iss ?? 'https://accounts.google.com')
    .setAudience(opts.aud ?? CLIENT)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 600)
    .sign(opts.key ?? signKey);

const callback = (provider: string, body: unknown) => t.request({ method: 'POST', url: `/api/v1/auth/social/${provider}/callback/`, body });

describe('social login', () => {
  it('Google: a valid ID token creates the account once and logs it in again later', async () => {
    const tok = await googleToken({ sub: 'g-1', email: 'gina@example.com', name: 'Gina Google' });
    const first = await callback('google', { id_token: tok });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ message: 'Social login successful.', user: { email: 'gina@example.com', name: 'Gina Google', handle: 'gina_google' } });
    const again = await callback('google', { id_token: await googleToken({ sub: 'g-1', email: 'gina@example.com' }) });
    expect(again.json().user.id).toBe(first.json().user.id);
    expect((await t.request({ url: '/api/v1/users/me/', token: again.json().token })).statusCode).toBe(200);
  });

  it('Google: links to an existing account only when the e-mail is verified', async () => {
    const u = await t.user({ email: 'linkme@example.com' });
    const unverified = await callback('google', { id_token: await googleToken({ sub: 'g-2', email: 'linkme@example.com', email_verified: false }) });
    expect(unverified.statusCode).toBe(400);
    expect(unverified.json().code).toBe('email_unverified');
    const verified = await callback('google', { id_token: await googleToken({ sub: 'g-2', email: 'linkme@example.com' }) });
    expect(verified.json().user.id).toBe(u.id);
  });

  it('Google: rejects tokens for another audience, from another issuer, expired or forged', async () => {
    const cases = [
      await googleToken({ sub: 'g-3', email: 'x@example.com' }, { aud: 'someone-else' }),
      await googleToken({ sub: 'g-3', email: 'x@example.com' }, { iss: 'https://evil.example' }),
      await googleToken({ sub: 'g-3', email: 'x@example.com' }, { exp: Math.floor(Date.now() / 1000) - 60 }),
      (await googleToken({ sub: 'g-3', email: 'x@example.com' })).slice(0, -4) + 'AAAA',
      'not-a-jwt',
    ];
    for (const id_token of cases) {
      const r = await callback('google', { id_token });
      expect(r.statusCode).toBe(400);
      expect(r.json().code).toBe('invalid_social_token');
    }
  });

  it('GitHub: exchanges a code and reads the verified primary e-mail', async () => {
    const ok = await callback('github', { code: 'good-code' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().user).toMatchObject({ email: 'octo@example.com', name: 'Octo Cat' });
    const bad = await callback('github', { code: 'bad-code' });
    expect(bad.statusCode).toBe(400);
  });

  it('Facebook: verifies the access token with appsecret_proof', async () => {
    const ok = await callback('facebook', { access_token: 'fb-token' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().user.email).toBe('fb@example.com');
    expect((await callback('facebook', { access_token: 'stolen' })).statusCode).toBe(400);
  });

  it('validates the request body and the provider', async () => {
    expect((await callback('google', {})).statusCode).toBe(400);
    expect((await callback('google', { id_token: 'a', code: 'b' })).statusCode).toBe(400);
    expect((await callback('myspace', { code: 'x' })).json()).toEqual({ detail: 'Not found.', code: 'not_found' });
    expect((await callback('github', { code: 'x', extra: 1 })).json()).toHaveProperty('extra');
  });

  it('each app keeps its own Google key set: another app at the same JWKS URL reads the keys served now', async () => {
    // This app has fetched and cached the current key set.
    expect((await callback('google', { id_token: await googleToken({ sub: 'g-keys', email: 'keys@example.com' }) })).statusCode).toBe(200);
    // The endpoint now serves another key under the same id (as a new fake provider on a reused port
    // does for the next test file in the same worker process).
    const before = servedKeys;
    const other = await generateKeyPair('RS256');
    servedKeys = [{ ...(await exportJWK(other.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }];
    const second = await createTestApp({ GOOGLE_CLIENT_IDS: CLIENT, GOOGLE_JWKS_URL: `${base}/jwks` });
    try {
      const tok = await googleToken({ sub: 'g-other', email: 'other-keys@example.com' }, { key: other.privateKey as CryptoKey });
      const r = await second.request({ method: 'POST', url: '/api/v1/auth/social/google/callback/', body: { id_token: tok } });
      expect(r.statusCode).toBe(200);
    } finally {
      servedKeys = before;
      await second.close();
    }
  });

  it('says when a provider is not configured', async () => {
    const bare = await sharedTestApp();
    try {
      const r = await bare.request({ method: 'POST', url: '/api/v1/auth/social/google/callback/', body: { id_token: 'x' } });
      expect(r.statusCode).toBe(400);
      expect(r.json().code).toBe('provider_not_configured');
    } finally {
      await bare.close();
    }
  });
});
