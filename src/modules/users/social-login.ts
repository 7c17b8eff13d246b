// Social login: Google ID tokens are verified against the configured JWKS; GitHub and Facebook
// codes/access tokens are exchanged with the provider. Endpoints are configurable so tests run
// against a local fake provider.
import { createHmac } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { and, eq } from 'drizzle-orm';
import type { Ctx } from '../../context.js';
import { ApiError } from '../../platform/http/errors.js';
import { socialAccounts, users, type UserRow } from './schema.js';
import { UserErrors } from './errors.js';

export const SOCIAL_PROVIDERS = ['google', 'facebook', 'github'] as const;
export type SocialProvider = (typeof SOCIAL_PROVIDERS)[number];

interface Identity {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string;
  login?: string;
}

interface Credentials {
  id_token?: string;
  access_token?: string;
  code?: string;
}

const invalidToken = (detail?: string) => UserErrors.invalidSocialToken(detail);
const notConfigured = (p: string) => UserErrors.providerNotConfigured(`${p} login is not configured on this server.`);

async function fetchJson(url: string, init?: RequestInit): Promise<any> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch {
    throw new ApiError(502, { detail: 'The login provider could not be reached.', code: 'provider_unavailable' });
  }
  if (res.status >= 500) throw new ApiError(502, { detail: 'The login provider failed.', code: 'provider_unavailable' });
  const body = await res.json().catch(() => null);
  if (!res.ok || body === null || typeof body !== 'object') throw invalidToken();
  return body;
}

/** The app's Google signing keys, fetched on first use and refreshed by jose when a new key id appears. */
type GoogleKeys = () => JWTVerifyGetKey;

async function google(ctx: Ctx, c: Credentials, keys: GoogleKeys): Promise<Identity> {
  const g = ctx.config.social.google;
  if (!g.clientIds.length) throw notConfigured('google');
  let idToken = c.id_token;
  if (!idToken && c.code) {
    if (!g.clientSecret) throw notConfigured('google');
    const body = new URLSearchParams({ code: c.code, client_id: g.clientIds[0], client_secret: g.clientSecret, redirect_uri: g.redirectUri, grant_type: 'authorization_code' });
    const r = await fetchJson(g.tokenUrl, { method: 'POST', body, headers: { accept: 'application/json' } });
    idToken = typeof r.id_token === 'string' ? r.id_token : undefined;
  }
  if (!idToken) throw UserErrors.invalidRequest('Google login needs an id_token or a code.');
  try {
    const { payload } = await jwtVerify(idToken, keys(), { issuer: g.issuers, audience: g.clientIds });
    if (typeof payload.sub !== 'string') throw invalidToken();
    return {
      subject: payload.sub,
      email: typeof payload.email === 'string' ? payload.email : null,
      emailVerified: payload.email_verified === true || payload.email_verified === 'true',
      name: typeof payload.name === 'string' ? payload.name : [payload.given_name, payload.family_name].filter((x) => typeof x === 'string').join(' '),
    };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw invalidToken();
  }
}

async function github(ctx: Ctx, c: Credentials): Promise<Identity> {
  const g = ctx.config.social.github;
  if (!g.clientId) throw notConfigured('github');
  let token = c.access_token;
  if (!token && c.code) {
    const r = await fetchJson(g.tokenUrl, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: g.clientId, client_secret: g.clientSecret, code: c.code, redirect_uri: g.redirectUri }),
    });
    token = typeof r.access_token === 'string' ? r.access_token : undefined;
  }
  if (!token) throw UserErrors.invalidRequest();
  const headers = { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json', 'user-agent': 'selflink' };
  const profile = await fetchJson(`${g.apiUrl}/user`, { headers });
  if (profile.id === undefined) throw invalidToken();
  const emails = (await fetchJson(`${g.apiUrl}/user/emails`, { headers }).catch(() => [])) as { email: string; primary: boolean; verified: boolean }[];
  const primary = Array.isArray(emails) ? (emails.find((e) => e.primary && e.verified) ?? emails.find((e) => e.verified)) : undefined;
  return {
    subject: String(profile.id),
    email: primary?.email ?? (typeof profile.email === 'string' ? profile.email : null),
    emailVerified: Boolean(primary),
    name: String(profile.name ?? profile.login ?? ''),
    login: typeof profile.login === 'string' ? profile.login : undefined,
  };
}

async function facebook(ctx: Ctx, c: Credentials): Promise<Identity> {
  const f = ctx.config.social.facebook;
  if (!f.appId || !f.appSecret) throw notConfigured('facebook');
  let token = c.access_token;
  if (!token && c.code) {
    const q = new URLSearchParams({ client_id: f.appId, client_secret: f.appSecret, redirect_uri: f.redirectUri, code: c.code });
    const r = await fetchJson(`${f.graphUrl}/oauth/access_token?${q}`);
    token = typeof r.access_token === 'string' ? r.access_token : undefined;
  }
  if (!token) throw UserErrors.invalidRequest();
  // appsecret_proof binds the token to our app, so a token minted for another app is refused.
  const proof = createHmac('sha256', f.appSecret).update(token).digest('hex');
  const q = new URLSearchParams({ fields: 'id,name,email', access_token: token, appsecret_proof: proof });
  const me = await fetchJson(`${f.graphUrl}/me?${q}`);
  if (me.id === undefined) throw invalidToken();
  return { subject: String(me.id), email: typeof me.email === 'string' ? me.email : null, emailVerified: typeof me.email === 'string', name: String(me.name ?? '') };
}

/**
 * The social log-in of one app. The Google key set lives here, with the app's configuration, not in
 * the module: another app in the same process (the tests build many) may name another JWKS.
 */
export function createSocialLogin(ctx: Ctx) {
  let jwks: JWTVerifyGetKey | null = null;
  const googleKeys: GoogleKeys = () => (jwks ??= createRemoteJWKSet(new URL(ctx.config.social.google.jwksUrl)));
  const verifiers: Record<SocialProvider, (c: Credentials) => Promise<Identity>> = {
    google: (c) => google(ctx, c, googleKeys),
    github: (c) => github(ctx, c),
    facebook: (c) => facebook(ctx, c),
  };
  return (provider: SocialProvider, c: Credentials) => socialLogin(ctx, provider, verifiers[provider], c);
}

async function socialLogin(ctx: Ctx, provider: SocialProvider, verify: (c: Credentials) => Promise<Identity>, c: Credentials): Promise<UserRow> {
  const given = [c.id_token, c.access_token, c.code].filter((v) => v !== undefined && v !== '');
  if (given.length !== 1) throw new ApiError(400, { non_field_errors: ['Incorrect input. Send exactly one of id_token, access_token or code.'] });
  const id = await verify(c);
  const usersSvc = ctx.services.users;

  const [linked] = await ctx.db
    .select({ u: users })
    .from(socialAccounts)
    .innerJoin(users, eq(users.id, socialAccounts.userId))
    .where(and(eq(socialAccounts.provider, provider), eq(socialAccounts.subject, id.subject)))
    .limit(1);
  let user = linked?.u ?? null;
  if (!user) {
    if (!id.email) throw UserErrors.emailRequired();
    const existing = await usersSvc.findByEmail(id.email);
    if (existing) {
      // Linking to an existing account is safe only when the provider vouches for the e-mail.
      if (!id.emailVerified) throw UserErrors.emailUnverified();
      user = existing;
    } else {
      user = await usersSvc.createUser({ email: id.email, password: null, name: id.name || id.email.split('@')[0] || 'user' });
    }
    await ctx.db.insert(socialAccounts).values({ provider, subject: id.subject, userId: user.id, email: id.email }).onConflictDoNothing();
  }
  if (!user.isActive) throw new ApiError(400, { non_field_errors: ['Invalid credentials'] });
  await ctx.db.update(users).set({ lastLogin: new Date() }).where(eq(users.id, user.id));
  if (provider === 'github' && id.login) await ctx.services.rewards.linkGithubLogin(user.id, id.login);
  return user;
}
