// auth/: register, login, refresh (rotating), logout, password change, social login.
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app-type.js';
import type { Ctx } from '../../context.js';
import { fieldError } from '../../platform/http/errors.js';
import { originOf } from '../../platform/http/pagination.js';
import type { RouteRate } from '../../platform/http/guard.js';
import { me, UserSchema } from './present.js';
import { createSocialLogin, SOCIAL_PROVIDERS, type SocialProvider } from './social-login.js';
import type { UserRow } from './schema.js';
import { dropCachedSessions } from './session-cache.js';

const AuthPayload = Type.Object({
  token: Type.String(),
  refreshToken: Type.String(),
  user: UserSchema,
  message: Type.String(),
});

const Password = Type.String({ minLength: 8, maxLength: 128 });
const Email = Type.String({ format: 'email', maxLength: 254 });

export async function authRoutes(app: App, ctx: Ctx) {
  const users = ctx.services.users;
  const authRate: RouteRate[] = [{ name: 'auth', by: 'ip', ...ctx.config.rateLimits.auth }];
  const ua = (req: FastifyRequest) => String(req.headers['user-agent'] ?? '');

  const payload = async (req: FastifyRequest, user: UserRow, tokens: { token: string; refreshToken: string }, message: string) => ({
    ...tokens,
    user: await users.presentOne({ id: user.id, isStaff: user.isStaff }, user, { includePii: true, origin: originOf(req, ctx.config.publicBaseUrl) }),
    message,
  });

  app.post(
    '/auth/register',
    {
      config: { auth: 'none', rateLimit: authRate },
      schema: {
        tags: ['auth'],
        body: Type.Object(
          {
            email: Email,
            password: Password,
            handle: Type.Optional(Type.String({ maxLength: 30 })),
            username: Type.Optional(Type.String({ maxLength: 30 })),
            name: Type.Optional(Type.String({ maxLength: 120 })),
            fullName: Type.Optional(Type.String({ maxLength: 120 })),
            intention: Type.Optional(Type.String({ maxLength: 255 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: AuthPayload },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const name = (b.name ?? '').trim() || (b.fullName ?? '').trim();
      if (!name) throw fieldError('fullName', 'Please provide your full name.');
      const user = await users.createUser({ email: b.email, password: b.password, handle: b.handle ?? b.username, name });
      const tokens = await users.issueTokens(user.id, ua(req));
      return reply.status(201).send(await payload(req, user, tokens, 'Registration successful.'));
    },
  );

  app.post(
    '/auth/login',
    {
      config: { auth: 'none', rateLimit: authRate },
      schema: {
        tags: ['auth'],
        body: Type.Object({ email: Email, password: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
        response: { 200: AuthPayload },
      },
    },
    async (req) => {
      const { user, tokens } = await users.login(req.body.email, req.body.password, ua(req));
      return payload(req, user, tokens, 'Login successful.');
    },
  );

  app.post(
    '/auth/refresh',
    {
      config: { auth: 'none', rateLimit: authRate },
      schema: {
        tags: ['auth'],
        body: Type.Object({ refresh: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ token: Type.String(), refreshToken: Type.String(), message: Type.String() }) },
      },
    },
    async (req) => {
      try {
        return { ...(await users.refresh(req.body.refresh)), message: 'Token refreshed.' };
      } catch (err) {
        // A reused refresh token revokes its whole session: cached sessions must not outlive that.
        await dropCachedSessions(ctx, req.body.refresh);
        throw err;
      }
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags: ['auth'],
        description: 'Revokes the current session (its refresh token and every access token issued from it); `all: true` revokes every session of the user.',
        body: Type.Object({ all: Type.Optional(Type.Boolean()), refresh: Type.Optional(Type.String({ maxLength: 4096 })) }, { additionalProperties: false }),
      },
    },
    async (req, reply) => {
      const user = me(req);
      if (req.body.all) await users.revokeAllSessions(user.id);
      else await users.revokeSession(req.claims!.sid);
      return reply.status(200).send({ detail: 'Logged out.' });
    },
  );

  app.post(
    '/auth/password',
    {
      config: { rateLimit: authRate },
      schema: {
        tags: ['auth'],
        description: 'Changes the password; every existing session is revoked and a new token pair returned.',
        body: Type.Object({ old_password: Type.String({ minLength: 1, maxLength: 128 }), new_password: Password }, { additionalProperties: false }),
      },
    },
    async (req) => {
      const user = me(req);
      const tokens = await users.changePassword(user.id, req.body.old_password, req.body.new_password, ua(req));
      return { ...tokens, message: 'Password changed.' };
    },
  );

  // One literal route per provider (as the contract lists them), so each shows in the OpenAPI document.
  const socialLogin = createSocialLogin(ctx);
  for (const provider of SOCIAL_PROVIDERS) {
    app.post(
      `/auth/social/${provider}/callback`,
      {
        config: { auth: 'none', rateLimit: authRate },
        schema: {
          tags: ['auth'],
          body: Type.Object(
            {
              id_token: Type.Optional(Type.String({ maxLength: 8192 })),
              access_token: Type.Optional(Type.String({ maxLength: 8192 })),
              code: Type.Optional(Type.String({ maxLength: 2048 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: AuthPayload },
        },
      },
      async (req) => {
        const user = await socialLogin(provider as SocialProvider, req.body);
        const tokens = await users.issueTokens(user.id, ua(req));
        return payload(req, user, tokens, 'Social login successful.');
      },
    );
  }

}
