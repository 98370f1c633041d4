/**
 * Detection results flow back from any worker to the one process that owns the camera (and its tracker).
 * Redis: one stream per camera, read only by the owner. In-process: a direct callback for offline analysis.
 */
import type { Redis } from 'ioredis';
import type { FrameDetections } from '../../pipeline/domain.types.js';
import { redisKey } from '../queues/job-registry.js';

export type ResultHandler = (fd: FrameDetections) => void;

export interface ResultPublisher {
  publish(fd: FrameDetections): Promise<void>;
}

export interface ResultSubscriber {
  /** Starts delivering results of `cameraId` published from now on; returns an unsubscribe function. */
  subscribe(cameraId: string, handler: ResultHandler): () => void;
  close(): Promise<void>;
}

/** Bound on a camera's result stream: results are consumed within seconds, so old entries are garbage. */
const STREAM_MAX_LEN = 2000;

export class RedisResultPublisher implements ResultPublisher {
  constructor(private readonly redis: Redis) {}

  async publish(fd: FrameDetections): Promise<void> {
    await this.redis.xadd(redisKey.results(fd.cameraId), 'MAXLEN', '~', STREAM_MAX_LEN, '*', 'r', JSON.stringify(fd));
  }
}

/**
 * One blocking XREAD over the streams of every camera this process owns. Needs its own connection (a blocking
 * command holds it). Each subscription starts at the time it was made, so results of a previous owner are skipped.
 */
export class RedisResultSubscriber implements ResultSubscriber {
  private readonly subs = new Map<string, { handler: ResultHandler; lastId: string }>();
  private running = true;
  private readonly loop: Promise<void>;
  private onError: (err: unknown) => void;

  constructor(
    private readonly redis: Redis,
    opts: { blockMs?: number; onError?: (err: unknown) => void } = {},
  ) {
    this.onError = opts.onError ?? ((err) => console.error('[results] read failed', err));
    this.loop = this.run(opts.blockMs ?? 500);
  }

  subscribe(cameraId: string, handler: ResultHandler): () => void {
    const entry = { handler, lastId: `${Date.now() - 1}-0` };
    this.subs.set(cameraId, entry);
    return () => {
      if (this.subs.get(cameraId) === entry) this.subs.delete(cameraId);
    };
  }

  async close(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(blockMs: number): Promise<void> {
    while (this.running) {
      const cams = [...this.subs.keys()];
      if (cams.length === 0) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      try {
        const keys = cams.map((c) => redisKey.results(c));
        const ids = cams.map((c) => this.subs.get(c)!.lastId);
        const res = (await this.redis.xread('COUNT', 200, 'BLOCK', blockMs, 'STREAMS', ...keys, ...ids));
        for (const [key, entries] of res ?? []) {
          const cam = cams[keys.indexOf(key)]!;
          const sub = this.subs.get(cam);
          if (!sub) continue;
          for (const [id, fields] of entries) {
            sub.lastId = id;
            const i = fields.indexOf('r');
            if (i < 0) continue;
            try {
              sub.handler(JSON.parse(fields[i + 1]!) as FrameDetections);
            } catch (err) {
              this.onError(err);
            }
          }
        }
      } catch (err) {
        if (!this.running) break;
        this.onError(err);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}

/** In-process channel: publish calls the subscriber directly. */
export class MemoryResultChannel implements ResultPublisher, ResultSubscriber {
  private readonly subs = new Map<string, ResultHandler>();

  async publish(fd: FrameDetections): Promise<void> {
    this.subs.get(fd.cameraId)?.(fd);
  }

  subscribe(cameraId: string, handler: ResultHandler): () => void {
    this.subs.set(cameraId, handler);
    return () => this.subs.delete(cameraId);
  }

  async close(): Promise<void> {
    this.subs.clear();
  }
}
