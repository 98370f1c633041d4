/**
 * Frames travel by reference: the JPEG bytes go to a store with a short TTL and only the key travels in the job
 * (GUIDE: 600 KB frames inline in BullMQ jobs gave ~48 jobs/s and a gigabyte of Redis).
 */
import type { Redis } from 'ioredis';
import type { FrameId } from '../../pipeline/domain.types.js';
import { redisKey } from '../queues/job-registry.js';

export interface FrameStore {
  /** Stores the frame; returns its key. */
  put(id: FrameId, jpeg: Buffer, ttlMs: number): Promise<string>;
  get(key: string): Promise<Buffer | null>;
  delete(key: string): Promise<void>;
}

/** Shared by every machine that sees the same Redis. */
export class RedisFrameStore implements FrameStore {
  constructor(private readonly redis: Redis) {}

  async put(id: FrameId, jpeg: Buffer, ttlMs: number): Promise<string> {
    const key = redisKey.frame(id);
    await this.redis.set(key, jpeg, 'PX', Math.max(1, Math.round(ttlMs)));
    return key;
  }

  async get(key: string): Promise<Buffer | null> {
    return this.redis.getBuffer(key);
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(key);
  }
}

/** For offline analysis in one process: no Redis. Entries expire like Redis ones so memory stays bounded. */
export class MemoryFrameStore implements FrameStore {
  private readonly frames = new Map<string, { jpeg: Buffer; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async put(id: FrameId, jpeg: Buffer, ttlMs: number): Promise<string> {
    const key = redisKey.frame(id);
    this.frames.set(key, { jpeg, expiresAt: this.now() + ttlMs });
    if (this.frames.size % 64 === 0) this.sweep();
    return key;
  }

  async get(key: string): Promise<Buffer | null> {
    const e = this.frames.get(key);
    if (!e) return null;
    if (e.expiresAt < this.now()) {
      this.frames.delete(key);
      return null;
    }
    return e.jpeg;
  }

  async delete(key: string): Promise<void> {
    this.frames.delete(key);
  }

  get size(): number {
    return this.frames.size;
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, e] of this.frames) if (e.expiresAt < t) this.frames.delete(k);
  }
}
