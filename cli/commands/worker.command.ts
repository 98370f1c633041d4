import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { UsageError, type CliCommand } from '../command.types.js';

export const workerCommand: CliCommand = {
  name: 'worker',
  summary: 'Run an inference worker (stateless; start as many as you like on any machine sharing Redis).',
  usage: 'ioc-vision worker [--concurrency N] [--threads N] [--max-batch N]   (settings: IOCV_REDIS_URL, IOCV_BULL_PREFIX, IOCV_WORKER_CONCURRENCY, IOCV_ORT_THREADS, IOCV_DETECT_MAX_BATCH)',
  async run(argv) {
    let v;
    try {
      v = parseArgs({ args: argv, strict: true, options: { concurrency: { type: 'string' }, threads: { type: 'string' }, 'max-batch': { type: 'string' } } }).values;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { loadSettings } = await import('../../workers/runtime/settings.js');
    const s = loadSettings();
    const logger = pino({ level: s.logLevel, base: { role: 'worker', pid: process.pid } });
    const { YoloxDetector } = await import('../../models/vehicles/yolox.detector.js');
    const { DetectWorker } = await import('../../workers/runtime/detect-worker.js');
    const threads = v.threads !== undefined ? positiveInt('--threads', v.threads) : s.raw.IOCV_ORT_THREADS;
    const maxBatch = v['max-batch'] !== undefined ? positiveInt('--max-batch', v['max-batch']) : s.detectMaxBatch;
    const concurrency = v.concurrency !== undefined ? positiveInt('--concurrency', v.concurrency) : s.workerConcurrency;
    const detector = await YoloxDetector.create({ ...(threads ? { threads } : {}), maxBatch });
    const worker = new DetectWorker({
      redisUrl: s.redisUrl,
      bullPrefix: s.bullPrefix,
      concurrency,
      detector,
      logger,
    });
    await worker.waitUntilReady();
    logger.info({ id: worker.id, concurrency, maxBatch }, 'worker ready');
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    logger.info('worker stopping (finishing active jobs)');
    await worker.close();
    return 0;
  },
};

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`${flag} must be an integer 1..64, got "${v}"`);
  return n;
}
