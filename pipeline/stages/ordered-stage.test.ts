import { describe, expect, it } from 'vitest';
import { CAMERA_DEFAULTS, type CameraConfig } from '../config/camera-config.schema.js';
import type { Detection, FrameDetections } from '../domain.types.js';
import { ReorderBuffer } from '../ordering/reorder-buffer.js';
import { CameraAnalysisStage } from './camera-analysis.stage.js';

const camera: CameraConfig = {
  id: 'cam',
  name: 'cam',
  url: 'file:///dev/null',
  enabled: true,
  group: null,
  ...CAMERA_DEFAULTS,
  lines: [{ id: 'L1', points: [[0.5, 1], [0.5, 0]] }],
  zones: [],
};

const box = (cx: number, cy: number): Detection['box'] => ({ x: cx - 20, y: cy - 12, w: 40, h: 24 });

/** Cars in 4 lanes, alternately left→right and right→left, entering at staggered times; deterministic jitter. */
function frames(n: number): FrameDetections[] {
  return Array.from({ length: n }, (_, k) => {
    const detections: Detection[] = [];
    for (let lane = 0; lane < 4; lane++) {
      for (let car = 0; car < 3; car++) {
        const start = car * 25 + lane * 4;
        const age = k - start;
        if (age < 0 || age > 30) continue;
        const dir = lane % 2 === 0 ? 1 : -1;
        const x = dir > 0 ? 20 + 20 * age : 620 - 20 * age;
        const jitter = ((k * 7 + lane * 13 + car * 5) % 5) - 2;
        detections.push({ box: box(x + jitter, 60 + 70 * lane), score: 0.6 + 0.1 * ((k + lane) % 4), cls: 'car' });
      }
    }
    return {
      cameraId: 'cam',
      epoch: 'e',
      seq: k,
      ptsMs: k * 200,
      capturedAt: 1_700_000_000_000 + k * 200,
      width: 640,
      height: 360,
      frameKey: `f${k}`,
      detections,
      inferenceMs: 1,
      workerId: 'w',
    };
  });
}

function runInOrder(fs: FrameDetections[]) {
  const stage = new CameraAnalysisStage(camera, 'e');
  const crossings = fs.flatMap((f) => stage.process(f).crossings);
  return { crossings, counts: stage.countsSummary() };
}

describe('reorder buffer + stage', () => {
  it('results finishing out of order (parallel workers, duplicates from retries) count exactly as in order', () => {
    const fs = frames(110);
    const expected = runInOrder(fs);
    expect(expected.counts.lines[0]!.total).toBe(12);
    expect(expected.counts.lines[0]!.byDirection).toEqual({ forward: 6, backward: 6 });

    // Deterministic shuffle within windows of 6 (about what 4–6 parallel workers produce), plus duplicates.
    const arrivals: FrameDetections[] = [];
    for (let i = 0; i < fs.length; i += 6) {
      const w = fs.slice(i, i + 6);
      const order = [3, 0, 5, 1, 4, 2].filter((j) => j < w.length);
      for (const j of order) arrivals.push(w[j]!);
      if (i % 24 === 0) arrivals.push(w[0]!); // a retried job answering twice
    }
    const rb = new ReorderBuffer<FrameDetections>({ now: () => 0 });
    const stage = new CameraAnalysisStage(camera, 'e');
    const crossings = [];
    for (const fd of arrivals) {
      rb.push(fd.seq, fd);
      for (const ready of rb.drain()) crossings.push(...stage.process(ready).crossings);
    }
    expect(crossings).toEqual(expected.crossings);
    expect(stage.countsSummary()).toEqual(expected.counts);
    expect(rb.stats().duplicates + rb.stats().late).toBeGreaterThan(0);
  });
});
