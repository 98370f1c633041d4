/**
 * One call for a process's composition root: database (created if missing), migrations, repositories and
 * the object store. Every process (api, ingest, worker) opens storage the same way.
 */
import { createPool, ensureDatabase, runMigrations, type Pool } from './postgres/database.js';
import { createObjectStore, type ObjectStoreSettings } from './objects/object-store.factory.js';
import type { ObjectStore } from './objects/object-store.port.js';
import { AnalyticsRepository } from './repositories/analytics.repository.js';
import { CameraRepository } from './repositories/camera.repository.js';
import { IncidentRepository } from './repositories/incident.repository.js';

export interface StorageOptions {
  databaseUrl: string;
  objectStore: ObjectStoreSettings;
  /** Run pending migrations (under the advisory lock) before returning. @default true */
  migrate?: boolean;
  /** Pool size. @default 10 */
  poolMax?: number;
  /** Shown in pg_stat_activity. @default 'ioc-vision' */
  applicationName?: string;
}

export interface Storage {
  pool: Pool;
  cameras: CameraRepository;
  analytics: AnalyticsRepository;
  incidents: IncidentRepository;
  objects: ObjectStore;
  close(): Promise<void>;
}

export async function openStorage(opts: StorageOptions): Promise<Storage> {
  const objects = createObjectStore(opts.objectStore);
  await ensureDatabase(opts.databaseUrl);
  const pool = createPool(opts.databaseUrl, { max: opts.poolMax, applicationName: opts.applicationName });
  try {
    if (opts.migrate ?? true) await runMigrations(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  let closed = false;
  return {
    pool,
    cameras: new CameraRepository(pool),
    analytics: new AnalyticsRepository(pool),
    incidents: new IncidentRepository(pool),
    objects,
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
