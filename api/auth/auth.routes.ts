/**
 * Session routes: POST /auth/login, POST /auth/refresh (public), POST /auth/logout, GET /auth/me (account:self).
 * Logins, failed logins and logouts are audited.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AuthError } from './auth-errors.js';
import type { AuditSink } from './auth.plugin.js';
import type { AuthService } from './auth.service.js';

const UserSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('operator'), Type.Literal('police'), Type.Literal('security'), Type.Literal('analyst')]),
  cameraGroups: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'null = every camera group' }),
});

const TokenPairSchema = Type.Object({
  tokenType: Type.Literal('Bearer'),
  accessToken: Type.String(),
  accessTokenExpiresAt: Type.Number({ description: 'epoch ms' }),
  refreshToken: Type.String({ description: 'single use: each refresh returns a new one' }),
  refreshTokenExpiresAt: Type.Number({ description: 'epoch ms' }),
  user: UserSchema,
});

export interface AuthRoutesDeps {
  auth: AuthService;
  audit?: AuditSink;
}

export function authRoutes(deps: AuthRoutesDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/auth/login',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Log in with username and password',
          body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
          response: { 200: TokenPairSchema },
        },
      },
      async (req) => {
        try {
          const pair = await deps.auth.login(req.body.username, req.body.password, { ip: req.ip, userAgent: req.headers['user-agent'] ?? null });
          await deps.audit?.appendAudit({ actor: `user:${pair.user.username}`, role: pair.user.role, action: 'auth.login', target: pair.user.username, ip: req.ip, details: { ok: true } });
          return pair;
        } catch (err) {
          if (err instanceof AuthError) {
            await deps.audit?.appendAudit({ actor: 'anonymous', action: 'auth.login_failed', target: req.body.username, ip: req.ip, details: { ok: false, code: err.code } });
          }
          throw err;
        }
      },
    );

    app.post(
      '/auth/refresh',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Exchange a refresh token for a new token pair',
          body: Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false }),
          response: { 200: TokenPairSchema },
        },
      },
      async (req) => deps.auth.refresh(req.body.refreshToken),
    );

    app.post(
      '/auth/logout',
      { config: { permission: 'account:self' }, schema: { tags: ['auth'], summary: 'End this session', response: { 204: Type.Null() } } },
      async (req, reply) => {
        if (req.principal?.sessionId) await deps.auth.logout(req.principal.sessionId);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/auth/me',
      {
        config: { permission: 'account:self' },
        schema: {
          tags: ['auth'],
          summary: 'The caller',
          response: { 200: Type.Object({ kind: Type.String(), id: Type.String(), name: Type.String(), role: Type.String(), cameraGroups: Type.Union([Type.Array(Type.String()), Type.Null()]) }) },
        },
      },
      async (req) => {
        const p = req.principal!;
        return { kind: p.kind, id: p.id, name: p.name, role: p.role, cameraGroups: p.cameraGroups ? [...p.cameraGroups] : null };
      },
    );
  };
}
