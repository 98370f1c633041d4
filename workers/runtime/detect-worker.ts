/**
 * Composition root of an inference worker: stateless, any number of them on any machine sharing Redis.
 * Jobs are dispatched through the typed registry, so a job name without a handler does not compile.
 */
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisFrameStore } from '../frames/frame-store.js';
import { DetectFrameHandler, type ObjectDetector } from '../handlers/detect-frame.handler.js';
import { JobName, QueueName, type JobPayloads } from '../queues/job-registry.js';
import { RedisResultPublisher } from '../results/result-channel.js';
import { processId } from './epoch.js';

export interface DetectWorkerOptions {
  redisUrl: string;
  bullPrefix: string;
  /** Jobs processed at once: 2 lets the next frame decode while the model runs. */
  concurrency: number;
  detector: ObjectDetector;
  logger: Logger;
  /** How long a job's lock lives without renewal; a killed worker's job is retried after it. @default 10000 */
  lockDurationMs?: number;
}

export type JobHandlers = { [N in JobName]: (payload: JobPayloads[N]) => Promise<unknown> };

export class DetectWorker {
  private readonly worker: Worker;
  private readonly redis: Redis;
  readonly id = processId();
  processed = 0;

  constructor(o: DetectWorkerOptions) {
    this.redis = new Redis(o.redisUrl, { maxRetriesPerRequest: null });
    const detect = new DetectFrameHandler({
      frames: new RedisFrameStore(this.redis),
      detector: o.detector,
      results: new RedisResultPublisher(this.redis),
      workerId: this.id,
    });
    const handlers: JobHandlers = {
      [JobName.DetectFrame]: async (p) => {
        const r = await detect.handle(p);
        return { detections: r.detections.length, inferenceMs: Math.round(r.inferenceMs) };
      },
    };
    const lockDuration = o.lockDurationMs ?? 10_000;
    this.worker = new Worker(
      QueueName.Detect,
      async (job: Job) => {
        const h = handlers[job.name as JobName] as ((p: unknown) => Promise<unknown>) | undefined;
        if (!h) throw new Error(`no handler for job ${job.name}`);
        const r = await h(job.data);
        this.processed++;
        return r;
      },
      {
        connection: this.redis,
        prefix: o.bullPrefix,
        concurrency: o.concurrency,
        lockDuration,
        stalledInterval: Math.max(1000, Math.round(lockDuration / 2)),
        maxStalledCount: 2,
      },
    );
    this.worker.on('failed', (job, err) => o.logger.warn({ jobId: job?.id, err: err.message }, 'detect job failed'));
    this.worker.on('error', (err) => o.logger.error({ err: err.message }, 'worker error'));
  }

  async waitUntilReady(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.worker.close();
    this.redis.disconnect();
  }
}
