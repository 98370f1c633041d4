/** Users (people), their refresh sessions, and the shared token signing key. */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Role } from '../../api/auth/permissions.js';

type Pool = pg.Pool;

export interface UserRecord {
  id: string;
  username: string;
  role: Role;
  /** null = every camera group */
  cameraGroups: string[] | null;
  disabled: boolean;
  createdAt: number;
  lastLoginAt: number | null;
}

export interface UserWithHash extends UserRecord {
  passwordHash: string;
}

export interface NewUser {
  username: string;
  passwordHash: string;
  role: Role;
  cameraGroups?: string[] | null;
}

export interface SessionRecord {
  id: string;
  userId: string;
  refreshHash: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

/** username already taken */
export class UserExistsError extends Error {
  readonly code = 'IOCV_USER_EXISTS';
  readonly statusCode = 409;
  constructor(username: string) {
    super(`user "${username}" already exists`);
    this.name = 'UserExistsError';
  }
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  camera_groups: string[] | null;
  disabled: boolean;
  created_at: Date;
  last_login_at: Date | null;
}

const USER_COLS = 'id, username, password_hash, role, camera_groups, disabled, created_at, last_login_at';

function toUser(r: UserRow): UserWithHash {
  return {
    id: r.id,
    username: r.username,
    role: r.role,
    cameraGroups: r.camera_groups,
    disabled: r.disabled,
    createdAt: r.created_at.getTime(),
    lastLoginAt: r.last_login_at ? r.last_login_at.getTime() : null,
    passwordHash: r.password_hash,
  };
}

function withoutHash(u: UserWithHash): UserRecord {
  const { passwordHash: _omit, ...rest } = u;
  return rest;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

export class UserRepository {
  constructor(private readonly pool: Pool) {}

  async create(input: NewUser): Promise<UserRecord> {
    try {
      const { rows } = await this.pool.query<UserRow>(
        `INSERT INTO users (id, username, password_hash, role, camera_groups) VALUES ($1, $2, $3, $4, $5) RETURNING ${USER_COLS}`,
        [newId('usr'), input.username, input.passwordHash, input.role, input.cameraGroups ?? null],
      );
      return withoutHash(toUser(rows[0]!));
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new UserExistsError(input.username);
      throw err;
    }
  }

  /** Creates the user only when no user exists yet (first admin); null otherwise. Safe against racing processes. */
  async createFirstUser(input: NewUser): Promise<UserRecord | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', ['iocv:first-user']);
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM users');
      if (Number(rows[0]!.n) > 0) {
        await client.query('ROLLBACK');
        return null;
      }
      const ins = await client.query<UserRow>(
        `INSERT INTO users (id, username, password_hash, role, camera_groups) VALUES ($1, $2, $3, $4, $5) RETURNING ${USER_COLS}`,
        [newId('usr'), input.username, input.passwordHash, input.role, input.cameraGroups ?? null],
      );
      await client.query('COMMIT');
      return withoutHash(toUser(ins.rows[0]!));
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM users');
    return Number(rows[0]!.n);
  }

  /** With the password hash, for login only. */
  async findByUsername(username: string): Promise<UserWithHash | null> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${USER_COLS} FROM users WHERE username = $1`, [username]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async findById(id: string): Promise<UserRecord | null> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${USER_COLS} FROM users WHERE id = $1`, [id]);
    return rows[0] ? withoutHash(toUser(rows[0])) : null;
  }

  async list(): Promise<UserRecord[]> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${USER_COLS} FROM users ORDER BY username`);
    return rows.map((r) => withoutHash(toUser(r)));
  }

  /** Updates the given fields; returns null for an unknown id. */
  async update(id: string, patch: { role?: Role; cameraGroups?: string[] | null; disabled?: boolean; passwordHash?: string }): Promise<UserRecord | null> {
    const sets: string[] = [];
    const args: unknown[] = [id];
    const set = (col: string, v: unknown) => {
      args.push(v);
      sets.push(`${col} = $${args.length}`);
    };
    if (patch.role !== undefined) set('role', patch.role);
    if (patch.cameraGroups !== undefined) set('camera_groups', patch.cameraGroups);
    if (patch.disabled !== undefined) set('disabled', patch.disabled);
    if (patch.passwordHash !== undefined) set('password_hash', patch.passwordHash);
    if (!sets.length) return this.findById(id);
    const { rows } = await this.pool.query<UserRow>(`UPDATE users SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${USER_COLS}`, args);
    return rows[0] ? withoutHash(toUser(rows[0])) : null;
  }

  async delete(id: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM users WHERE id = $1', [id]);
    return (res.rowCount ?? 0) > 0;
  }

  async touchLogin(id: string, at: number = Date.now()): Promise<void> {
    await this.pool.query('UPDATE users SET last_login_at = $2 WHERE id = $1', [id, new Date(at)]);
  }

  async createSession(s: { id: string; userId: string; refreshHash: string; expiresAt: number; ip?: string | null; userAgent?: string | null }): Promise<void> {
    await this.pool.query(
      'INSERT INTO auth_sessions (id, user_id, refresh_hash, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6)',
      [s.id, s.userId, s.refreshHash, new Date(s.expiresAt), s.ip ?? null, s.userAgent ?? null],
    );
  }

  async findSession(id: string): Promise<SessionRecord | null> {
    const { rows } = await this.pool.query<{ id: string; user_id: string; refresh_hash: string; created_at: Date; expires_at: Date; revoked_at: Date | null }>(
      'SELECT id, user_id, refresh_hash, created_at, expires_at, revoked_at FROM auth_sessions WHERE id = $1',
      [id],
    );
    const r = rows[0];
    return r
      ? { id: r.id, userId: r.user_id, refreshHash: r.refresh_hash, createdAt: r.created_at.getTime(), expiresAt: r.expires_at.getTime(), revokedAt: r.revoked_at ? r.revoked_at.getTime() : null }
      : null;
  }

  /** Swaps the refresh hash only if it still is `oldHash` (one winner when a token is replayed concurrently). */
  async rotateSession(id: string, oldHash: string, newHash: string, expiresAt: number): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE auth_sessions SET refresh_hash = $3, expires_at = $4, last_used_at = now()
       WHERE id = $1 AND refresh_hash = $2 AND revoked_at IS NULL AND expires_at > now()`,
      [id, oldHash, newHash, new Date(expiresAt)],
    );
    return (res.rowCount ?? 0) === 1;
  }

  async revokeSession(id: string): Promise<void> {
    await this.pool.query('UPDATE auth_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
  }

  async revokeUserSessions(userId: string): Promise<void> {
    await this.pool.query('UPDATE auth_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
  }

  /** The token signing key shared by all API processes (created once). */
  async getOrCreateSigningKey(): Promise<Buffer> {
    await this.pool.query("INSERT INTO auth_signing_keys (id, key) VALUES ('access', $1) ON CONFLICT (id) DO NOTHING", [randomBytes(32)]);
    const { rows } = await this.pool.query<{ key: Buffer }>("SELECT key FROM auth_signing_keys WHERE id = 'access'");
    return rows[0]!.key;
  }
}
