/**
 * Short-lived access tokens for people: compact JWS (HS256, `header.payload.signature`, base64url) so that any API
 * process holding the signing key verifies them without a database round trip. Refresh tokens are opaque and live
 * in Postgres (auth_sessions), so logout and rotation take effect at once; an access token lives at most its TTL.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthError } from './auth-errors.js';
import { isRole, type Role } from './permissions.js';

export interface AccessTokenClaims {
  /** users.id */
  sub: string;
  /** username */
  usr: string;
  role: Role;
  /** camera groups, null = all */
  grp: string[] | null;
  /** session id */
  sid: string;
  /** issued at, epoch seconds */
  iat: number;
  /** expiry, epoch seconds */
  exp: number;
}

/** Default access token lifetime, s. */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function sign(data: string, key: Buffer): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

/** A random signing key (32 bytes). */
export function generateSigningKey(): Buffer {
  return randomBytes(32);
}

export function signAccessToken(
  claims: Omit<AccessTokenClaims, 'iat' | 'exp'>,
  key: Buffer,
  opts: { ttlSeconds?: number; nowMs?: number } = {},
): { token: string; expiresAt: number } {
  if (key.length < 32) throw new AuthError('IOCV_AUTH_CONFIG', 'token signing key must be at least 32 bytes');
  const iat = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  const exp = iat + (opts.ttlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS);
  const payload = Buffer.from(JSON.stringify({ ...claims, iat, exp })).toString('base64url');
  const data = `${HEADER}.${payload}`;
  return { token: `${data}.${sign(data, key)}`, expiresAt: exp * 1000 };
}

export function looksLikeAccessToken(value: string): boolean {
  return value.split('.').length === 3;
}

/** Verifies signature, shape and expiry; throws IOCV_TOKEN_INVALID / IOCV_TOKEN_EXPIRED. */
export function verifyAccessToken(token: string, key: Buffer, nowMs: number = Date.now()): AccessTokenClaims {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== HEADER) throw new AuthError('IOCV_TOKEN_INVALID', 'malformed token');
  const expected = Buffer.from(sign(`${parts[0]}.${parts[1]}`, key));
  const given = Buffer.from(parts[2]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new AuthError('IOCV_TOKEN_INVALID', 'bad token signature');
  let c: Partial<AccessTokenClaims>;
  try {
    c = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Partial<AccessTokenClaims>;
  } catch {
    throw new AuthError('IOCV_TOKEN_INVALID', 'malformed token payload');
  }
  if (
    typeof c.sub !== 'string' ||
    typeof c.usr !== 'string' ||
    !isRole(c.role) ||
    typeof c.sid !== 'string' ||
    typeof c.exp !== 'number' ||
    typeof c.iat !== 'number' ||
    !(c.grp === null || (Array.isArray(c.grp) && c.grp.every((g) => typeof g === 'string')))
  ) {
    throw new AuthError('IOCV_TOKEN_INVALID', 'token claims are incomplete');
  }
  if (nowMs >= c.exp * 1000) throw new AuthError('IOCV_TOKEN_EXPIRED', 'token expired');
  return c as AccessTokenClaims;
}
