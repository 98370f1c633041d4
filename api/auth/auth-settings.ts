/**
 * Auth settings from the environment:
 * - IOCV_AUTH_SECRET: token signing key (hex or base64, ≥ 32 bytes). When unset, a key generated once and kept in
 *   Postgres (auth_signing_keys) is shared by every API process.
 * - IOCV_ACCESS_TOKEN_TTL_SECONDS (default 900), IOCV_REFRESH_TOKEN_TTL_SECONDS (default 43200).
 * - IOCV_ADMIN_USER / IOCV_ADMIN_PASSWORD: the first admin, created at start when no user exists.
 */
import type { UserRepository } from '../../storage/repositories/user.repository.js';
import { AuthError } from './auth-errors.js';

export interface AuthSettings {
  secret: Buffer | null;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  adminUser: string | null;
  adminPassword: string | null;
}

function intEnv(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new AuthError('IOCV_AUTH_CONFIG', `${name} must be an integer between ${min} and ${max}`);
  return n;
}

export function parseSecret(value: string): Buffer {
  const buf = /^[0-9a-fA-F]+$/.test(value) && value.length % 2 === 0 ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (buf.length < 32) throw new AuthError('IOCV_AUTH_CONFIG', 'IOCV_AUTH_SECRET must decode to at least 32 bytes (64 hex characters)');
  return buf;
}

export function loadAuthSettings(env: NodeJS.ProcessEnv = process.env): AuthSettings {
  return {
    secret: env.IOCV_AUTH_SECRET ? parseSecret(env.IOCV_AUTH_SECRET) : null,
    accessTokenTtlSeconds: intEnv(env, 'IOCV_ACCESS_TOKEN_TTL_SECONDS', 900, 30, 86_400),
    refreshTokenTtlSeconds: intEnv(env, 'IOCV_REFRESH_TOKEN_TTL_SECONDS', 43_200, 60, 30 * 86_400),
    adminUser: env.IOCV_ADMIN_USER || null,
    adminPassword: env.IOCV_ADMIN_PASSWORD || null,
  };
}

/** The signing key: IOCV_AUTH_SECRET, else the one shared through Postgres. */
export async function resolveSigningKey(settings: AuthSettings, users: UserRepository): Promise<Buffer> {
  return settings.secret ?? users.getOrCreateSigningKey();
}
