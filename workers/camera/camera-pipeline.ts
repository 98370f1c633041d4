/**
 * The per-camera path inside the process that owns the camera: sampled frame → frame store → detect queue, then
 * results (from any worker, in any order) → reorder by seq → tracker/lines stage → sink. Offline analysis uses the
 * same class with in-process adapters and the 'wait' policy.
 */
import type { CameraConfig } from '../../pipeline/config/camera-config.schema.js';
import type { FrameDetections, FrameRef, LineCrossing, TrackedObject, TrackSummary } from '../../pipeline/domain.types.js';
import type { IncidentSignal } from '../../pipeline/incidents/incident.types.js';
import { ReorderBuffer } from '../../pipeline/ordering/reorder-buffer.js';
import type { SourceFrame } from '../../pipeline/sources/frame-source.port.js';
import { decodeGraySmall } from '../../pipeline/motion/gray-frame.js';
import { fuseMotion } from '../../pipeline/motion/motion-fusion.js';
import { MotionDetector, type MotionBlob } from '../../pipeline/motion/motion.detector.js';
import type { FrameStore } from '../frames/frame-store.js';
import type { FrameQueue } from '../queues/frame-queue.js';
import type { DetectFramePayload } from '../queues/job-registry.js';
import type { ResultSubscriber } from '../results/result-channel.js';

export interface StageOutput {
  tracks: TrackedObject[];
  crossings: LineCrossing[];
  endedTracks: TrackSummary[];
  /** Signals raised by zone rules on this frame. */
  signals?: IncidentSignal[];
}

/** The ordered, stateful stage (CameraAnalysisStage). */
export interface AnalysisStage {
  process(fd: FrameDetections): StageOutput;
  finish(): StageOutput;
}

/** Where analysed frames go, in frame order (Postgres + S3 live; memory offline). */
export interface AnalysisSink {
  onAnalysed(fd: FrameDetections, out: StageOutput): Promise<void>;
  onFinish(out: StageOutput): Promise<void>;
}

export type BackpressurePolicy = 'drop-oldest' | 'wait';

export interface CameraPipelineOptions {
  camera: CameraConfig;
  epoch: string;
  frames: FrameStore;
  queue: FrameQueue;
  results: ResultSubscriber;
  stage: AnalysisStage;
  sink: AnalysisSink;
  /** Live cameras drop the oldest frame not yet queued when inference lags; offline analysis waits instead. */
  policy: BackpressurePolicy;
  /** How long a frame stays in the frame store. @default 60000 */
  frameTtlMs?: number;
  /** A result missing for this long is given up so that one lost job cannot stall the camera. @default 20000 */
  gapTimeoutMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export interface CameraPipelineStats {
  framesIn: number;
  dropped: number;
  analysed: number;
  /** Frames whose result never came (gap timeout) or came back skipped. */
  lost: number;
  inFlight: number;
  analysedFps: number;
  /** Capture → through the ordered stage, ms, over the last 1000 frames. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

interface InFlight {
  payload: DetectFramePayload;
  receivedAt: number;
  /** Moving blobs of this frame (motion assist), computed in frame order at dispatch. */
  motion: MotionBlob[] | null;
}

/** Width of the gray frame the motion detector works on: enough for vehicles, cheap per frame. */
const MOTION_WIDTH = 192;
/** With motion assist the detector also returns weak boxes, which can lend their class to a moving blob. */
const WEAK_DETECTION_SCORE = 0.05;

export class CameraPipeline {
  private seq = 0;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly reorder: ReorderBuffer<FrameDetections>;
  private unsubscribe: (() => void) | null = null;
  private tick: NodeJS.Timeout | null = null;
  private sinkChain: Promise<void> = Promise.resolve();
  private waiters: Array<() => void> = [];
  /** The newest frame waiting for a free in-flight slot (live policy). */
  private held: SourceFrame | null = null;
  /** Frames between the slot check and their job being queued. */
  private sending = 0;
  private sendChain: Promise<void> = Promise.resolve();
  private readonly latencies: number[] = [];
  private readonly analysedTimes: number[] = [];
  private counters = { framesIn: 0, dropped: 0, analysed: 0, lost: 0 };
  private readonly now: () => number;
  private readonly o: Required<Pick<CameraPipelineOptions, 'frameTtlMs' | 'gapTimeoutMs'>>;
  private stopped = false;
  private readonly motion: MotionDetector | null;

  constructor(private readonly opts: CameraPipelineOptions) {
    this.motion = opts.camera.motionAssist ? new MotionDetector() : null;
    this.now = opts.now ?? Date.now;
    this.o = { frameTtlMs: opts.frameTtlMs ?? 60_000, gapTimeoutMs: opts.gapTimeoutMs ?? 20_000 };
    this.reorder = new ReorderBuffer<FrameDetections>({ gapTimeoutMs: this.o.gapTimeoutMs, now: this.now });
  }

  get camera(): CameraConfig {
    return this.opts.camera;
  }

  start(): void {
    this.unsubscribe = this.opts.results.subscribe(this.opts.camera.id, (fd) => this.onResult(fd));
    this.tick = setInterval(() => this.advance(), 200);
    this.tick.unref();
  }

  /**
   * Takes one sampled frame from the capture stage. At most `maxInFlightFrames` frames of the camera are queued or
   * being analysed. Live ('drop-oldest'): beyond that only the newest frame waits here, and the frame it replaces is
   * dropped and counted before any work was spent on it (no store write, no job, no motion decode), so a lagging
   * inference tier costs the camera owner almost nothing. Offline ('wait'): the source is held until a slot frees.
   */
  async dispatch(f: SourceFrame): Promise<void> {
    if (this.stopped) return;
    this.counters.framesIn++;
    const max = this.opts.camera.maxInFlightFrames;
    if (this.opts.policy === 'wait') {
      while (this.inFlight.size + this.sending >= max && !this.stopped) await new Promise<void>((r) => this.waiters.push(r));
      if (this.stopped) return;
      await this.enqueueSend(f);
      return;
    }
    if (this.inFlight.size + this.sending < max) {
      await this.enqueueSend(f);
      return;
    }
    if (this.held) this.counters.dropped++;
    this.held = f;
  }

  /** Sends the held frame once a slot is free (called whenever frames leave the in-flight set). */
  private sendHeld(): void {
    if (!this.held || this.stopped || this.inFlight.size + this.sending >= this.opts.camera.maxInFlightFrames) return;
    const f = this.held;
    this.held = null;
    this.enqueueSend(f).catch((err: unknown) => this.report(err));
  }

  /** Sends run one after another: seqs and the motion model must follow frame order. */
  private enqueueSend(f: SourceFrame): Promise<void> {
    this.sending++;
    const p = this.sendChain.then(() => this.send(f)).finally(() => this.sending--);
    this.sendChain = p.catch(() => undefined);
    return p;
  }

  private async send(f: SourceFrame): Promise<void> {
    if (this.stopped) return;
    const cam = this.opts.camera;
    const seq = this.seq++;
    const id = { cameraId: cam.id, epoch: this.opts.epoch, seq };
    let frameKey: string;
    try {
      frameKey = await this.opts.frames.put(id, f.jpeg, this.o.frameTtlMs);
    } catch (err) {
      // Nothing was queued for this seq: let the reorder buffer pass over it instead of waiting for the gap timeout.
      this.reorder.skip(seq);
      throw err;
    }
    const frame: FrameRef = { ...id, ptsMs: f.ptsMs, capturedAt: f.receivedAt, width: f.width, height: f.height, frameKey };
    const minScore = this.motion ? Math.min(cam.minScore, WEAK_DETECTION_SCORE) : cam.minScore;
    const payload: DetectFramePayload = { frame, inputSize: cam.inputSize, minScore };
    // The background model must see frames in order: update it here, where frames are sent in order.
    let motion: MotionBlob[] | null = null;
    if (this.motion) {
      try {
        motion = this.motion.update(await decodeGraySmall(f.jpeg, MOTION_WIDTH), f.width, f.height, f.ptsMs);
      } catch (err) {
        this.report(err);
      }
    }
    this.inFlight.set(seq, { payload, receivedAt: f.receivedAt, motion });
    try {
      await this.opts.queue.add(payload);
    } catch (err) {
      this.inFlight.delete(seq);
      this.reorder.skip(seq);
      this.counters.lost++;
      void this.opts.frames.delete(frameKey).catch(() => undefined);
      throw err;
    }
  }

  private onResult(fd: FrameDetections): void {
    if (fd.epoch !== this.opts.epoch) return; // a previous owner's frame
    if (!this.inFlight.has(fd.seq)) return; // duplicate of a retried job, or already given up
    this.reorder.push(fd.seq, fd);
    this.advance();
  }

  /** Moves every result that is ready, in seq order, through the stage. */
  private advance(): void {
    const t = this.now();
    const ready = this.reorder.drain(t);
    // Frames given up by the reorder buffer (gap timeout) leave the in-flight set too.
    for (const seq of this.reorder.takeGivenUp()) {
      if (this.inFlight.delete(seq)) this.counters.lost++;
    }
    for (const fd of ready) {
      const e = this.inFlight.get(fd.seq);
      this.inFlight.delete(fd.seq);
      if (fd.skipped) {
        this.counters.lost++;
        continue;
      }
      let out: StageOutput;
      try {
        const input = e?.motion ? { ...fd, detections: fuseMotion(fd.detections, e.motion) } : fd;
        out = this.opts.stage.process(input);
      } catch (err) {
        this.report(err);
        continue;
      }
      this.counters.analysed++;
      const done = this.now();
      this.analysedTimes.push(done);
      if (this.analysedTimes.length > 100) this.analysedTimes.shift();
      if (e) {
        this.latencies.push(done - e.receivedAt);
        if (this.latencies.length > 1000) this.latencies.shift();
      }
      this.sinkChain = this.sinkChain.then(() => this.opts.sink.onAnalysed(fd, out)).catch((err: unknown) => this.report(err));
    }
    this.sendHeld();
    if (this.waiters.length && this.inFlight.size < this.opts.camera.maxInFlightFrames) {
      const w = this.waiters;
      this.waiters = [];
      for (const r of w) r();
    }
  }

  /** Waits until every dispatched frame went through the stage and the sink (offline end of input). */
  async drain(timeoutMs = 120_000): Promise<void> {
    const deadline = this.now() + timeoutMs;
    while ((this.inFlight.size > 0 || this.sending > 0) && this.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      this.advance();
    }
    await this.sinkChain;
  }

  /** Ends the stage (ends every track) and flushes the sink. */
  async finish(): Promise<void> {
    const out = this.opts.stage.finish();
    this.sinkChain = this.sinkChain.then(() => this.opts.sink.onFinish(out)).catch((err: unknown) => this.report(err));
    await this.sinkChain;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.tick) clearInterval(this.tick);
    for (const r of this.waiters) r();
    this.waiters = [];
    this.held = null;
    await this.sendChain;
    await this.sinkChain;
  }

  stats(): CameraPipelineStats {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : null);
    const times = this.analysedTimes;
    const spanMs = times.length > 1 ? times[times.length - 1]! - times[0]! : 0;
    return {
      ...this.counters,
      inFlight: this.inFlight.size,
      analysedFps: spanMs > 0 ? ((times.length - 1) * 1000) / spanMs : 0,
      latencyP50Ms: q(0.5),
      latencyP95Ms: q(0.95),
    };
  }

  /** All latency samples (ms), for benchmarks. */
  latencySamples(): number[] {
    return [...this.latencies];
  }

  private report(err: unknown): void {
    (this.opts.onError ?? ((e) => console.error(`[camera ${this.opts.camera.id}]`, e)))(err);
  }
}
