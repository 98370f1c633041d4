import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.types.js';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'Create the database if missing and apply pending migrations (safe while other processes start).',
  usage: 'ioc-vision migrate [--status]   (settings: IOCV_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/iocvision)',
  async run(argv) {
    let v;
    try {
      v = parseArgs({ args: argv, strict: true, options: { status: { type: 'boolean' } } }).values;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { loadSettings } = await import('../../workers/runtime/settings.js');
    const { createPool, ensureDatabase, loadMigrations, runMigrations } = await import('../../storage/postgres/database.js');
    const s = loadSettings();
    const created = await ensureDatabase(s.databaseUrl);
    if (created) console.log('created the database');
    const pool = createPool(s.databaseUrl, { max: 1, applicationName: 'ioc-vision migrate' });
    try {
      if (v.status) {
        const known = loadMigrations();
        const { rows } = await pool
          .query<{ version: number }>('SELECT version FROM schema_migrations')
          .catch(() => ({ rows: [] as Array<{ version: number }> }));
        const done = new Set(rows.map((r) => r.version));
        for (const m of known) console.log(`${done.has(m.version) ? 'applied' : 'pending'}  ${String(m.version).padStart(3, '0')}_${m.name}`);
        return 0;
      }
      const r = await runMigrations(pool);
      for (const m of r.applied) console.log(`applied ${String(m.version).padStart(3, '0')}_${m.name}`);
      console.log(r.applied.length ? `schema at version ${r.current}` : `schema up to date (version ${r.current})`);
      return 0;
    } finally {
      await pool.end();
    }
  },
};
