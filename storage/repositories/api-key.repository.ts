/** Machine API keys: only SHA-256 hashes are stored (see api/auth/api-key.ts for the key format). */
import type pg from 'pg';
import type { Role } from '../../api/auth/permissions.js';

type Pool = pg.Pool;

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  cameraGroups: string[] | null;
  createdBy: string | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface ApiKeyWithHash extends ApiKeyRecord {
  keyHash: string;
}

interface Row {
  id: string;
  name: string;
  key_hash: string;
  role: Role;
  camera_groups: string[] | null;
  created_by: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const COLS = 'id, name, key_hash, role, camera_groups, created_by, created_at, expires_at, revoked_at, last_used_at';
const t = (d: Date | null) => (d ? d.getTime() : null);

function toRecord(r: Row): ApiKeyWithHash {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    cameraGroups: r.camera_groups,
    createdBy: r.created_by,
    createdAt: r.created_at.getTime(),
    expiresAt: t(r.expires_at),
    revokedAt: t(r.revoked_at),
    lastUsedAt: t(r.last_used_at),
    keyHash: r.key_hash,
  };
}

function strip(r: ApiKeyWithHash): ApiKeyRecord {
  const { keyHash: _omit, ...rest } = r;
  return rest;
}

export class ApiKeyRepository {
  constructor(private readonly pool: Pool) {}

  async create(input: { id: string; name: string; keyHash: string; role: Role; cameraGroups?: string[] | null; createdBy?: string | null; expiresAt?: number | null }): Promise<ApiKeyRecord> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO api_keys (id, name, key_hash, role, camera_groups, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLS}`,
      [input.id, input.name, input.keyHash, input.role, input.cameraGroups ?? null, input.createdBy ?? null, input.expiresAt ? new Date(input.expiresAt) : null],
    );
    return strip(toRecord(rows[0]!));
  }

  /** With the hash, for authentication only. */
  async findById(id: string): Promise<ApiKeyWithHash | null> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLS} FROM api_keys WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLS} FROM api_keys ORDER BY created_at DESC`);
    return rows.map((r) => strip(toRecord(r)));
  }

  async revoke(id: string): Promise<boolean> {
    const res = await this.pool.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
    return (res.rowCount ?? 0) > 0;
  }

  /** Best effort, at most once a minute per key (avoids a write per request). */
  async touch(id: string): Promise<void> {
    await this.pool.query("UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')", [id]);
  }
}
