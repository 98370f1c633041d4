import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.types.js';

export const ingestCommand: CliCommand = {
  name: 'ingest',
  summary: 'Pull camera streams, queue sampled frames for the workers and count (one owner per camera across processes).',
  usage:
    'ioc-vision ingest   (settings: IOCV_CAMERAS_FILE to load cameras at start, IOCV_REDIS_URL, IOCV_DATABASE_URL, ' +
    'IOCV_OBJECT_STORE, IOCV_BULL_PREFIX, IOCV_LEASE_TTL_MS, IOCV_INGEST_MAX_CAMERAS, IOCV_FRAME_TTL_MS)',
  async run(argv) {
    try {
      parseArgs({ args: argv, strict: true, options: {} });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { pino } = await import('pino');
    const { loadSettings } = await import('../../workers/runtime/settings.js');
    const { runIngestRoot } = await import('../../workers/runtime/ingest-root.js');
    const settings = loadSettings();
    const logger = pino({ level: settings.logLevel, base: { role: 'ingest', pid: process.pid } });
    await runIngestRoot({ settings, logger });
    return 0;
  },
};
