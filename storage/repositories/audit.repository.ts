/**
 * The append-only, hash-chained audit log. Each row's hash = sha256(prev_hash || canonical JSON of the row), rows
 * are appended under an advisory lock (one chain, no forks), and a trigger refuses UPDATE/DELETE/TRUNCATE.
 * A superuser can still disable the trigger; verifyAuditChain then finds the first row that no longer matches.
 * Limitation: removing the newest rows leaves a valid shorter chain; export `head()` elsewhere to anchor it.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

type Pool = pg.Pool;

export const AUDIT_GENESIS_HASH = '0'.repeat(64);
const AUDIT_LOCK_KEY = 0x696f6361; // "ioca"

export interface AuditEntryInput {
  /** `user:alice`, `key:ingest-bot`, `system` */
  actor: string;
  role?: string | null;
  /** What was done: `POST /cameras`, `auth.login`, `plates.search`, ... */
  action: string;
  /** The object acted on (camera id, incident id, user name, ...). */
  target?: string | null;
  ip?: string | null;
  /** Query, route params, outcome; plain JSON (normalised through JSON before hashing). */
  details?: Record<string, unknown>;
  /** epoch ms. @default now */
  at?: number;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  checked: number;
  /** seq of the first row whose link or hash does not match, null when the chain is intact */
  firstBrokenSeq: number | null;
  reason: 'hash_mismatch' | 'link_mismatch' | null;
  /** hash of the last row checked (anchor it elsewhere to detect truncation) */
  headHash: string;
}

/** JSON with object keys sorted at every level; undefined members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** The chained hash of one row. */
export function auditRowHash(prevHash: string, row: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  const body = canonicalJson({
    seq: row.seq,
    at: new Date(row.at).toISOString(),
    actor: row.actor,
    role: row.role,
    action: row.action,
    target: row.target,
    ip: row.ip,
    details: row.details,
  });
  return createHash('sha256').update(prevHash).update(body).digest('hex');
}

interface Row {
  seq: string;
  at: Date;
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

const COLS = 'seq, at, actor, role, action, target, ip, details, prev_hash, hash';

function toEntry(r: Row): AuditEntry {
  return {
    seq: Number(r.seq),
    at: r.at.getTime(),
    actor: r.actor,
    role: r.role,
    action: r.action,
    target: r.target,
    ip: r.ip,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export interface AuditListFilter {
  actor?: string;
  action?: string;
  /** seq < beforeSeq (paging newest first) */
  beforeSeq?: number;
  /** @default 100 (max 1000) */
  limit?: number;
}

export class AuditRepository {
  constructor(private readonly pool: Pool) {}

  /** Appends one entry to the chain (serialised across processes by an advisory lock). */
  async appendAudit(input: AuditEntryInput): Promise<AuditEntry> {
    const details = JSON.parse(JSON.stringify(input.details ?? {})) as Record<string, unknown>;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK_KEY]);
      const last = await client.query<{ hash: string }>('SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1');
      const prevHash = last.rows[0]?.hash ?? AUDIT_GENESIS_HASH;
      const seqRes = await client.query<{ seq: string }>("SELECT nextval(pg_get_serial_sequence('audit_log', 'seq')) AS seq");
      const row = {
        seq: Number(seqRes.rows[0]!.seq),
        at: input.at ?? Date.now(),
        actor: input.actor,
        role: input.role ?? null,
        action: input.action,
        target: input.target ?? null,
        ip: input.ip ?? null,
        details,
      };
      const hash = auditRowHash(prevHash, row);
      await client.query(
        `INSERT INTO audit_log (${COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [row.seq, new Date(row.at), row.actor, row.role, row.action, row.target, row.ip, JSON.stringify(details), prevHash, hash],
      );
      await client.query('COMMIT');
      return { ...row, prevHash, hash };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Newest first. */
  async list(filter: AuditListFilter = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => {
      args.push(v);
      return `$${args.length}`;
    };
    if (filter.actor) where.push(`actor = ${arg(filter.actor)}`);
    if (filter.action) where.push(`action = ${arg(filter.action)}`);
    if (filter.beforeSeq !== undefined) where.push(`seq < ${arg(filter.beforeSeq)}`);
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const { rows } = await this.pool.query<Row>(`SELECT ${COLS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${limit}`, args);
    return rows.map(toEntry);
  }

  /** Walks the whole chain in seq order; returns the first broken seq (edited, inserted or deleted rows). */
  async verifyAuditChain(opts: { batchSize?: number } = {}): Promise<AuditVerifyResult> {
    const batch = opts.batchSize ?? 1000;
    let expectedPrev = AUDIT_GENESIS_HASH;
    let after = -1;
    let checked = 0;
    for (;;) {
      const { rows } = await this.pool.query<Row>(`SELECT ${COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, [after, batch]);
      if (!rows.length) break;
      for (const r of rows) {
        const e = toEntry(r);
        if (e.prevHash !== expectedPrev) return { ok: false, checked, firstBrokenSeq: e.seq, reason: 'link_mismatch', headHash: expectedPrev };
        if (auditRowHash(e.prevHash, e) !== e.hash) return { ok: false, checked, firstBrokenSeq: e.seq, reason: 'hash_mismatch', headHash: expectedPrev };
        expectedPrev = e.hash;
        after = e.seq;
        checked++;
      }
    }
    return { ok: true, checked, firstBrokenSeq: null, reason: null, headHash: expectedPrev };
  }
}
