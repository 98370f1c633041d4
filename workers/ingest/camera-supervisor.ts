/**
 * Keeps one camera alive inside the process that owns it: pulls frames from a FrameSource, reconnects with
 * exponential backoff when the source ends (ffmpeg exits 0 when an RTSP server dies), fails, or stays silent for
 * `noFrameTimeoutMs`, and reports a CameraStatus. One supervisor per camera: a bad camera never stalls another.
 */
import type { CameraConfig } from '../../pipeline/config/camera-config.schema.js';
import type { CameraState, CameraStatus } from '../../pipeline/domain.types.js';
import { FrameSourceError, type FrameSource, type SourceFrame } from '../../pipeline/sources/frame-source.port.js';
import { processId } from '../runtime/epoch.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { classifyReason, cleanReason, urlProblem } from './failure-reason.js';
import { silentLogger, systemClock, type Clock, type IngestLogger } from './ingest.types.js';

export interface CameraSupervisorOptions {
  camera: CameraConfig;
  /** Opens a fresh source per connection attempt. */
  source: (camera: CameraConfig) => FrameSource;
  /** Called for every frame, in order; the next frame is pulled once it settles (keep it quick: drop, don't queue). */
  onFrame: (f: SourceFrame) => Promise<void> | void;
  /** Called on every state change and every `statusIntervalMs` while running. */
  onStatus?: (s: CameraStatus) => void;
  /** Reported in the status. @default host:pid */
  ownerId?: string;
  /** Reconnect when no frame arrived for this long, ms. @default camera.noFrameTimeoutMs */
  noFrameTimeoutMs?: number;
  /**
   * Wait this long for the first frame of a connection, ms: connecting and waiting for a keyframe take seconds
   * (2–6 s seen here), which a short `noFrameTimeoutMs` must not cut off. @default max(noFrameTimeoutMs, 15000)
   */
  firstFrameTimeoutMs?: number;
  /** Reconnect delays. @default 500 ms doubling to 30 s, 20 % jitter */
  backoff?: BackoffOptions;
  /** Online this long without interruption resets the backoff, ms. @default 30000 */
  healthyResetMs?: number;
  /** Consecutive "permanent" failures (404, 401, no such file, …) before the camera is marked failed. @default 3 */
  permanentFailureThreshold?: number;
  /** Retry period of a failed camera, ms. @default 60000 */
  failedRetryMs?: number;
  /** Periodic status while running, ms. @default 2000 */
  statusIntervalMs?: number;
  /** Window of the input fps, ms. @default 5000 */
  fpsWindowMs?: number;
  clock?: Clock;
  logger?: IngestLogger;
}

/** Counters the frame dispatcher owns and the supervisor merely reports. */
export interface StatusPatch {
  droppedFrames?: number;
  analysedFps?: number;
}

interface AttemptOutcome {
  reason: string;
  frames: number;
  /** The source failed (non-zero exit / could not open) rather than ended or went silent. */
  failed: boolean;
}

export class CameraSupervisor {
  readonly camera: CameraConfig;
  private readonly o: Required<Omit<CameraSupervisorOptions, 'camera' | 'source' | 'onFrame' | 'onStatus' | 'backoff'>>;
  private readonly backoff: Backoff;
  private state: CameraState = 'starting';
  private reason: string | null = null;
  private framesTotal = 0;
  private reconnects = 0;
  private lastFrameAt: number | null = null;
  private connectionStartedAt: number | null = null;
  private onlineSince: number | null = null;
  private frameTimes: number[] = [];
  private patch: Required<StatusPatch> = { droppedFrames: 0, analysedFps: 0 };
  private frameErrors = 0;
  private permanentStreak = 0;

  private running: Promise<void> | null = null;
  private stopping = false;
  private current: AbortController | null = null;
  private wake: (() => void) | null = null;
  private statusTimer: unknown = null;

  constructor(private readonly opts: CameraSupervisorOptions) {
    this.camera = opts.camera;
    this.o = {
      ownerId: processId(),
      noFrameTimeoutMs: opts.camera.noFrameTimeoutMs,
      firstFrameTimeoutMs: Math.max(opts.noFrameTimeoutMs ?? opts.camera.noFrameTimeoutMs, 15_000),
      healthyResetMs: 30_000,
      permanentFailureThreshold: 3,
      failedRetryMs: 60_000,
      statusIntervalMs: 2000,
      fpsWindowMs: 5000,
      clock: systemClock,
      logger: silentLogger,
      ...stripUndefined(opts),
    };
    this.backoff = new Backoff(opts.backoff);
  }

  /** Starts pulling frames in the background. Idempotent. */
  start(): void {
    if (this.running || this.stopping) return;
    if (!this.camera.enabled) {
      this.setState('disabled', 'disabled in config');
      return;
    }
    this.emit(); // 'starting': visible before the first connection attempt ends
    this.running = this.run().catch((err: unknown) => {
      // run() handles every source error itself; reaching here is a bug, which must not kill the process.
      this.o.logger.error({ cameraId: this.camera.id, err }, 'camera supervisor crashed');
      this.setState('failed', `internal error: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.scheduleStatus();
  }

  /** Stops at once: kills ffmpeg, cancels a pending reconnect, and resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.current?.abort();
    this.wake?.();
    if (this.statusTimer !== null) this.o.clock.clearTimeout(this.statusTimer);
    this.statusTimer = null;
    await this.running;
  }

  get stopped(): boolean {
    return this.stopping;
  }

  /** Merges counters owned by the dispatcher (dropped frames, analysed fps) into the status. */
  patchStatus(p: StatusPatch): void {
    this.patch = { ...this.patch, ...stripUndefined(p) };
  }

  status(): CameraStatus {
    const now = this.o.clock.now();
    return {
      cameraId: this.camera.id,
      state: this.state,
      reason: this.reason,
      inputFps: this.inputFps(now),
      analysedFps: this.patch.analysedFps,
      droppedFrames: this.patch.droppedFrames,
      framesTotal: this.framesTotal,
      reconnects: this.reconnects,
      lastFrameAt: this.lastFrameAt,
      ownerId: this.o.ownerId,
      updatedAt: now,
    };
  }

  /** Errors thrown by `onFrame` (the frame is skipped, the connection kept). */
  get frameErrorCount(): number {
    return this.frameErrors;
  }

  private async run(): Promise<void> {
    const bad = urlProblem(this.camera.url);
    if (bad) {
      this.o.logger.error({ cameraId: this.camera.id, reason: bad }, 'camera URL can never work: not retried');
      this.setState('failed', bad);
      return;
    }
    let first = true;
    while (!this.stopping) {
      if (!first) this.reconnects++;
      first = false;
      const out = await this.attempt();
      if (this.stopping) break;

      if (out.frames > 0) this.permanentStreak = 0;
      const permanent = out.failed && out.frames === 0 && classifyReason(out.reason) === 'permanent';
      this.permanentStreak = permanent ? this.permanentStreak + 1 : 0;
      let delayMs: number;
      if (this.permanentStreak >= this.o.permanentFailureThreshold) {
        this.setState('failed', out.reason);
        delayMs = this.o.failedRetryMs;
      } else {
        this.setState('reconnecting', out.reason);
        delayMs = this.backoff.next();
      }
      this.o.logger.warn(
        { cameraId: this.camera.id, state: this.state, reason: out.reason, retryInMs: delayMs, reconnects: this.reconnects },
        'camera disconnected',
      );
      await this.sleep(delayMs);
    }
  }

  /** One connection: pull frames until the source ends, fails, goes silent, or we stop. Never throws. */
  private async attempt(): Promise<AttemptOutcome> {
    const ac = new AbortController();
    this.current = ac;
    let frames = 0;
    let silent = false;
    let silentMs = 0;
    let timer: unknown = null;
    const arm = () => {
      if (timer !== null) this.o.clock.clearTimeout(timer);
      const ms = frames === 0 ? this.o.firstFrameTimeoutMs : this.o.noFrameTimeoutMs;
      timer = this.o.clock.setTimeout(() => {
        silent = true;
        silentMs = ms;
        ac.abort();
      }, ms);
    };
    let src: FrameSource | null = null;
    this.connectionStartedAt = this.o.clock.now();
    this.onlineSince = null;
    try {
      src = this.opts.source(this.camera);
      arm();
      for await (const f of src.frames(ac.signal)) {
        if (this.stopping || silent) break;
        const now = this.o.clock.now();
        frames++;
        this.framesTotal++;
        this.lastFrameAt = now;
        this.frameTimes.push(now);
        if (this.frameTimes.length > 4096) this.pruneFrameTimes(now);
        if (frames === 1) {
          this.onlineSince = now;
          this.setState('online', null);
          this.o.logger.info({ cameraId: this.camera.id, reconnects: this.reconnects }, 'camera online');
        } else if (now - this.onlineSince! >= this.o.healthyResetMs) {
          this.backoff.reset();
        }
        // The dispatcher's time does not count as the camera's silence.
        if (timer !== null) this.o.clock.clearTimeout(timer);
        timer = null;
        try {
          await this.opts.onFrame(f);
        } catch (err) {
          this.frameErrors++;
          if (this.frameErrors <= 5 || this.frameErrors % 100 === 0) {
            this.o.logger.warn({ cameraId: this.camera.id, err, frameErrors: this.frameErrors }, 'frame handler failed');
          }
        }
        arm();
      }
      if (silent) return { reason: silentReason(silentMs, frames), frames, failed: false };
      const last = cleanReason(src.lastError());
      return { reason: last ? `stream ended: ${last}` : 'stream ended', frames, failed: false };
    } catch (err) {
      if (silent) return { reason: silentReason(silentMs, frames), frames, failed: false };
      const reason =
        err instanceof FrameSourceError
          ? cleanReason(err.reason)
          : cleanReason(src?.lastError()) ?? cleanReason(err instanceof Error ? err.message : String(err));
      return { reason: reason ?? 'source failed', frames, failed: true };
    } finally {
      if (timer !== null) this.o.clock.clearTimeout(timer);
      ac.abort();
      this.current = null;
      this.onlineSince = null;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = this.o.clock.setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        this.o.clock.clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  private setState(state: CameraState, reason: string | null): void {
    this.state = state;
    this.reason = reason;
    this.emit();
  }

  private emit(): void {
    if (!this.opts.onStatus) return;
    try {
      this.opts.onStatus(this.status());
    } catch (err) {
      this.o.logger.warn({ cameraId: this.camera.id, err }, 'status listener failed');
    }
  }

  private scheduleStatus(): void {
    if (this.stopping) return;
    this.statusTimer = this.o.clock.setTimeout(() => {
      this.emit();
      this.scheduleStatus();
    }, this.o.statusIntervalMs);
  }

  private pruneFrameTimes(now: number): number {
    const from = now - this.o.fpsWindowMs;
    let i = 0;
    while (i < this.frameTimes.length && this.frameTimes[i]! <= from) i++;
    if (i > 0) this.frameTimes = this.frameTimes.slice(i);
    return from;
  }

  /** Frames received over the window, per second; decays to 0 when frames stop. */
  private inputFps(now: number): number {
    const from = this.pruneFrameTimes(now);
    if (this.frameTimes.length === 0) return 0;
    // Just after (re)connecting the window is not full yet: divide by the time actually covered (at least 1 s).
    const coveredMs = Math.min(this.o.fpsWindowMs, now - (this.connectionStartedAt ?? from));
    const fps = this.frameTimes.length / (Math.max(1000, coveredMs) / 1000);
    return Math.round(fps * 100) / 100;
  }
}

function silentReason(ms: number, frames: number): string {
  return frames === 0 ? `no frame within ${ms} ms of connecting` : `no frame for ${ms} ms`;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
