import { describe, expect, it } from 'vitest';
import {
  FACE_MATCH_THRESHOLD,
  FaceThresholdError,
  calibrateThreshold,
  cosineSimilarity,
  equalErrorRate,
  l2Normalize,
  normalQuantile,
  resolveFaceMatchThreshold,
  rocAuc,
  thresholdAtFar,
  type ScoredPair,
} from './face-similarity.js';

describe('embedding maths', () => {
  it('L2-normalises in place and leaves zero vectors alone', () => {
    const v = l2Normalize(new Float32Array([3, 4]));
    expect(v[0]).toBeCloseTo(0.6, 6);
    expect(v[1]).toBeCloseTo(0.8, 6);
    expect([...l2Normalize(new Float32Array(3))]).toEqual([0, 0, 0]);
  });

  it('cosine: 1 for the same direction, −1 opposite, 0 orthogonal, scale-free', () => {
    expect(cosineSimilarity([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 9);
    expect(cosineSimilarity([1, 2, 3], [-1, -2, -3])).toBeCloseTo(-1, 9);
    expect(cosineSimilarity([1, 0], [0, 5])).toBe(0);
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0);
    const a = l2Normalize(new Float32Array([0.3, -1.2, 2.5, 0.1]));
    const b = l2Normalize(new Float32Array([0.2, -0.9, 2.7, -0.4]));
    const dot = a.reduce((s, x, i) => s + x * b[i]!, 0);
    expect(cosineSimilarity(a, b)).toBeCloseTo(dot, 6);
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(RangeError);
  });
});

describe('threshold resolution', () => {
  it('explicit option, then env, then the calibrated constant', () => {
    expect(resolveFaceMatchThreshold(0.5, {})).toBe(0.5);
    expect(resolveFaceMatchThreshold(undefined, { IOCV_FACE_MATCH_THRESHOLD: '0.41' })).toBe(0.41);
    expect(resolveFaceMatchThreshold(undefined, {})).toBe(FACE_MATCH_THRESHOLD);
    expect(() => resolveFaceMatchThreshold(undefined, { IOCV_FACE_MATCH_THRESHOLD: 'high' })).toThrow(FaceThresholdError);
    expect(() => resolveFaceMatchThreshold(1.5, {})).toThrow(FaceThresholdError);
  });
});

describe('verification metrics', () => {
  const pairs: ScoredPair[] = [
    ...[0.9, 0.8, 0.7, 0.6, 0.3].map((score) => ({ score, same: true })),
    ...[0.5, 0.2, 0.1, 0.0, -0.1, -0.2, -0.3, -0.1, 0.05, 0.15].map((score) => ({ score, same: false })),
  ];

  it('AUC counts genuine-over-impostor wins', () => {
    // Genuine 0.3 loses to impostor 0.5 only: 1 loss out of 5 × 10.
    expect(rocAuc(pairs)).toBeCloseTo(49 / 50, 9);
    expect(rocAuc([{ score: 1, same: true }, { score: 0, same: false }])).toBe(1);
  });

  it('threshold at FAR picks the loosest threshold within the FAR budget', () => {
    const at0 = thresholdAtFar(pairs, 0);
    expect(at0.threshold).toBe(0.6);
    expect(at0.far).toBe(0);
    expect(at0.tar).toBe(0.8);
    const at10 = thresholdAtFar(pairs, 0.1);
    // One impostor (0.5) of 10 may pass: the loosest such threshold is 0.3 (next impostor is 0.2).
    expect(at10.threshold).toBe(0.3);
    expect(at10.tar).toBe(1);
    expect(at10.far).toBeCloseTo(0.1, 9);
  });

  it('EER where false accepts and false rejects balance', () => {
    const { eer, threshold } = equalErrorRate(pairs);
    expect(threshold).toBe(0.5);
    // At 0.5: FRR 1/5 = 0.2, FAR 1/10 = 0.1 (gap 0.1, the smallest available).
    expect(eer).toBeCloseTo(0.15, 9);
  });

  it('normal quantile', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.99)).toBeCloseTo(2.326348, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
  });

  it('calibration recommends the strictest of empirical, Gaussian and max-impostor thresholds', () => {
    const c = calibrateThreshold(pairs, 0.01);
    expect(c.impostor.max).toBe(0.5);
    expect(c.recommended).toBeGreaterThan(0.5);
    expect(c.recommended).toBeGreaterThanOrEqual(c.gaussian);
    expect(c.recommended).toBeGreaterThanOrEqual(c.empirical.threshold);
    expect(c.genuine.min).toBe(0.3);
  });
});
