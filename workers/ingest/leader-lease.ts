/**
 * One leader among any number of processes: a Redis key holding the leader's token with a TTL, taken when free and
 * extended only by its holder (the camera leases' compare-and-set scripts). A leader that dies stops extending it;
 * the key expires and the next process to ask becomes leader.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LEASE_SCRIPTS } from './camera-lease.js';

export interface LeaderLeaseOptions {
  /** The Redis key (redisKey.cameraHealthLeader). */
  key: string;
  /** Human-readable owner (host:pid); a random suffix makes a restarted process with the same pid differ. */
  ownerId: string;
  /** Lease lifetime, ms: a dead leader is replaced after at most this long (plus one poll). */
  ttlMs: number;
}

/** What a leader-elected task needs: ask every round, release on a graceful stop. */
export interface LeaderLease {
  /** Takes the lease if free, extends it if ours; true while we lead. */
  tryAcquire(): Promise<boolean>;
  /** Gives the lease up if ours, so another process leads at once instead of after the TTL. */
  release(): Promise<boolean>;
}

export class RedisLeaderLease implements LeaderLease {
  readonly token: string;
  private readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly opts: LeaderLeaseOptions,
  ) {
    if (!(opts.ttlMs >= 100)) throw new RangeError('leader lease ttlMs must be >= 100');
    this.ttlMs = Math.round(opts.ttlMs);
    this.token = `${opts.ownerId}#${randomBytes(6).toString('hex')}`;
  }

  async tryAcquire(): Promise<boolean> {
    return (await this.redis.eval(LEASE_SCRIPTS.acquire, 1, this.opts.key, this.token, this.ttlMs)) === 1;
  }

  async release(): Promise<boolean> {
    return (await this.redis.eval(LEASE_SCRIPTS.release, 1, this.opts.key, this.token)) === 1;
  }

  /** The owner id (host:pid) of the current leader, or null. */
  async holder(): Promise<string | null> {
    const v = await this.redis.get(this.opts.key);
    return v === null ? null : v.replace(/#[0-9a-f]+$/, '');
  }
}
