/**
 * Operator commands for auth and audit (wire into cli/main.ts):
 *   ioc-vision users bootstrap-admin --username U [--password-stdin]   (else IOCV_ADMIN_PASSWORD)
 *   ioc-vision users create --username U --role R [--groups g1,g2] [--password-stdin]
 *   ioc-vision users list
 *   ioc-vision users api-key --name N --role R [--groups g1,g2]        (prints the key once)
 *   ioc-vision audit verify                                              (exit 0 intact, 1 broken)
 *   ioc-vision audit tail [--limit N]
 * Passwords never come from argv (they would show in `ps` and shell history).
 */
import { parseArgs } from 'node:util';
import type { CliCommand } from '../../cli/command.types.js';
import { UsageError } from '../../cli/command.types.js';
import type { Pool } from '../../storage/postgres/database.js';
import { isRole, ROLES, type Role } from './permissions.js';

async function withPool<T>(fn: (pool: Pool) => Promise<T>): Promise<T> {
  const { loadSettings } = await import('../../workers/runtime/settings.js');
  const { createPool, ensureDatabase, runMigrations } = await import('../../storage/postgres/database.js');
  const s = loadSettings();
  await ensureDatabase(s.databaseUrl);
  const pool = createPool(s.databaseUrl, { max: 2, applicationName: 'ioc-vision admin' });
  try {
    await runMigrations(pool);
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

type Values = Record<string, string | boolean | undefined>;

function parse(argv: string[], options: Record<string, { type: 'string' | 'boolean' }>): { values: Values } {
  try {
    return { values: parseArgs({ args: argv, strict: true, allowPositionals: false, options }).values };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function role(v: unknown): Role {
  if (!isRole(v)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return v;
}

const groups = (v: unknown): string[] | null => (typeof v === 'string' && v ? v.split(',').map((g) => g.trim()).filter(Boolean) : null);

export const usersCommand: CliCommand = {
  name: 'users',
  summary: 'Manage people and machine API keys (bootstrap-admin, create, list, api-key).',
  usage:
    'ioc-vision users bootstrap-admin --username U [--password-stdin] | create --username U --role R [--groups a,b] [--password-stdin] | list | api-key --name N --role R [--groups a,b]',
  async run(argv) {
    const [sub, ...rest] = argv;
    const { UserRepository } = await import('../../storage/repositories/user.repository.js');
    const { ApiKeyRepository } = await import('../../storage/repositories/api-key.repository.js');
    const { AuditRepository } = await import('../../storage/repositories/audit.repository.js');
    switch (sub) {
      case 'bootstrap-admin': {
        const { values } = parse(rest, { username: { type: 'string' }, 'password-stdin': { type: 'boolean' } });
        const username = (values.username as string | undefined) ?? process.env.IOCV_ADMIN_USER;
        if (!username) throw new UsageError('--username (or IOCV_ADMIN_USER) is required');
        const password = values['password-stdin'] ? await readStdin() : process.env.IOCV_ADMIN_PASSWORD;
        if (!password) throw new UsageError('give the password on stdin with --password-stdin or in IOCV_ADMIN_PASSWORD');
        const { createFirstAdmin } = await import('./bootstrap-admin.js');
        return withPool(async (pool) => {
          const r = await createFirstAdmin(new UserRepository(pool), username, password);
          if (r.outcome !== 'created') {
            console.error('users already exist: the first admin was not created (use `users create` as an admin)');
            return 1;
          }
          await new AuditRepository(pool).appendAudit({ actor: 'system:cli', action: 'users.bootstrap_admin', target: username });
          console.log(`created admin ${username}`);
          return 0;
        });
      }
      case 'create': {
        const { values } = parse(rest, { username: { type: 'string' }, role: { type: 'string' }, groups: { type: 'string' }, 'password-stdin': { type: 'boolean' } });
        if (!values.username) throw new UsageError('--username is required');
        const r = role(values.role);
        if (!values['password-stdin']) throw new UsageError('--password-stdin is required');
        const password = await readStdin();
        const { hashPassword, passwordProblem } = await import('./password.js');
        const problem = passwordProblem(password);
        if (problem) throw new UsageError(`password ${problem}`);
        return withPool(async (pool) => {
          const u = await new UserRepository(pool).create({ username: values.username as string, passwordHash: await hashPassword(password), role: r, cameraGroups: groups(values.groups) });
          await new AuditRepository(pool).appendAudit({ actor: 'system:cli', action: 'users.create', target: u.username, details: { role: r, cameraGroups: u.cameraGroups } });
          console.log(`created ${u.role} ${u.username} (${u.id})`);
          return 0;
        });
      }
      case 'list':
        return withPool(async (pool) => {
          for (const u of await new UserRepository(pool).list()) {
            console.log(`${u.username}\t${u.role}\t${u.cameraGroups ? u.cameraGroups.join(',') : '*'}${u.disabled ? '\tdisabled' : ''}`);
          }
          return 0;
        });
      case 'api-key': {
        const { values } = parse(rest, { name: { type: 'string' }, role: { type: 'string' }, groups: { type: 'string' } });
        if (!values.name) throw new UsageError('--name is required');
        const r = role(values.role);
        const { generateApiKey } = await import('./api-key.js');
        return withPool(async (pool) => {
          const gen = generateApiKey();
          await new ApiKeyRepository(pool).create({ id: gen.id, name: values.name as string, keyHash: gen.hash, role: r, cameraGroups: groups(values.groups), createdBy: 'system:cli' });
          await new AuditRepository(pool).appendAudit({ actor: 'system:cli', action: 'apikeys.create', target: gen.id, details: { name: values.name, role: r } });
          console.error('store this key now: it is not shown again');
          console.log(gen.key);
          return 0;
        });
      }
      default:
        throw new UsageError(`usage: ${usersCommand.usage}`);
    }
  },
};

export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'Verify the hash chain of the audit log (exit 1 when broken), or show its newest entries.',
  usage: 'ioc-vision audit verify | tail [--limit N]',
  async run(argv) {
    const [sub, ...rest] = argv;
    const { AuditRepository } = await import('../../storage/repositories/audit.repository.js');
    if (sub === 'verify') {
      parse(rest, {});
      return withPool(async (pool) => {
        const r = await new AuditRepository(pool).verifyAuditChain();
        if (r.ok) {
          console.log(`audit chain intact: ${r.checked} entries, head ${r.headHash}`);
          return 0;
        }
        console.error(`audit chain BROKEN at seq ${r.firstBrokenSeq} (${r.reason}); ${r.checked} entries before it are intact`);
        return 1;
      });
    }
    if (sub === 'tail') {
      const { values } = parse(rest, { limit: { type: 'string' } });
      const limit = values.limit ? Number(values.limit) : 20;
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
      return withPool(async (pool) => {
        for (const e of (await new AuditRepository(pool).list({ limit })).reverse()) {
          console.log(`${e.seq}\t${new Date(e.at).toISOString()}\t${e.actor}\t${e.action}\t${e.target ?? ''}\t${e.ip ?? ''}`);
        }
        return 0;
      });
    }
    throw new UsageError(`usage: ${auditCommand.usage}`);
  },
};
