/**
 * A throw-away database for integration tests: `iocv_test_<random>` on the server of `adminUrl`, dropped (with
 * its connections) by `drop()`. Tests never share a database, so they may run on any machine with a PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL used by integration tests. @default postgres://postgres@127.0.0.1:5432/postgres (IOCV_TEST_PG_URL) */
export const TEST_PG_ADMIN_URL = process.env.IOCV_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(adminUrl: string = TEST_PG_ADMIN_URL): Promise<TestDatabase> {
  const name = `iocv_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
