/**
 * The queue between capture and inference, behind a port: BullMQ for live scale-out (any number of workers on any
 * machine), an in-process adapter for offline analysis. Both drive the same handler.
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import { JobName, QueueName, jobId, type DetectFramePayload } from './job-registry.js';

export interface FrameQueue {
  add(p: DetectFramePayload): Promise<void>;
  close(): Promise<void>;
}

export interface BullQueueOptions {
  connection: ConnectionOptions;
  /** Redis key prefix of BullMQ (tests use a unique one). @default 'bull' */
  prefix?: string;
  /** Attempts per job before it is given up (a SIGKILLed worker's job is retried). @default 3 */
  attempts?: number;
}

export class BullFrameQueue implements FrameQueue {
  readonly queue: Queue;
  private readonly attempts: number;

  constructor(opts: BullQueueOptions) {
    this.queue = new Queue(QueueName.Detect, { connection: opts.connection, prefix: opts.prefix ?? 'bull' });
    this.attempts = opts.attempts ?? 3;
  }

  async add(p: DetectFramePayload): Promise<void> {
    await this.queue.add(JobName.DetectFrame, p, {
      jobId: jobId[JobName.DetectFrame](p),
      attempts: this.attempts,
      backoff: { type: 'fixed', delay: 200 },
      // Results travel through the result stream; finished jobs only need to live long enough for dedup.
      removeOnComplete: { age: 60, count: 5000 },
      removeOnFail: { age: 3600, count: 5000 },
    });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/**
 * Runs jobs in this process with bounded concurrency, in submission order. Used by `analyze`, where no Redis exists.
 */
export class InProcessFrameQueue implements FrameQueue {
  private readonly waiting: DetectFramePayload[] = [];
  private active = 0;
  private closed = false;

  constructor(
    private readonly handler: (p: DetectFramePayload) => Promise<void>,
    private readonly concurrency = 1,
    private readonly onError: (err: unknown, p: DetectFramePayload) => void = (err) => console.error(err),
  ) {}

  async add(p: DetectFramePayload): Promise<void> {
    if (this.closed) throw new Error('queue closed');
    this.waiting.push(p);
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
  }

  private pump(): void {
    while (this.active < this.concurrency && this.waiting.length) {
      const p = this.waiting.shift()!;
      this.active++;
      this.handler(p)
        .catch((err: unknown) => this.onError(err, p))
        .finally(() => {
          this.active--;
          this.pump();
        });
    }
  }
}
