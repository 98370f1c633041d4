/**
 * Authentication: login with username/password → short-lived access token (HS256, 15 min default) + opaque
 * refresh token (rotated on every refresh, stored hashed in auth_sessions); API keys for machines.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRepository } from '../../storage/repositories/api-key.repository.js';
import type { UserRecord, UserRepository } from '../../storage/repositories/user.repository.js';
import { DEFAULT_ACCESS_TOKEN_TTL_SECONDS, looksLikeAccessToken, signAccessToken, verifyAccessToken } from './access-token.js';
import { apiKeyMatches, generateApiKey, looksLikeApiKey, parseApiKey } from './api-key.js';
import { AuthError } from './auth-errors.js';
import { LoginThrottle } from './login-throttle.js';
import { hashPassword, passwordProblem, verifyPassword } from './password.js';
import type { Role } from './permissions.js';
import type { Principal } from './principal.js';

export interface AuthServiceOptions {
  users: UserRepository;
  apiKeys: ApiKeyRepository;
  /** HMAC key for access tokens, ≥ 32 bytes, identical on every API process. */
  signingKey: Buffer;
  /** Access token lifetime, s. @default 900 */
  accessTokenTtlSeconds?: number;
  /** Refresh token (session) lifetime, s; each refresh extends it. @default 43200 (one 12 h shift) */
  refreshTokenTtlSeconds?: number;
  /** Failed-login throttle. @default new LoginThrottle() (5 failures per 15 min per username and address) */
  throttle?: LoginThrottle | null;
  now?: () => number;
}

export interface TokenPair {
  tokenType: 'Bearer';
  accessToken: string;
  /** epoch ms */
  accessTokenExpiresAt: number;
  refreshToken: string;
  /** epoch ms */
  refreshTokenExpiresAt: number;
  user: { id: string; username: string; role: Role; cameraGroups: string[] | null };
}

export interface ClientMeta {
  ip?: string | null;
  userAgent?: string | null;
}

/** Credentials found on a request. */
export type Credentials = { kind: 'bearer'; token: string } | { kind: 'api_key'; key: string };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export class AuthService {
  private readonly users: UserRepository;
  private readonly apiKeys: ApiKeyRepository;
  private readonly key: Buffer;
  private readonly accessTtl: number;
  private readonly refreshTtl: number;
  private readonly now: () => number;
  private dummyHash: Promise<string> | null = null;
  private readonly throttle: LoginThrottle | null;

  constructor(opts: AuthServiceOptions) {
    if (opts.signingKey.length < 32) throw new AuthError('IOCV_AUTH_CONFIG', 'token signing key must be at least 32 bytes');
    this.users = opts.users;
    this.apiKeys = opts.apiKeys;
    this.key = opts.signingKey;
    this.accessTtl = opts.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
    this.refreshTtl = opts.refreshTokenTtlSeconds ?? 12 * 3600;
    this.now = opts.now ?? Date.now;
    this.throttle = opts.throttle === undefined ? new LoginThrottle({ now: this.now }) : opts.throttle;
  }

  /**
   * Throws IOCV_BAD_CREDENTIALS for an unknown user, a wrong password or a disabled account (same message), and
   * IOCV_RATE_LIMITED (429) after too many failures from one address for one username.
   */
  async login(username: string, password: string, meta: ClientMeta = {}): Promise<TokenPair> {
    const throttleKey = LoginThrottle.key(username, meta.ip);
    this.throttle?.check(throttleKey);
    const user = await this.users.findByUsername(username);
    if (!user) {
      // Same work as a real check so that response time does not reveal which usernames exist.
      this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      await verifyPassword(password, await this.dummyHash);
      this.throttle?.fail(throttleKey);
      throw new AuthError('IOCV_BAD_CREDENTIALS', 'bad username or password');
    }
    const ok = await verifyPassword(password, user.passwordHash);
    if (!ok || user.disabled) {
      this.throttle?.fail(throttleKey);
      throw new AuthError('IOCV_BAD_CREDENTIALS', 'bad username or password');
    }
    this.throttle?.succeed(throttleKey);
    const sessionId = `ses_${randomBytes(12).toString('hex')}`;
    const refreshToken = `${sessionId}.${randomBytes(32).toString('base64url')}`;
    const refreshTokenExpiresAt = this.now() + this.refreshTtl * 1000;
    await this.users.createSession({ id: sessionId, userId: user.id, refreshHash: sha256(refreshToken), expiresAt: refreshTokenExpiresAt, ip: meta.ip ?? null, userAgent: meta.userAgent ?? null });
    await this.users.touchLogin(user.id, this.now());
    return this.issue(user, sessionId, refreshToken, refreshTokenExpiresAt);
  }

  /**
   * Rotates the refresh token. Presenting an already-rotated token revokes the whole session (it was copied).
   * Role and groups are re-read, so changes reach the user within one access token lifetime.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const sessionId = refreshToken.split('.')[0] ?? '';
    const session = sessionId ? await this.users.findSession(sessionId) : null;
    if (!session || session.revokedAt !== null || session.expiresAt <= this.now()) throw new AuthError('IOCV_TOKEN_INVALID', 'refresh token is not valid');
    const presented = sha256(refreshToken);
    if (!sameHash(presented, session.refreshHash)) {
      await this.users.revokeSession(session.id);
      throw new AuthError('IOCV_TOKEN_INVALID', 'refresh token was already used; the session is revoked');
    }
    const user = await this.users.findById(session.userId);
    if (!user || user.disabled) {
      await this.users.revokeSession(session.id);
      throw new AuthError('IOCV_TOKEN_INVALID', 'account disabled');
    }
    const next = `${session.id}.${randomBytes(32).toString('base64url')}`;
    const expiresAt = this.now() + this.refreshTtl * 1000;
    if (!(await this.users.rotateSession(session.id, presented, sha256(next), expiresAt))) {
      throw new AuthError('IOCV_TOKEN_INVALID', 'refresh token is not valid');
    }
    return this.issue(user, session.id, next, expiresAt);
  }

  async logout(sessionId: string): Promise<void> {
    await this.users.revokeSession(sessionId);
  }

  private issue(user: UserRecord, sessionId: string, refreshToken: string, refreshTokenExpiresAt: number): TokenPair {
    const { token, expiresAt } = signAccessToken(
      { sub: user.id, usr: user.username, role: user.role, grp: user.cameraGroups, sid: sessionId },
      this.key,
      { ttlSeconds: this.accessTtl, nowMs: this.now() },
    );
    return {
      tokenType: 'Bearer',
      accessToken: token,
      accessTokenExpiresAt: expiresAt,
      refreshToken,
      refreshTokenExpiresAt,
      user: { id: user.id, username: user.username, role: user.role, cameraGroups: user.cameraGroups },
    };
  }

  /** Verifies an access token (no database access). */
  principalFromAccessToken(token: string): Principal {
    const c = verifyAccessToken(token, this.key, this.now());
    return { kind: 'user', id: c.sub, name: c.usr, role: c.role, cameraGroups: c.grp, sessionId: c.sid };
  }

  async principalFromApiKey(key: string): Promise<Principal> {
    const parsed = parseApiKey(key);
    const rec = parsed ? await this.apiKeys.findById(parsed.id) : null;
    if (!rec || !apiKeyMatches(key, rec.keyHash)) throw new AuthError('IOCV_API_KEY_INVALID', 'API key is not valid');
    if (rec.revokedAt !== null) throw new AuthError('IOCV_API_KEY_INVALID', 'API key was revoked');
    if (rec.expiresAt !== null && rec.expiresAt <= this.now()) throw new AuthError('IOCV_API_KEY_INVALID', 'API key expired');
    this.apiKeys.touch(rec.id).catch(() => undefined);
    return { kind: 'api_key', id: rec.id, name: rec.name, role: rec.role, cameraGroups: rec.cameraGroups, sessionId: null };
  }

  async authenticate(creds: Credentials): Promise<Principal> {
    if (creds.kind === 'api_key') return this.principalFromApiKey(creds.key);
    if (looksLikeApiKey(creds.token)) return this.principalFromApiKey(creds.token);
    if (looksLikeAccessToken(creds.token)) return this.principalFromAccessToken(creds.token);
    throw new AuthError('IOCV_TOKEN_INVALID', 'unrecognised credentials');
  }

  /** Creates a key; the returned `key` is shown once and never stored. */
  async createApiKey(input: { name: string; role: Role; cameraGroups?: string[] | null; createdBy?: string | null; expiresAt?: number | null }) {
    const gen = generateApiKey();
    const record = await this.apiKeys.create({ id: gen.id, name: input.name, keyHash: gen.hash, role: input.role, cameraGroups: input.cameraGroups ?? null, createdBy: input.createdBy ?? null, expiresAt: input.expiresAt ?? null });
    return { key: gen.key, record };
  }

  /** Throws IOCV_BAD_PASSWORD (400) for a weak password. */
  async createUser(input: { username: string; password: string; role: Role; cameraGroups?: string[] | null }): Promise<UserRecord> {
    assertPassword(input.password);
    return this.users.create({ username: input.username, passwordHash: await hashPassword(input.password), role: input.role, cameraGroups: input.cameraGroups ?? null });
  }

  async setPassword(userId: string, password: string): Promise<void> {
    assertPassword(password);
    await this.users.update(userId, { passwordHash: await hashPassword(password) });
    await this.users.revokeUserSessions(userId);
  }
}

export class BadPasswordError extends Error {
  readonly code = 'IOCV_BAD_PASSWORD';
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'BadPasswordError';
  }
}

function assertPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new BadPasswordError(`password ${problem}`);
}
