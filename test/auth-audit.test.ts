/** The hash-chained audit log against a real PostgreSQL: append, verify, append-only trigger, tampering detected. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, runMigrations, type Pool } from '../storage/postgres/database.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { AUDIT_GENESIS_HASH, AuditRepository, canonicalJson } from '../storage/repositories/audit.repository.js';

let db: TestDatabase;
let pool: Pool;
let audit: AuditRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 6 });
  await runMigrations(pool);
  audit = new AuditRepository(pool);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** Runs SQL with the append-only trigger disabled, as a superuser attacker would. */
async function tamper(sql: string, args: unknown[] = []): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
    await c.query(sql, args);
  } finally {
    await c.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    c.release();
  }
}

describe('audit log', () => {
  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: null }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[2,{"y":null,"z":1}]},"b":1}');
  });

  it('chains entries, including concurrent appends, and verifies', async () => {
    const first = await audit.appendAudit({ actor: 'user:alice', role: 'admin', action: 'POST /cameras', target: 'cam1', ip: '10.0.0.1', details: { body: { name: 'Gate' }, statusCode: 201 } });
    expect(first.prevHash).toBe(AUDIT_GENESIS_HASH);
    await Promise.all(Array.from({ length: 20 }, (_, i) => audit.appendAudit({ actor: `key:bot${i % 3}`, action: 'GET /plates/search', details: { query: { plate: `51F${i}` } } })));
    const last = await audit.appendAudit({ actor: 'user:bob', role: 'police', action: 'GET /faces/search', details: { query: { q: 'x' }, nested: { b: 2, a: 1 } } });
    const v = await audit.verifyAuditChain({ batchSize: 7 });
    expect(v).toEqual({ ok: true, checked: 22, firstBrokenSeq: null, reason: null, headHash: last.hash });
    const listed = await audit.list({ limit: 3 });
    expect(listed[0]).toMatchObject({ seq: last.seq, actor: 'user:bob', details: { nested: { a: 1, b: 2 } } });
    expect(listed[1]!.hash).toBe(listed[0]!.prevHash);
    expect((await audit.list({ actor: 'user:alice' })).map((e) => e.seq)).toEqual([first.seq]);
  });

  it('refuses UPDATE, DELETE and TRUNCATE through the trigger', async () => {
    await expect(pool.query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1")).rejects.toThrow(/append-only/);
    await expect(pool.query('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(/append-only/);
    await expect(pool.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    expect((await audit.verifyAuditChain()).ok).toBe(true);
  });

  it('detects an edited field at the edited row', async () => {
    const rows = await audit.list({ limit: 1000 });
    const victim = rows[rows.length - 5]!;
    await tamper(`UPDATE audit_log SET details = jsonb_set(details, '{query,plate}', '"HIDDEN"') WHERE seq = $1`, [victim.seq]);
    expect(await audit.verifyAuditChain()).toMatchObject({ ok: false, firstBrokenSeq: victim.seq, reason: 'hash_mismatch' });
    // Restoring the exact original value makes the chain whole again (the hash covers content, not row identity).
    await tamper('UPDATE audit_log SET details = $2 WHERE seq = $1', [victim.seq, JSON.stringify(victim.details)]);
    expect((await audit.verifyAuditChain()).ok).toBe(true);
  });

  it('detects a re-hashed edit (attacker recomputes that row) at the next row, and a deleted row', async () => {
    const rows = (await audit.list({ limit: 1000 })).reverse();
    const victim = rows[3]!;
    // The attacker rewrites actor and recomputes this row's hash; the following row's prev_hash no longer links.
    const { auditRowHash } = await import('../storage/repositories/audit.repository.js');
    const forged = { ...victim, actor: 'user:nobody' };
    await tamper('UPDATE audit_log SET actor = $2, hash = $3 WHERE seq = $1', [victim.seq, forged.actor, auditRowHash(victim.prevHash, forged)]);
    expect(await audit.verifyAuditChain()).toMatchObject({ ok: false, firstBrokenSeq: rows[4]!.seq, reason: 'link_mismatch' });
    await tamper('UPDATE audit_log SET actor = $2, hash = $3 WHERE seq = $1', [victim.seq, victim.actor, victim.hash]);
    expect((await audit.verifyAuditChain()).ok).toBe(true);

    await tamper('DELETE FROM audit_log WHERE seq = $1', [rows[10]!.seq]);
    expect(await audit.verifyAuditChain()).toMatchObject({ ok: false, firstBrokenSeq: rows[11]!.seq, reason: 'link_mismatch' });
  });
});
