import { describe, expect, it } from 'vitest';
import { MODEL_CATALOGUE } from '../catalogue/model-catalogue.js';
import { encodePng, type RgbImage } from '../image/rgb-image.js';
import { ort, type OnnxModel } from '../runtime/onnx-session.js';
import { YoloxDetector, yoloxInputShape } from './yolox.detector.js';

describe('yoloxInputShape', () => {
  it('keeps the long side and rounds the short side up to a multiple of 32', () => {
    expect(yoloxInputShape(640, 360, 416)).toEqual({ width: 416, height: 256 });
    expect(yoloxInputShape(1920, 1080, 640)).toEqual({ width: 640, height: 384 });
    expect(yoloxInputShape(360, 640, 416)).toEqual({ width: 256, height: 416 });
    expect(yoloxInputShape(500, 500, 416)).toEqual({ width: 416, height: 416 });
    expect(yoloxInputShape(4000, 10, 416)).toEqual({ width: 416, height: 32 });
  });

  it('rejects sizes that are not multiples of 32', () => {
    expect(() => yoloxInputShape(640, 360, 400)).toThrow(RangeError);
    expect(() => yoloxInputShape(640, 360, 0)).toThrow(RangeError);
  });
});

const ROW = 85;
/** Anchors for a 64×32 input: stride 8 → 8×4, 16 → 4×2, 32 → 2×1. */
const ANCHORS = 32 + 8 + 2;

interface FakeAnchor {
  index: number;
  dx: number;
  dy: number;
  logW: number;
  logH: number;
  obj: number;
  cls: Record<number, number>;
}

function fakeModel(anchors: FakeAnchor[], seen: Array<{ dims: readonly number[]; data: Float32Array }>): OnnxModel {
  const out = new Float32Array(ANCHORS * ROW);
  for (const a of anchors) {
    const o = a.index * ROW;
    out.set([a.dx, a.dy, a.logW, a.logH, a.obj], o);
    for (const [c, v] of Object.entries(a.cls)) out[o + 5 + Number(c)] = v;
  }
  return {
    id: 'yolox-nano',
    spec: MODEL_CATALOGUE['yolox-nano'],
    path: '/fake/yolox.onnx',
    session: {} as ort.InferenceSession,
    batchable: false,
    run: async (feeds) => {
      const t = feeds.images!;
      seen.push({ dims: t.dims, data: t.data as Float32Array });
      return { output: new ort.Tensor('float32', out, [1, ANCHORS, ROW]) };
    },
  };
}

/** Stride-16 anchor at grid (1, 1): index 32 + 1·4 + 1. */
const CAR: FakeAnchor = { index: 37, dx: 0.5, dy: 0.5, logW: Math.log(2), logH: 0, obj: 0.9, cls: { 2: 0.8 } };

function grey(width: number, height: number, v = 60): RgbImage {
  return { data: new Uint8Array(width * height * 3).fill(v), width, height };
}

describe('YoloxDetector decode (fake model)', () => {
  it('decodes grid offsets and log sizes back to source pixels', async () => {
    const seen: Array<{ dims: readonly number[]; data: Float32Array }> = [];
    const det = YoloxDetector.fromModel(fakeModel([CAR], seen));
    // 128×64 source at inputSize 64 → 64×32 input, scale 0.5.
    const out = await det.detect(grey(128, 64), { inputSize: 64 });
    expect(seen[0]!.dims).toEqual([1, 3, 32, 64]);
    expect(out).toHaveLength(1);
    const d = out[0]!;
    expect(d.cls).toBe('car');
    expect(d.score).toBeCloseTo(0.72, 5);
    // cx = (1 + 0.5)·16 = 24, w = 2·16 = 32, cy = 24, h = 16 → tensor box (8, 16, 32, 16) → ×2.
    expect(d.box.x).toBeCloseTo(16, 4);
    expect(d.box.y).toBeCloseTo(32, 4);
    expect(d.box.w).toBeCloseTo(64, 4);
    expect(d.box.h).toBeCloseTo(32, 4);
  });

  it('feeds BGR planes, pads the bottom-right with 114 and handles JPEG/PNG bytes the same way', async () => {
    const img: RgbImage = { data: new Uint8Array(128 * 48 * 3), width: 128, height: 48 };
    for (let i = 0; i < 128 * 48; i++) img.data.set([200, 100, 50], i * 3);
    const seen: Array<{ dims: readonly number[]; data: Float32Array }> = [];
    const det = YoloxDetector.fromModel(fakeModel([CAR], seen));
    const fromRgb = await det.detect(img, { inputSize: 64 });
    const fromPng = await det.detect(await encodePng(img), { inputSize: 64 });
    expect(det.lastTimings.decodeMs).toBeGreaterThan(0);
    for (const { dims, data } of seen) {
      // 128×48 → scale 0.5 → content 64×24 in a 64×32 input.
      expect(dims).toEqual([1, 3, 32, 64]);
      const plane = 64 * 32;
      expect([data[0], data[plane], data[2 * plane]]).toEqual([50, 100, 200]);
      expect([data[30 * 64], data[plane + 30 * 64], data[2 * plane + 30 * 64]]).toEqual([114, 114, 114]);
    }
    expect(fromPng).toEqual(fromRgb);
    // The box is clamped to the 48-pixel-high source.
    expect(fromRgb[0]!.box.y + fromRgb[0]!.box.h).toBeCloseTo(48, 4);
  });

  it('applies minScore on obj × class, class-wise NMS and the class filter', async () => {
    const anchors: FakeAnchor[] = [
      CAR,
      // Overlapping weaker car: suppressed by NMS.
      { ...CAR, index: 38, dx: -0.45, obj: 0.8 },
      // Same place, but a person: kept (NMS is per class).
      { ...CAR, index: 36, dx: 1.5, obj: 0.95, cls: { 0: 0.9 } },
      // Objectness too low.
      { index: 0, dx: 0.5, dy: 0.5, logW: 0, logH: 0, obj: 0.2, cls: { 2: 1 } },
      // obj × cls below 0.3.
      { index: 5, dx: 0.5, dy: 0.5, logW: 0, logH: 0, obj: 0.5, cls: { 7: 0.5 } },
      // A "train" (COCO 6) that is also somewhat a bus: reported as bus.
      { index: 40, dx: 0.5, dy: 0.5, logW: 0, logH: 0, obj: 1, cls: { 6: 0.95, 5: 0.5 } },
      // An unreported COCO class only (traffic light): dropped.
      { index: 41, dx: 0.5, dy: 0.5, logW: 0, logH: 0, obj: 1, cls: { 9: 0.99 } },
    ];
    const det = YoloxDetector.fromModel(fakeModel(anchors, []));
    const all = await det.detect(grey(128, 64), { inputSize: 64 });
    expect(all.map((d) => [d.cls, Number(d.score.toFixed(3))])).toEqual([
      ['person', 0.855],
      ['car', 0.72],
      ['bus', 0.5],
    ]);
    const carsOnly = await det.detect(grey(128, 64), { inputSize: 64, classes: ['car', 'truck'] });
    expect(carsOnly.map((d) => d.cls)).toEqual(['car']);
    const lowThreshold = await det.detect(grey(128, 64), { inputSize: 64, minScore: 0.1 });
    expect(lowThreshold.map((d) => d.cls).sort()).toEqual(['bus', 'car', 'car', 'person', 'truck']);
    // `unknown` comes from motion, never from YOLOX: asking for it alone yields nothing.
    expect(await det.detect(grey(128, 64), { inputSize: 64, classes: ['unknown'] })).toEqual([]);
    expect((await det.detect(grey(128, 64), { inputSize: 64, classes: ['unknown', 'bus'] })).map((d) => d.cls)).toEqual(['bus']);
    const capped = await det.detect(grey(128, 64), { inputSize: 64, maxDetections: 1 });
    expect(capped).toHaveLength(1);
  });

  it('fails loudly when the output does not match the input grid', async () => {
    const det = YoloxDetector.fromModel(fakeModel([CAR], []));
    await expect(det.detect(grey(128, 128), { inputSize: 64 })).rejects.toThrow(/expected 84 anchors/);
  });
});

describe('YoloxDetector batching (fake batchable model)', () => {
  /** Echoes per frame an output whose CAR anchor objectness is the frame's first pixel value / 255. */
  function echoModel(runs: Array<readonly number[]>): OnnxModel {
    return {
      id: 'yolox-nano',
      spec: MODEL_CATALOGUE['yolox-nano'],
      path: '/fake/yolox.onnx',
      session: {} as ort.InferenceSession,
      batchable: true,
      run: async (feeds) => {
        const t = feeds.images!;
        runs.push(t.dims);
        const [b, , h, w] = t.dims as [number, number, number, number];
        const anchors = (w / 8) * (h / 8) + (w / 16) * (h / 16) + (w / 32) * (h / 32);
        const data = t.data as Float32Array;
        const out = new Float32Array(b * anchors * ROW);
        for (let i = 0; i < b; i++) {
          const o = (i * anchors + CAR.index) * ROW;
          out.set([CAR.dx, CAR.dy, CAR.logW, CAR.logH, data[i * 3 * w * h]! / 255], o);
          out[o + 5 + 2] = 1;
        }
        await new Promise((r) => setTimeout(r, 5)); // the model is busy for a while
        return { output: new ort.Tensor('float32', out, [b, anchors, ROW]) };
      },
    };
  }

  it('runs frames that wait for the busy model as one batch and gives each caller its own result', async () => {
    const runs: Array<readonly number[]> = [];
    const det = YoloxDetector.fromModel(echoModel(runs), { maxBatch: 4 });
    // Blue channel is fed first (BGR): objectness = v / 255 per frame.
    const frame = (v: number): RgbImage => ({ data: new Uint8Array(128 * 64 * 3).fill(v), width: 128, height: 64 });
    const values = [255, 204, 153, 102, 230, 179];
    const results = await Promise.all(values.map((v) => det.detect(frame(v), { inputSize: 64, minScore: 0.01 })));
    expect(results.map((r) => Number(r[0]!.score.toFixed(2)))).toEqual(values.map((v) => Number((v / 255).toFixed(2))));
    // The first frame runs alone at once; the other five queue behind it and go as batches of at most 4.
    expect(runs.map((d) => d[0])).toEqual([1, 4, 1]);
    expect(det.runStats).toEqual({ frames: 6, runs: 3 });
  });

  it('batches only frames of one input shape, keeping arrival order otherwise', async () => {
    const runs: Array<readonly number[]> = [];
    const det = YoloxDetector.fromModel(echoModel(runs), { maxBatch: 8 });
    const wide = grey(128, 64, 200);
    const square = grey(64, 64, 200);
    await Promise.all([wide, wide, square, wide, square].map((f) => det.detect(f, { inputSize: 64, minScore: 0.01 })));
    expect(runs.map((d) => `${d[0]}x${d[2]}x${d[3]}`)).toEqual(['1x32x64', '2x32x64', '2x64x64']);
  });

  it('does not batch a model with a fixed batch dimension', async () => {
    const runs: Array<readonly number[]> = [];
    const det = YoloxDetector.fromModel({ ...echoModel(runs), batchable: false }, { maxBatch: 8 });
    await Promise.all([1, 2, 3].map(() => det.detect(grey(128, 64, 200), { inputSize: 64, minScore: 0.01 })));
    expect(runs.map((d) => d[0])).toEqual([1, 1, 1]);
  });

  it('fails every frame of a batch whose run fails, and keeps serving later frames', async () => {
    let fail = true;
    const runs: Array<readonly number[]> = [];
    const base = echoModel(runs);
    const det = YoloxDetector.fromModel({ ...base, run: async (f) => (fail ? Promise.reject(new Error('boom')) : base.run(f)) }, { maxBatch: 8 });
    await expect(det.detect(grey(128, 64, 200), { inputSize: 64 })).rejects.toThrow('boom');
    fail = false;
    expect(await det.detect(grey(128, 64, 200), { inputSize: 64, minScore: 0.01 })).toHaveLength(1);
  });
});
