/**
 * PostgreSQL access through `pg`: the pool factory, database creation for the embedded default, and the numbered
 * SQL migrations in ./migrations (NNN_name.sql), applied in order under an advisory lock so that any number of
 * processes (api, ingest, workers) may start at once.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** Default database URL when IOCV_DATABASE_URL is not set. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/iocvision';

/** A coded storage failure (bad migration state, unreachable server at start, ...). */
export class StorageError extends Error {
  constructor(
    readonly code: 'IOCV_MIGRATION_CHANGED' | 'IOCV_MIGRATION_FAILED' | 'IOCV_DATABASE_UNAVAILABLE' | 'IOCV_BAD_DATABASE_URL',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

export interface PoolOptions {
  /** Connections in the pool. @default 10 */
  max?: number;
  /** Name shown in pg_stat_activity. @default 'ioc-vision' */
  applicationName?: string;
  /** Connect timeout in ms. @default 5000 */
  connectTimeoutMs?: number;
  /** Server-side statement timeout in ms (0 = none). @default 30000 */
  statementTimeoutMs?: number;
}

export function createPool(url: string, options: PoolOptions = {}): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'ioc-vision',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
  });
  // An idle client losing its connection (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

function databaseName(url: string): { name: string; adminUrl: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StorageError('IOCV_BAD_DATABASE_URL', `not a valid database URL: ${url.replace(/\/\/[^@/]*@/, '//***@')}`);
  }
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!name) throw new StorageError('IOCV_BAD_DATABASE_URL', 'the database URL names no database');
  const admin = new URL(u.toString());
  admin.pathname = '/postgres';
  return { name, adminUrl: admin.toString() };
}

function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/**
 * Creates the database named in `url` when it does not exist (connecting to the `postgres` maintenance database),
 * so that a fresh server works without manual steps. Safe when several processes race to create it.
 */
export async function ensureDatabase(url: string): Promise<boolean> {
  const { name, adminUrl } = databaseName(url);
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
    return false;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') {
      throw new StorageError('IOCV_DATABASE_UNAVAILABLE', `cannot connect to PostgreSQL: ${(err as Error).message}`, { cause: err });
    }
  } finally {
    await probe.end().catch(() => undefined);
  }
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    // 42P04 duplicate_database; 23505 when two CREATE DATABASE race on pg_database's unique index.
    if (code === '42P04' || code === '23505') return false;
    throw new StorageError('IOCV_DATABASE_UNAVAILABLE', `cannot create database ${name}: ${(err as Error).message}`, { cause: err });
  } finally {
    await admin.end().catch(() => undefined);
  }
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Reads NNN_name.sql files in version order; rejects duplicate versions. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir)) {
    const m = /^(\d{3,})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) continue;
    const sql = readFileSync(path.join(dir, file), 'utf8');
    out.push({ version: Number(m[1]), name: m[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  out.sort((a, b) => a.version - b.version);
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.version === out[i - 1]!.version) {
      throw new StorageError('IOCV_MIGRATION_FAILED', `two migrations share version ${out[i]!.version}`);
    }
  }
  return out;
}

/** Advisory lock key (scoped to the current database by PostgreSQL): "iocv" + "migr" as two int32s. */
const LOCK_KEY = [0x696f6376, 0x6d696772] as const;

export interface MigrationResult {
  applied: Array<{ version: number; name: string }>;
  current: number;
}

/**
 * Applies every pending migration, each in its own transaction, recorded in schema_migrations. A migration that
 * was applied and has since been edited is an error: schema drift must be a new migration, never an edit.
 */
export async function runMigrations(pool: Pool, migrations: Migration[] = loadMigrations()): Promise<MigrationResult> {
  const client = await pool.connect();
  const applied: MigrationResult['applied'] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_KEY[0], LOCK_KEY[1]]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM schema_migrations');
      const done = new Map(rows.map((r) => [r.version, r]));
      for (const m of migrations) {
        const prev = done.get(m.version);
        if (prev) {
          if (prev.checksum !== m.checksum) {
            throw new StorageError(
              'IOCV_MIGRATION_CHANGED',
              `migration ${String(m.version).padStart(3, '0')}_${m.name} was edited after it was applied; add a new migration instead`,
            );
          }
          continue;
        }
        try {
          await client.query('BEGIN');
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new StorageError('IOCV_MIGRATION_FAILED', `migration ${m.version}_${m.name} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push({ version: m.version, name: m.name });
      }
      const current = migrations.length ? Math.max(...migrations.map((m) => m.version), ...rows.map((r) => r.version)) : 0;
      return { applied, current };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_KEY[0], LOCK_KEY[1]]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/** Runs `fn` in one transaction on one pooled connection. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
