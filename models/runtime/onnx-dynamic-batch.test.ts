import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { MODEL_CATALOGUE, defaultSharedModelDir } from '../catalogue/model-catalogue.js';
import { OnnxPatchError, makeBatchDynamic } from './onnx-dynamic-batch.js';

const yoloxFile = path.join(defaultSharedModelDir(), MODEL_CATALOGUE['yolox-nano'].file);
const faceNetFile = path.join(defaultSharedModelDir(), MODEL_CATALOGUE.mobilefacenet.file);

/** A deterministic pseudo-image in 0..255, different per seed. */
function pattern(seed: number, n: number): Float32Array {
  const a = new Float32Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    a[i] = (x >>> 24) & 0xff;
  }
  return a;
}

describe('makeBatchDynamic', () => {
  it('rejects bytes that are not an ONNX model', () => {
    expect(() => makeBatchDynamic(Buffer.from('not a model at all'))).toThrow(OnnxPatchError);
  });

  it.skipIf(!existsSync(yoloxFile))('makes the YOLOX export take any batch, with the same output per frame as batch 1', async () => {
    const original = readFileSync(yoloxFile);
    const patch = makeBatchDynamic(original);
    expect(patch.ioChanged).toBe(2); // images, output
    expect(patch.reshapesChanged).toBe(3); // the three head reshapes [1, 85, -1]
    // Patching again finds nothing left to change.
    const again = makeBatchDynamic(patch.model);
    expect([again.ioChanged, again.reshapesChanged]).toEqual([0, 0]);
    expect(Buffer.compare(Buffer.from(again.model), Buffer.from(patch.model))).toBe(0);

    const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, graphOptimizationLevel: 'all' };
    const fixed = await ort.InferenceSession.create(original, opts);
    const dyn = await ort.InferenceSession.create(patch.model, opts);
    const [h, w] = [64, 96];
    const n = 3 * h * w;
    const frames = [pattern(1, n), pattern(2, n), pattern(3, n)];
    await expect(fixed.run({ images: new ort.Tensor('float32', new Float32Array(2 * n), [2, 3, h, w]) })).rejects.toThrow();
    const batch = new Float32Array(3 * n);
    frames.forEach((f, i) => batch.set(f, i * n));
    const outB = (await dyn.run({ images: new ort.Tensor('float32', batch, [3, 3, h, w]) })).output!;
    const per = outB.data.length / 3;
    expect(outB.dims[0]).toBe(3);
    for (let i = 0; i < 3; i++) {
      const single = (await fixed.run({ images: new ort.Tensor('float32', frames[i]!, [1, 3, h, w]) })).output!.data as Float32Array;
      const mine = (outB.data as Float32Array).subarray(i * per, (i + 1) * per);
      expect(single.length).toBe(per);
      let maxDiff = 0;
      for (let k = 0; k < per; k++) maxDiff = Math.max(maxDiff, Math.abs(single[k]! - mine[k]!));
      expect(maxDiff).toBeLessThan(1e-3);
    }
    await fixed.release();
    await dyn.release();
  });

  it.skipIf(!existsSync(faceNetFile))('returns a model whose batch is already dynamic as it was', () => {
    const original = readFileSync(faceNetFile); // input ['N', 112, 112, 3]
    const patch = makeBatchDynamic(original);
    expect([patch.ioChanged, patch.reshapesChanged]).toEqual([0, 0]);
    expect(patch.model).toBe(original);
  });
});
