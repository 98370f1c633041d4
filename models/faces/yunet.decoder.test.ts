import { describe, expect, it } from 'vitest';
import { YUNET_STRIDES, decodeYunet, type YunetStrideOutput } from './yunet.decoder.js';

/** Zeroed outputs for a W×H input, with a helper to set one anchor. */
function emptyOutputs(w: number, h: number) {
  const outs: Array<YunetStrideOutput & { cols: number }> = YUNET_STRIDES.map((s) => {
    const n = (w / s) * (h / s);
    return { cols: w / s, cls: new Float32Array(n), obj: new Float32Array(n), bbox: new Float32Array(n * 4), kps: new Float32Array(n * 10) };
  });
  const set = (strideIdx: number, c: number, r: number, v: { cls: number; obj: number; bbox: number[]; kps: number[] }) => {
    const o = outs[strideIdx]!;
    const idx = r * o.cols + c;
    (o.cls as Float32Array)[idx] = v.cls;
    (o.obj as Float32Array)[idx] = v.obj;
    (o.bbox as Float32Array).set(v.bbox, idx * 4);
    (o.kps as Float32Array).set(v.kps, idx * 10);
  };
  return { outs, set };
}

const opts = { inputWidth: 64, inputHeight: 32, minScore: 0.5, nmsIou: 0.3 };

describe('decodeYunet', () => {
  it('decodes score, box and landmarks from a grid cell', () => {
    const { outs, set } = emptyOutputs(64, 32);
    // Stride 16, cell (c=2, r=1): centre ((2+0.5)·16, (1+0.25)·16) = (40, 20); size (e^0·16, e^ln2·16) = (16, 32).
    set(1, 2, 1, { cls: 0.81, obj: 1, bbox: [0.5, 0.25, 0, Math.log(2)], kps: [0, 0, 1, 0, 0.5, 0.5, 0, 1, 1, 1] });
    const faces = decodeYunet(outs, opts);
    expect(faces).toHaveLength(1);
    const f = faces[0]!;
    expect(f.score).toBeCloseTo(0.9, 6);
    expect(f.box.x).toBeCloseTo(32, 5);
    expect(f.box.y).toBeCloseTo(4, 5);
    expect(f.box.w).toBeCloseTo(16, 5);
    expect(f.box.h).toBeCloseTo(32, 5);
    expect(f.landmarks).toEqual([
      { x: 32, y: 16 },
      { x: 48, y: 16 },
      { x: 40, y: 24 },
      { x: 32, y: 32 },
      { x: 48, y: 32 },
    ]);
  });

  it('uses √(cls·obj) clamped to 0..1 and drops anchors below minScore', () => {
    const { outs, set } = emptyOutputs(64, 32);
    set(0, 0, 0, { cls: 0.3, obj: 0.3, bbox: [0, 0, 0, 0], kps: new Array(10).fill(0) }); // 0.3 < 0.5
    set(2, 1, 0, { cls: 1.2, obj: 0.49, bbox: [0, 0, 0, 0], kps: new Array(10).fill(0) }); // clamp → √0.49 = 0.7
    const faces = decodeYunet(outs, opts);
    expect(faces).toHaveLength(1);
    expect(faces[0]!.score).toBeCloseTo(0.7, 6);
    expect(faces[0]!.box.x).toBeCloseTo(32 - 16, 5);
  });

  it('keeps the best of overlapping candidates across strides (NMS) and separate faces apart', () => {
    const { outs, set } = emptyOutputs(64, 32);
    const kps = new Array(10).fill(0.5);
    set(0, 2, 2, { cls: 0.9, obj: 0.9, bbox: [0, 0, Math.log(2), Math.log(2)], kps }); // centre (16,16), 16×16
    set(1, 1, 1, { cls: 0.8, obj: 0.8, bbox: [0, 0, 0, 0], kps }); // centre (16,16), 16×16: same face, lower score
    set(0, 6, 2, { cls: 0.7, obj: 0.7, bbox: [0, 0, Math.log(2), Math.log(2)], kps }); // centre (48,16): another face
    const faces = decodeYunet(outs, opts);
    expect(faces.map((f) => Number(f.score.toFixed(2)))).toEqual([0.9, 0.7]);
  });

  it('rejects outputs that do not match the input size', () => {
    const { outs } = emptyOutputs(32, 32);
    expect(() => decodeYunet(outs, opts)).toThrow(RangeError);
  });
});
