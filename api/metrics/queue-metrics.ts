/**
 * Queue and inference figures read from BullMQ at scrape time: job counts per queue, the age of the oldest
 * waiting job (queue lag) overall and per camera, and latency quantiles over the recently completed jobs
 * (BullMQ keeps them about a minute): inference time as measured by the worker, and wait time in the queue.
 */
import { Queue, type ConnectionOptions, type Job } from 'bullmq';
import type { FrameRef } from '../../pipeline/domain.types.js';
import { QueueName } from '../../workers/queues/job-registry.js';

export interface LatencyStats {
  /** Ascending samples, ms. */
  samplesMs: number[];
}

export interface QueueSnapshot {
  queues: Array<{ name: string; waiting: number; active: number; delayed: number; failed: number; completed: number; oldestWaitingAgeSeconds: number }>;
  cameras: Map<string, { oldestWaitingAgeSeconds: number; waiting: number; inference: LatencyStats; queueWait: LatencyStats }>;
  inference: LatencyStats;
  queueWait: LatencyStats;
}

export interface QueueMetricsSource {
  collect(now?: number): Promise<QueueSnapshot>;
  close(): Promise<void>;
}

export interface BullQueueMetricsOptions {
  connection: ConnectionOptions;
  /** BullMQ key prefix. */
  prefix: string;
  /** Waiting jobs inspected for per-camera lag. @default 1000 */
  maxWaitingInspected?: number;
  /** Recently completed jobs used for latency quantiles. @default 500 */
  maxCompletedInspected?: number;
}

function cameraOf(job: Job): string | null {
  const frame = (job.data as { frame?: Partial<FrameRef> } | undefined)?.frame;
  return typeof frame?.cameraId === 'string' ? frame.cameraId : null;
}

const sortAsc = (a: number[]) => a.sort((x, y) => x - y);

export class BullQueueMetrics implements QueueMetricsSource {
  /** The BullMQ queues read (also shown by bull-board). */
  readonly queues: Queue[];
  private readonly maxWaiting: number;
  private readonly maxCompleted: number;

  constructor(opts: BullQueueMetricsOptions) {
    this.queues = Object.values(QueueName).map((name) => new Queue(name, { connection: opts.connection, prefix: opts.prefix }));
    this.maxWaiting = opts.maxWaitingInspected ?? 1000;
    this.maxCompleted = opts.maxCompletedInspected ?? 500;
  }

  async collect(now = Date.now()): Promise<QueueSnapshot> {
    const snapshot: QueueSnapshot = { queues: [], cameras: new Map(), inference: { samplesMs: [] }, queueWait: { samplesMs: [] } };
    const cam = (id: string) => {
      let c = snapshot.cameras.get(id);
      if (!c) {
        c = { oldestWaitingAgeSeconds: 0, waiting: 0, inference: { samplesMs: [] }, queueWait: { samplesMs: [] } };
        snapshot.cameras.set(id, c);
      }
      return c;
    };
    for (const q of this.queues) {
      const [counts, waiting, completed] = await Promise.all([
        q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'),
        q.getWaiting(0, this.maxWaiting - 1),
        q.getCompleted(0, this.maxCompleted - 1),
      ]);
      let oldest = 0;
      for (const job of waiting) {
        if (!job) continue;
        const age = Math.max(0, (now - job.timestamp) / 1000);
        oldest = Math.max(oldest, age);
        const id = cameraOf(job);
        if (id) {
          const c = cam(id);
          c.waiting++;
          c.oldestWaitingAgeSeconds = Math.max(c.oldestWaitingAgeSeconds, age);
        }
      }
      for (const job of completed) {
        if (!job) continue;
        const id = cameraOf(job);
        const inf = (job.returnvalue as { inferenceMs?: unknown } | null)?.inferenceMs;
        if (typeof inf === 'number' && Number.isFinite(inf)) {
          snapshot.inference.samplesMs.push(inf);
          if (id) cam(id).inference.samplesMs.push(inf);
        }
        if (job.processedOn && job.timestamp) {
          const wait = Math.max(0, job.processedOn - job.timestamp);
          snapshot.queueWait.samplesMs.push(wait);
          if (id) cam(id).queueWait.samplesMs.push(wait);
        }
      }
      snapshot.queues.push({
        name: q.name,
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
        completed: counts.completed ?? 0,
        oldestWaitingAgeSeconds: oldest,
      });
    }
    sortAsc(snapshot.inference.samplesMs);
    sortAsc(snapshot.queueWait.samplesMs);
    for (const c of snapshot.cameras.values()) {
      sortAsc(c.inference.samplesMs);
      sortAsc(c.queueWait.samplesMs);
    }
    return snapshot;
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close()));
  }
}
