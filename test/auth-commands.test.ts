/** The operator commands (users, audit, webhooks) against a fresh database through IOCV_DATABASE_URL. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditCommand, usersCommand } from '../api/auth/auth.commands.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { webhooksCommand } from '../workers/webhooks/webhooks.command.js';

let db: TestDatabase;
const saved = { url: process.env.IOCV_DATABASE_URL, user: process.env.IOCV_ADMIN_USER, pw: process.env.IOCV_ADMIN_PASSWORD };

beforeAll(async () => {
  db = await createTestDatabase();
  process.env.IOCV_DATABASE_URL = db.url;
});

afterAll(async () => {
  for (const [k, v] of [['IOCV_DATABASE_URL', saved.url], ['IOCV_ADMIN_USER', saved.user], ['IOCV_ADMIN_PASSWORD', saved.pw]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  vi.restoreAllMocks();
  await db?.drop();
});

function capture() {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  return {
    out,
    done() {
      log.mockRestore();
      err.mockRestore();
    },
  };
}

describe('operator commands', () => {
  it('bootstraps the first admin once, creates API keys, verifies the audit chain and detects tampering', async () => {
    process.env.IOCV_ADMIN_PASSWORD = 'bootstrap password 1';
    const c = capture();
    try {
      await expect(usersCommand.run(['bootstrap-admin'])).rejects.toMatchObject({ code: 'IOCV_USAGE' });
      expect(await usersCommand.run(['bootstrap-admin', '--username', 'root'])).toBe(0);
      expect(await usersCommand.run(['bootstrap-admin', '--username', 'root2'])).toBe(1);
      await expect(usersCommand.run(['api-key', '--name', 'bot', '--role', 'wizard'])).rejects.toMatchObject({ code: 'IOCV_USAGE' });
      expect(await usersCommand.run(['api-key', '--name', 'bot', '--role', 'operator', '--groups', 'd1,d2'])).toBe(0);
      expect(c.out.some((l) => /^iocv_[0-9a-f]{16}_/.test(l))).toBe(true);
      expect(await usersCommand.run(['list'])).toBe(0);
      expect(c.out).toContain('root\tadmin\t*');
      expect(await auditCommand.run(['verify'])).toBe(0);
      expect(c.out.some((l) => l.startsWith('audit chain intact: 2 entries'))).toBe(true);

      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        await client.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
        await client.query("UPDATE audit_log SET target = 'someone-else' WHERE seq = (SELECT min(seq) FROM audit_log)");
        await client.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
      } finally {
        await client.end();
      }
      expect(await auditCommand.run(['verify'])).toBe(1);
      expect(c.out.some((l) => /audit chain BROKEN at seq \d+ \(hash_mismatch\)/.test(l))).toBe(true);
    } finally {
      c.done();
    }
  });

  it('adds and lists webhook subscriptions', async () => {
    const c = capture();
    try {
      await expect(webhooksCommand.run(['add', '--url', 'ftp://x'])).rejects.toMatchObject({ code: 'IOCV_USAGE' });
      await expect(webhooksCommand.run(['add', '--url', 'http://127.0.0.1:9/h', '--events', 'incident.exploded'])).rejects.toMatchObject({ code: 'IOCV_USAGE' });
      expect(await webhooksCommand.run(['add', '--url', 'http://127.0.0.1:9/h', '--events', 'incident.created,incident.resolved'])).toBe(0);
      expect(c.out.some((l) => /secret: [0-9a-f]{64}/.test(l))).toBe(true);
      expect(await webhooksCommand.run(['list'])).toBe(0);
      expect(c.out.some((l) => l.includes('enabled\tincident.created,incident.resolved\thttp://127.0.0.1:9/h'))).toBe(true);
      expect(await webhooksCommand.run(['requeue-dead'])).toBe(0);
      expect(c.out).toContain('requeued 0');
    } finally {
      c.done();
    }
  });
});
