/**
 * Exactly one owner per camera across any number of ingest processes: a lease in Redis (`SET NX PX`), renewed and
 * released only by its holder through compare-and-set Lua scripts on an owner token. A process that dies simply
 * stops renewing; the key expires and another process takes the camera over.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKey } from '../queues/job-registry.js';

export interface CameraLeaseOptions {
  /** Human-readable owner (host:pid); the token adds randomness so a restarted process with the same pid differs. */
  ownerId: string;
  /** Lease lifetime, ms; renew well within it (the coordinator renews every ttlMs / 3). */
  ttlMs: number;
}

// Acquire, or extend when we already hold it (a retried acquire after a lost reply must not lock us out).
const ACQUIRE = `
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
elseif v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export class CameraLeaseManager {
  /** Stored as the lease value: `<ownerId>#<random>`. */
  readonly token: string;
  readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    opts: CameraLeaseOptions,
  ) {
    if (!(opts.ttlMs >= 100)) throw new RangeError('lease ttlMs must be >= 100');
    this.ttlMs = Math.round(opts.ttlMs);
    this.token = `${opts.ownerId}#${randomBytes(6).toString('hex')}`;
  }

  /** Takes the camera if nobody holds it (or we already do). */
  async tryAcquire(cameraId: string): Promise<boolean> {
    return (await this.redis.eval(ACQUIRE, 1, redisKey.cameraLease(cameraId), this.token, this.ttlMs)) === 1;
  }

  /** Extends our lease; false when it is no longer ours (expired and maybe taken): stop the camera at once. */
  async renew(cameraId: string): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, redisKey.cameraLease(cameraId), this.token, this.ttlMs)) === 1;
  }

  /** Gives the camera up, only if we still hold it. */
  async release(cameraId: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, redisKey.cameraLease(cameraId), this.token)) === 1;
  }

  /** The owner id (host:pid part of the token) currently holding the camera, or null. */
  async owner(cameraId: string): Promise<string | null> {
    const v = await this.redis.get(redisKey.cameraLease(cameraId));
    return v === null ? null : v.replace(/#[0-9a-f]+$/, '');
  }
}

/** The compare-and-set scripts on an owner token, for other single-holder leases (e.g. a leader lease). */
export const LEASE_SCRIPTS = { acquire: ACQUIRE, renew: RENEW, release: RELEASE } as const;
