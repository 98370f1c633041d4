import type { Detection, FrameDetections } from '../../pipeline/domain.types.js';
import type { FrameStore } from '../frames/frame-store.js';
import type { DetectFramePayload } from '../queues/job-registry.js';
import type { ResultPublisher } from '../results/result-channel.js';

/** What the handler needs from a detector (YoloxDetector fits). */
export interface ObjectDetector {
  detect(jpeg: Buffer, opts: { inputSize: number; minScore?: number }): Promise<Detection[]>;
}

export interface DetectFrameDeps {
  frames: FrameStore;
  detector: ObjectDetector;
  results: ResultPublisher;
  /** host:pid of this worker. */
  workerId: string;
}

/**
 * Stateless: loads the frame by reference, detects, publishes the result to the camera owner. Safe to retry: the
 * owner drops duplicate results of a frame, so a job that ran twice still counts once.
 */
export class DetectFrameHandler {
  constructor(private readonly deps: DetectFrameDeps) {}

  async handle(p: DetectFramePayload): Promise<FrameDetections> {
    const jpeg = await this.deps.frames.get(p.frame.frameKey);
    let result: FrameDetections;
    if (!jpeg) {
      // Expired (worker far behind): tell the owner at once instead of letting it wait for a gap timeout.
      result = { ...p.frame, detections: [], inferenceMs: 0, workerId: this.deps.workerId, skipped: 'frame expired' };
    } else {
      const t0 = performance.now();
      const detections = await this.deps.detector.detect(jpeg, { inputSize: p.inputSize, minScore: p.minScore });
      result = { ...p.frame, detections, inferenceMs: performance.now() - t0, workerId: this.deps.workerId };
    }
    await this.deps.results.publish(result);
    return result;
  }
}
