import { describe, expect, it } from 'vitest';
import type { Point } from '../../pipeline/domain.types.js';
import type { RgbImage } from '../image/rgb-image.js';
import {
  ALIGNED_FACE_SIZE,
  ARCFACE_TEMPLATE_112,
  alignFace,
  applySimilarity,
  boxDownsample,
  estimateSimilarity,
  invertSimilarity,
  similarityResidual,
  similarityScale,
  warpSimilarity,
  type SimilarityTransform,
} from './face-alignment.js';

function fromParams(scale: number, angleRad: number, tx: number, ty: number): SimilarityTransform {
  return { a: scale * Math.cos(angleRad), b: scale * Math.sin(angleRad), tx, ty };
}

/** An image whose pixel (x, y) is (x mod 256, y mod 256, (x + y) mod 256). */
function gradient(w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      data[i] = x % 256;
      data[i + 1] = y % 256;
      data[i + 2] = (x + y) % 256;
    }
  }
  return { data, width: w, height: h };
}

describe('estimateSimilarity', () => {
  it('recovers a known similarity exactly from 5 points', () => {
    const truth = fromParams(0.37, 0.6, 12.5, -40);
    const src: Point[] = [
      { x: 300, y: 200 },
      { x: 420, y: 210 },
      { x: 350, y: 290 },
      { x: 310, y: 360 },
      { x: 410, y: 355 },
    ];
    const dst = src.map((p) => applySimilarity(truth, p));
    const t = estimateSimilarity(src, dst);
    expect(t.a).toBeCloseTo(truth.a, 9);
    expect(t.b).toBeCloseTo(truth.b, 9);
    expect(t.tx).toBeCloseTo(truth.tx, 7);
    expect(t.ty).toBeCloseTo(truth.ty, 7);
    expect(similarityResidual(t, src, dst)).toBeLessThan(1e-9);
  });

  it('is the least-squares fit with noise: no nearby transform has a lower residual', () => {
    const truth = fromParams(2.1, -0.3, 5, 7);
    const src: Point[] = [
      { x: 0, y: 0 },
      { x: 10, y: 1 },
      { x: 5, y: 8 },
      { x: 1, y: 14 },
      { x: 9, y: 13 },
    ];
    const noise = [0.4, -0.3, 0.2, 0.5, -0.6, 0.1, -0.2, 0.3, 0.0, -0.4];
    const dst = src.map((p, i) => {
      const q = applySimilarity(truth, p);
      return { x: q.x + noise[2 * i]!, y: q.y + noise[2 * i + 1]! };
    });
    const t = estimateSimilarity(src, dst);
    const best = similarityResidual(t, src, dst);
    for (const d of [1e-3, -1e-3]) {
      for (const k of ['a', 'b', 'tx', 'ty'] as const) {
        expect(similarityResidual({ ...t, [k]: t[k] + d }, src, dst)).toBeGreaterThan(best);
      }
    }
  });

  it('never returns a reflection', () => {
    const src: Point[] = [
      { x: 0, y: 0 },
      { x: 10, y: 0 },
      { x: 0, y: 10 },
    ];
    const mirrored = src.map((p) => ({ x: -p.x, y: p.y }));
    const t = estimateSimilarity(src, mirrored);
    // A similarity (a, b) has determinant a² + b² ≥ 0 by construction; the best proper fit of a mirror is poor.
    expect(similarityResidual(t, src, mirrored)).toBeGreaterThan(1);
  });

  it('rejects coincident or mismatched points', () => {
    expect(() => estimateSimilarity([{ x: 1, y: 1 }, { x: 1, y: 1 }], [{ x: 0, y: 0 }, { x: 1, y: 0 }])).toThrow(RangeError);
    expect(() => estimateSimilarity([{ x: 1, y: 1 }], [{ x: 0, y: 0 }])).toThrow(RangeError);
  });

  it('inverts', () => {
    const t = fromParams(1.7, 2.2, -3, 9);
    const inv = invertSimilarity(t);
    const p = { x: 13.5, y: -4.25 };
    const back = applySimilarity(inv, applySimilarity(t, p));
    expect(back.x).toBeCloseTo(p.x, 10);
    expect(back.y).toBeCloseTo(p.y, 10);
    expect(similarityScale(inv)).toBeCloseTo(1 / 1.7, 12);
  });
});

describe('warpSimilarity', () => {
  it('is an exact copy for the identity and a shift for a translation', () => {
    const img = gradient(20, 15);
    const same = warpSimilarity(img, { a: 1, b: 0, tx: 0, ty: 0 }, 20, 15);
    expect(Buffer.from(same.data).equals(Buffer.from(img.data))).toBe(true);
    const shifted = warpSimilarity(img, { a: 1, b: 0, tx: -3, ty: -2 }, 10, 10);
    // Output (u, v) samples source (u + 3, v + 2).
    expect([...shifted.data.subarray(0, 3)]).toEqual([3, 2, 5]);
    const i = (4 * 10 + 6) * 3;
    expect([...shifted.data.subarray(i, i + 3)]).toEqual([9, 6, 15]);
  });

  it('interpolates bilinearly between pixel centres and leaves outside pixels black', () => {
    const img = gradient(8, 8);
    // Half-pixel shift: output (u, v) samples (u + 0.5, v) → red = u + 0.5, rounded half away from zero.
    const half = warpSimilarity(img, { a: 1, b: 0, tx: -0.5, ty: 0 }, 4, 1);
    expect([...half.data].filter((_, i) => i % 3 === 0)).toEqual([1, 2, 3, 4]);
    const outside = warpSimilarity(img, { a: 1, b: 0, tx: 50, ty: 50 }, 4, 4);
    expect(outside.data.every((v) => v === 0)).toBe(true);
  });
});

describe('alignFace', () => {
  const truth = fromParams(0.8, 0.25, -90, -70);
  // Landmarks placed where the inverse of `truth` sends the template: aligning must undo `truth` exactly.
  const inv = invertSimilarity(truth);
  const landmarks = ARCFACE_TEMPLATE_112.map((p) => applySimilarity(inv, p));

  it('maps the landmarks onto the template points', () => {
    const img = gradient(300, 300);
    const aligned = alignFace(img, landmarks);
    expect(aligned.image.width).toBe(ALIGNED_FACE_SIZE);
    expect(aligned.image.height).toBe(ALIGNED_FACE_SIZE);
    expect(aligned.residualPx).toBeLessThan(1e-9);
    landmarks.forEach((p, i) => {
      const q = applySimilarity(aligned.transform, p);
      expect(q.x).toBeCloseTo(ARCFACE_TEMPLATE_112[i]!.x, 6);
      expect(q.y).toBeCloseTo(ARCFACE_TEMPLATE_112[i]!.y, 6);
    });
  });

  it('samples the pixel under each landmark at the template position', () => {
    const img = gradient(300, 300);
    const aligned = alignFace(img, landmarks);
    for (let i = 0; i < 5; i++) {
      const src = landmarks[i]!;
      const t = ARCFACE_TEMPLATE_112[i]!;
      // The template point is not on a pixel centre: compare the nearest crop pixel with the source there.
      const u = Math.round(t.x);
      const v = Math.round(t.y);
      const s = applySimilarity(invertSimilarity(aligned.transform), { x: u, y: v });
      const o = (v * ALIGNED_FACE_SIZE + u) * 3;
      expect(Math.abs(aligned.image.data[o]! - s.x)).toBeLessThanOrEqual(1);
      expect(Math.abs(aligned.image.data[o + 1]! - s.y)).toBeLessThanOrEqual(1);
      expect(Math.hypot(s.x - src.x, s.y - src.y)).toBeLessThan(1);
    }
  });

  it('averages a large face down before warping (no aliasing of fine stripes)', () => {
    // 1-px black/white vertical stripes: a 6× shrink must give mid-grey, not a moiré of black and white.
    const w = 1200;
    const h = 1200;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill(x % 2 ? 255 : 0, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const big = fromParams(1 / 6, 0, 0, 0);
    const bigInv = invertSimilarity(big);
    const lm = ARCFACE_TEMPLATE_112.map((p) => applySimilarity(bigInv, p));
    const aligned = alignFace({ data, width: w, height: h }, lm);
    const centre = aligned.image.data.subarray((56 * 112 + 20) * 3, (56 * 112 + 90) * 3);
    for (const v of centre) expect(Math.abs(v - 127.5)).toBeLessThan(25);
  });

  it('box-downsamples with block centres at x0 + i·k + (k − 1)/2', () => {
    const img = gradient(40, 40);
    const small = boxDownsample(img, 4, 6, 20, 12, 4);
    expect(small.width).toBe(5);
    expect(small.height).toBe(3);
    // Block (1, 2): source x 8..11 (mean 9.5), y 14..17 (mean 15.5).
    const i = (2 * 5 + 1) * 3;
    expect(small.data[i]).toBe(10);
    expect(small.data[i + 1]).toBe(16);
  });

  it('needs exactly 5 landmarks', () => {
    expect(() => alignFace(gradient(10, 10), landmarks.slice(0, 4))).toThrow(RangeError);
  });
});
