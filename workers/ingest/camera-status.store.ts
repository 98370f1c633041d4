/**
 * Live camera status in Redis: one hash per camera (`redisKey.cameraStatus`), written by the camera's owner with a
 * TTL so that a dead owner's status disappears instead of claiming "online" forever. Readers (API, other ingest
 * processes) see the latest status from any machine.
 */
import type { Redis } from 'ioredis';
import type { CameraState, CameraStatus } from '../../pipeline/domain.types.js';
import { redisKey } from '../queues/job-registry.js';

// Written only while the writer still holds the camera's lease: a process that just lost the camera cannot
// overwrite the new owner's status with a stale one.
const PUBLISH_IF_OWNER = `
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

const STATES: ReadonlySet<string> = new Set<CameraState>(['starting', 'online', 'reconnecting', 'failed', 'disabled']);

export function encodeStatus(s: CameraStatus): string[] {
  return [
    'cameraId', s.cameraId,
    'state', s.state,
    'reason', s.reason ?? '',
    'inputFps', String(s.inputFps),
    'analysedFps', String(s.analysedFps),
    'droppedFrames', String(s.droppedFrames),
    'framesTotal', String(s.framesTotal),
    'reconnects', String(s.reconnects),
    'lastFrameAt', s.lastFrameAt === null ? '' : String(s.lastFrameAt),
    'ownerId', s.ownerId ?? '',
    'updatedAt', String(s.updatedAt),
  ];
}

export function decodeStatus(h: Record<string, string>): CameraStatus | null {
  if (!h.cameraId || !h.state || !STATES.has(h.state)) return null;
  const num = (v: string | undefined) => (v === undefined || v === '' ? 0 : Number(v));
  return {
    cameraId: h.cameraId,
    state: h.state as CameraState,
    reason: h.reason ? h.reason : null,
    inputFps: num(h.inputFps),
    analysedFps: num(h.analysedFps),
    droppedFrames: num(h.droppedFrames),
    framesTotal: num(h.framesTotal),
    reconnects: num(h.reconnects),
    lastFrameAt: h.lastFrameAt ? Number(h.lastFrameAt) : null,
    ownerId: h.ownerId ? h.ownerId : null,
    updatedAt: num(h.updatedAt),
  };
}

export interface CameraStatusStoreOptions {
  /** How long a status survives without being re-published, ms. @default 30000 */
  ttlMs?: number;
}

export class RedisCameraStatusStore {
  readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    opts: CameraStatusStoreOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 30_000;
  }

  /**
   * Writes the status. With `leaseToken`, only while that token still holds the camera's lease; returns whether it
   * was written.
   */
  async publish(s: CameraStatus, leaseToken?: string): Promise<boolean> {
    const keys = [redisKey.cameraStatus(s.cameraId), redisKey.cameraLease(s.cameraId)];
    const r = await this.redis.eval(PUBLISH_IF_OWNER, 2, ...keys, leaseToken ?? '', this.ttlMs, ...encodeStatus(s));
    return r === 1;
  }

  async read(cameraId: string): Promise<CameraStatus | null> {
    return decodeStatus(await this.redis.hgetall(redisKey.cameraStatus(cameraId)));
  }

  async readMany(cameraIds: string[]): Promise<Map<string, CameraStatus>> {
    const out = new Map<string, CameraStatus>();
    if (cameraIds.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const id of cameraIds) pipe.hgetall(redisKey.cameraStatus(id));
    const res = (await pipe.exec()) ?? [];
    res.forEach(([err, h], i) => {
      if (err) return;
      const s = decodeStatus(h as Record<string, string>);
      if (s) out.set(cameraIds[i]!, s);
    });
    return out;
  }
}
