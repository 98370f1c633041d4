/**
 * Offline analysis through the live stages: file (or RTSP URL) → frame source → in-process queue → the same detect
 * handler → in-process result channel → the same per-camera pipeline (reorder → tracker → lines → zone rules) → memory.
 * Needs no Redis, Postgres or S3.
 */
import type { CameraConfig } from '../../pipeline/config/camera-config.schema.js';
import type { FrameDetections } from '../../pipeline/domain.types.js';
import { CameraAnalysisStage } from '../../pipeline/stages/camera-analysis.stage.js';
import { FfmpegFrameSource } from '../../pipeline/sources/ffmpeg-frame.source.js';
import type { FrameSource } from '../../pipeline/sources/frame-source.port.js';
import { CameraPipeline, type StageOutput } from '../camera/camera-pipeline.js';
import { CollectingSink, type LineTotals } from '../camera/collecting.sink.js';
import { MemoryFrameStore } from '../frames/frame-store.js';
import { DetectFrameHandler, type ObjectDetector } from '../handlers/detect-frame.handler.js';
import { InProcessFrameQueue } from '../queues/frame-queue.js';
import { MemoryResultChannel } from '../results/result-channel.js';
import { newEpoch, processId } from './epoch.js';

export interface OfflineAnalysisOptions {
  camera: CameraConfig;
  /** The input; defaults to camera.url. */
  input?: string;
  detector: ObjectDetector;
  source?: FrameSource;
  /** Epoch ms of the recording's first frame (frame times are this + stream time). @default when analysis starts */
  startTimeMs?: number;
  /** Stop after this much stream time (for live inputs). */
  maxDurationSeconds?: number;
  onProgress?: (p: { framesAnalysed: number; ptsMs: number }) => void;
  onFrame?: (fd: FrameDetections, out: StageOutput) => void;
  signal?: AbortSignal;
}

export interface OfflineAnalysisResult {
  framesAnalysed: number;
  durationSeconds: number;
  tracks: number;
  lines: LineTotals[];
  sink: CollectingSink;
}

export async function analyzeVideo(o: OfflineAnalysisOptions): Promise<OfflineAnalysisResult> {
  const cam = o.camera;
  const epoch = newEpoch();
  const frames = new MemoryFrameStore();
  const channel = new MemoryResultChannel();
  const handler = new DetectFrameHandler({ frames, detector: o.detector, results: channel, workerId: processId() });
  const queue = new InProcessFrameQueue(async (p) => {
    await handler.handle(p);
  });
  const sink = new CollectingSink(o.onFrame);
  const pipeline = new CameraPipeline({
    camera: cam,
    epoch,
    frames,
    queue,
    results: channel,
    // The camera's zone rules run here as in the live owner: their signals reach `onFrame` (out.signals).
    stage: new CameraAnalysisStage(cam, epoch),
    sink,
    policy: 'wait',
    // Offline nothing is lost: a result can only be late because the machine is busy.
    gapTimeoutMs: 10 * 60_000,
  });
  pipeline.start();
  const source = o.source ?? new FfmpegFrameSource({ url: o.input ?? cam.url, fps: cam.fps });
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let frameCount = 0;
  let lastPts = 0;
  try {
    let startedAt: number | null = null;
    for await (const frame of source.frames(ac.signal)) {
      // A file is read faster than real time: its frames are timed by the recording (stream time from the first
      // frame), so that dwell times, crowd durations and crossing times mean the same as live.
      startedAt ??= o.startTimeMs ?? frame.receivedAt;
      const f = { ...frame, receivedAt: startedAt + frame.ptsMs };
      if (o.maxDurationSeconds !== undefined && f.ptsMs > o.maxDurationSeconds * 1000) break;
      frameCount++;
      lastPts = f.ptsMs;
      await pipeline.dispatch(f);
      o.onProgress?.({ framesAnalysed: sink.framesAnalysed, ptsMs: f.ptsMs });
    }
    await pipeline.drain();
    await pipeline.finish();
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await pipeline.stop();
    await queue.close();
  }
  return {
    framesAnalysed: sink.framesAnalysed,
    durationSeconds: frameCount ? Math.round((lastPts / 1000 + 1 / cam.fps) * 100) / 100 : 0,
    tracks: sink.trackCount,
    lines: sink.lineTotals(cam.lines.map((l) => l.id)),
    sink,
  };
}
