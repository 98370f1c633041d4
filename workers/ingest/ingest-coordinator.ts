/**
 * The control loop of one ingest process: every `leaseTtlMs / 3` it renews the leases of its cameras (stopping a
 * camera at once when its lease was lost) and tries to take unowned cameras up to `maxCameras`. For each camera it
 * owns it runs a CameraSupervisor whose frames go to a sink opened by the composition root (the frame dispatcher),
 * and publishes the camera's status to Redis (guarded by the lease) and to an `onStatus` hook.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CameraConfig } from '../../pipeline/config/camera-config.schema.js';
import type { CameraStatus } from '../../pipeline/domain.types.js';
import type { FrameSource, SourceFrame } from '../../pipeline/sources/frame-source.port.js';
import { redisKey } from '../queues/job-registry.js';
import { processId } from '../runtime/epoch.js';
import { CameraLeaseManager } from './camera-lease.js';
import { RedisCameraStatusStore } from './camera-status.store.js';
import { CameraSupervisor, type CameraSupervisorOptions, type StatusPatch } from './camera-supervisor.js';
import { silentLogger, systemClock, type Clock, type IngestLogger } from './ingest.types.js';

/** Where an owned camera's frames go (the dispatcher: frame store + queue, bounded, drops counted). */
export interface CameraSink {
  onFrame(f: SourceFrame): Promise<void> | void;
  /** Dispatcher counters merged into the camera's status. */
  stats?(): StatusPatch;
  /** Called when the camera is given up (lease lost, removed from config, shutdown). */
  close?(): Promise<void> | void;
}

export interface IngestCoordinatorOptions {
  redis: Redis;
  cameras: CameraConfig[];
  /** Opens a fresh frame source per connection attempt. */
  source: (camera: CameraConfig) => FrameSource;
  /** Called each time this process takes a camera; the sink lives until the camera is given up. */
  openCamera: (camera: CameraConfig, supervisor: CameraSupervisor) => CameraSink | Promise<CameraSink>;
  /** Every status of every owned camera (e.g. to persist to Postgres). */
  onStatus?: (s: CameraStatus) => void;
  /** @default host:pid */
  ownerId?: string;
  /** Lease lifetime, ms: a dead process's cameras are taken over after at most about ttl × 4/3. @default 15000 */
  leaseTtlMs?: number;
  /** Most cameras this process owns at once. @default unlimited */
  maxCameras?: number;
  /**
   * Share cameras evenly among the live ingest processes (heartbeats in Redis): a process takes at most
   * ceil(cameras / processes) and hands extra ones back when another process joins. A camera left unowned for
   * three rounds may be taken beyond the share (e.g. when other processes are capped by `maxCameras`).
   * @default true
   */
  balance?: boolean;
  /** Lifetime of a published status without refresh, ms. @default 2 × leaseTtlMs */
  statusTtlMs?: number;
  /** Options passed to every supervisor (backoff, timeouts, status period). */
  supervisor?: Partial<Omit<CameraSupervisorOptions, 'camera' | 'source' | 'onFrame' | 'onStatus' | 'clock' | 'logger' | 'ownerId'>>;
  clock?: Clock;
  logger?: IngestLogger;
}

interface Owned {
  camera: CameraConfig;
  supervisor: CameraSupervisor;
  sink: CameraSink | null;
  /** Local time of the last successful acquire/renew: bounds how long we trust the lease when Redis is unreachable. */
  renewedAt: number;
}

export type GiveUpReason = 'lease-lost' | 'removed' | 'shutdown' | 'abandoned' | 'rebalanced';

/** Acquisition rounds a camera must be seen unowned before a process takes it beyond its fair share. */
const STARVING_ROUNDS = 3;

export class IngestCoordinator {
  readonly ownerId: string;
  readonly leases: CameraLeaseManager;
  readonly statusStore: RedisCameraStatusStore;
  private cameras: CameraConfig[];
  private readonly owned = new Map<string, Owned>();
  private readonly clock: Clock;
  private readonly log: IngestLogger;
  private readonly ttlMs: number;
  // Renewal has its own loop: a slow acquisition round (openCamera awaiting storage) must never delay renewals
  // of cameras already owned past their TTL.
  private readonly renewer: Periodic;
  private readonly acquirer: Periodic;
  private readonly unownedRounds = new Map<string, number>();
  private started = false;
  private stopped = false;

  constructor(private readonly o: IngestCoordinatorOptions) {
    this.ownerId = o.ownerId ?? processId();
    this.ttlMs = o.leaseTtlMs ?? 15_000;
    this.clock = o.clock ?? systemClock;
    this.log = o.logger ?? silentLogger;
    this.cameras = [...o.cameras];
    this.leases = new CameraLeaseManager(o.redis, { ownerId: this.ownerId, ttlMs: this.ttlMs });
    this.statusStore = new RedisCameraStatusStore(o.redis, { ttlMs: o.statusTtlMs ?? 2 * this.ttlMs });
    const periodMs = Math.max(50, Math.floor(this.ttlMs / 3));
    const onError = (what: string) => (err: unknown) => this.log.error({ err }, `ingest coordinator ${what} round failed`);
    this.renewer = new Periodic(() => this.renewAll(), periodMs, this.clock, onError('renewal'));
    this.acquirer = new Periodic(() => this.acquire(), periodMs, this.clock, onError('acquisition'));
  }

  /** Runs the first round at once (so cameras start without waiting a period), then every leaseTtlMs / 3. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    void this.renewer.run();
    await this.acquirer.run();
  }

  /** Graceful shutdown (SIGTERM): stops every camera, publishes a last status and releases the leases. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([this.renewer.stop(), this.acquirer.stop()]);
    await Promise.all([...this.owned.keys()].map((id) => this.giveUp(id, 'shutdown')));
    await this.o.redis.zrem(this.membersKey(), this.leases.token).catch(() => undefined);
  }

  /**
   * Stops everything WITHOUT releasing the leases, as if the process had died: the cameras are taken over by
   * another process only once the leases expire. For tests and for a fast exit when Redis is gone.
   */
  async abandon(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.renewer.stop(), this.acquirer.stop()]);
    await Promise.all([...this.owned.keys()].map((id) => this.giveUp(id, 'abandoned')));
  }

  /** Replaces the camera list (config reload): removed or changed cameras are given up and retaken. */
  async setCameras(cameras: CameraConfig[]): Promise<void> {
    const next = new Map(cameras.map((c) => [c.id, c]));
    this.cameras = [...cameras];
    await Promise.all(
      [...this.owned.values()]
        .filter((w) => {
          const n = next.get(w.camera.id);
          return !n || !n.enabled || stableJson(n) !== stableJson(w.camera);
        })
        .map((w) => this.giveUp(w.camera.id, 'removed')),
    );
    if (this.started && !this.stopped) await this.acquirer.run();
  }

  /** Ids of the cameras this process owns now. */
  ownedCameraIds(): string[] {
    return [...this.owned.keys()];
  }

  supervisor(cameraId: string): CameraSupervisor | undefined {
    return this.owned.get(cameraId)?.supervisor;
  }

  statuses(): CameraStatus[] {
    return [...this.owned.values()].map((w) => w.supervisor.status());
  }

  private async renewAll(): Promise<void> {
    await Promise.all([...this.owned.values()].map((w) => this.renew(w)));
  }

  private async acquire(): Promise<void> {
    const max = this.o.maxCameras ?? Infinity;
    let share = Infinity;
    if (this.o.balance ?? true) {
      const members = await this.heartbeat();
      share = Math.ceil(this.cameras.filter((c) => c.enabled).length / Math.max(1, members));
      const excess = this.owned.size - share;
      if (excess > 0) {
        // Newest first: the cameras running longest keep their tracks.
        const extra = [...this.owned.keys()].slice(-excess);
        this.log.info({ ownerId: this.ownerId, members, share, handBack: extra }, 'balancing: handing cameras back');
        await Promise.all(extra.map((id) => this.giveUp(id, 'rebalanced')));
      }
    }
    // Random order: processes starting together do not all contend for the same camera first.
    const candidates = shuffle(this.cameras.filter((c) => c.enabled && !this.owned.has(c.id)));
    for (const camera of candidates) {
      if (this.stopped || this.owned.size >= max) break;
      if (this.owned.has(camera.id)) continue;
      const starving = (this.unownedRounds.get(camera.id) ?? 0) >= STARVING_ROUNDS;
      try {
        if (this.owned.size >= share && !starving) {
          // Over our share: only watch whether someone else has it.
          const held = (await this.leases.owner(camera.id)) !== null;
          this.unownedRounds.set(camera.id, held ? 0 : (this.unownedRounds.get(camera.id) ?? 0) + 1);
          continue;
        }
        const got = await this.leases.tryAcquire(camera.id);
        this.unownedRounds.delete(camera.id);
        if (got) await this.take(camera);
      } catch (err) {
        this.log.warn({ err, cameraId: camera.id }, 'lease acquire failed (Redis)');
        break;
      }
    }
  }

  /**
   * Processes balance only with processes serving the same camera list (all ingest processes of a deployment read
   * the same list), so unrelated deployments or test runs on one Redis never shrink each other's share.
   */
  private membersKey(): string {
    const ids = this.cameras.filter((c) => c.enabled).map((c) => c.id).sort();
    return redisKey.ingestMembers(createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 16));
  }

  /** Announces this process as alive and returns how many ingest processes are. */
  private async heartbeat(): Promise<number> {
    const key = this.membersKey();
    const now = this.clock.now();
    const res = await this.o.redis
      .multi()
      .zadd(key, now + this.ttlMs, this.leases.token)
      .zremrangebyscore(key, '-inf', now)
      .zcard(key)
      .pexpire(key, this.ttlMs * 4)
      .exec();
    const n = Number(res?.[2]?.[1] ?? 1);
    return Number.isFinite(n) && n > 0 ? n : 1;
  }

  private async renew(w: Owned): Promise<void> {
    const id = w.camera.id;
    // The lease runs from when Redis applied the renewal, at the earliest when we sent it: count from here.
    const sentAt = this.clock.now();
    let ok: boolean;
    try {
      // A client that queues commands while Redis is away (maxRetriesPerRequest: null) would hang here forever,
      // and the camera would outlive its lease: bound the wait.
      ok = await this.withTimeout(this.leases.renew(id), Math.max(50, Math.floor(this.ttlMs / 3)), 'lease renewal');
    } catch (err) {
      // Redis unreachable: keep the camera while our last renewal still covers us (with a margin of one period).
      const keep = this.clock.now() - w.renewedAt < (this.ttlMs * 2) / 3;
      this.log.warn({ err, cameraId: id, keep }, 'lease renewal failed (Redis)');
      if (keep) return;
      this.log.warn({ cameraId: id, ownerId: this.ownerId }, 'lease may have expired: stopping the camera');
      await this.giveUp(id, 'lease-lost');
      return;
    }
    if (ok) {
      w.renewedAt = sentAt;
      return;
    }
    this.log.warn({ cameraId: id, ownerId: this.ownerId }, 'camera lease lost: stopping the camera');
    await this.giveUp(id, 'lease-lost');
  }

  private withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = this.clock.setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      p.then(
        (v) => {
          this.clock.clearTimeout(t);
          resolve(v);
        },
        (err: unknown) => {
          this.clock.clearTimeout(t);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  private async take(camera: CameraConfig): Promise<void> {
    let sink: CameraSink | null = null;
    const supervisor: CameraSupervisor = new CameraSupervisor({
      ...this.o.supervisor,
      camera,
      source: this.o.source,
      onFrame: (f) => (sink ? sink.onFrame(f) : undefined),
      onStatus: (s) => this.publish(s),
      ownerId: this.ownerId,
      clock: this.clock,
      logger: this.log,
    });
    const w: Owned = { camera, supervisor, sink: null, renewedAt: this.clock.now() };
    this.owned.set(camera.id, w);
    try {
      sink = await this.o.openCamera(camera, supervisor);
      w.sink = sink;
    } catch (err) {
      this.log.error({ err, cameraId: camera.id }, 'could not open the camera sink: releasing the camera');
      this.owned.delete(camera.id);
      await this.leases.release(camera.id).catch(() => undefined);
      return;
    }
    if (this.stopped || this.owned.get(camera.id) !== w) {
      await sink.close?.();
      return;
    }
    this.log.info({ cameraId: camera.id, ownerId: this.ownerId }, 'camera taken');
    supervisor.start();
  }

  private async giveUp(cameraId: string, why: GiveUpReason): Promise<void> {
    const w = this.owned.get(cameraId);
    if (!w) return;
    this.owned.delete(cameraId);
    await w.supervisor.stop();
    try {
      await w.sink?.close?.();
    } catch (err) {
      this.log.warn({ err, cameraId }, 'camera sink close failed');
    }
    if (why === 'shutdown' || why === 'removed' || why === 'rebalanced') {
      const last: CameraStatus = {
        ...this.withStats(w),
        state: 'reconnecting',
        reason:
          why === 'shutdown'
            ? `owner ${this.ownerId} shut down: waiting for another ingest process`
            : why === 'rebalanced'
              ? `handed over by ${this.ownerId} to balance load`
              : 'removed from this process',
        inputFps: 0,
        analysedFps: 0,
        updatedAt: this.clock.now(),
      };
      try {
        await this.statusStore.publish(last, this.leases.token);
        await this.leases.release(cameraId);
      } catch (err) {
        this.log.warn({ err, cameraId }, 'lease release failed: it will expire');
      }
    }
    this.log.info({ cameraId, why }, 'camera given up');
  }

  private withStats(w: Owned): CameraStatus {
    const p = w.sink?.stats?.();
    if (p) w.supervisor.patchStatus(p);
    return w.supervisor.status();
  }

  private publish(s: CameraStatus): void {
    const w = this.owned.get(s.cameraId);
    const status = w ? this.withStats(w) : s;
    // The supervisor's state is authoritative; the rest is refreshed with the dispatcher's counters.
    const out = { ...status, state: s.state, reason: s.reason };
    try {
      this.o.onStatus?.(out);
    } catch (err) {
      this.log.warn({ err, cameraId: s.cameraId }, 'onStatus hook failed');
    }
    if (!w) return; // no longer ours: never overwrite the next owner's status
    this.statusStore.publish(out, this.leases.token).catch((err: unknown) => {
      this.log.warn({ err, cameraId: s.cameraId }, 'status publish failed');
    });
  }
}

/** Runs `fn` now and then every `periodMs` after each run ends; never two runs at once. */
class Periodic {
  private timer: unknown = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly fn: () => Promise<void>,
    private readonly periodMs: number,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {}

  run(): Promise<void> {
    if (this.running) return this.running;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.running = this.fn()
      .catch(this.onError)
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = this.clock.setTimeout(() => void this.run(), this.periodMs);
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}

/** JSON with sorted keys: two equal configs compare equal whatever order their keys were built in. */
function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
