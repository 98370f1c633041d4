import { describe, expect, it } from 'vitest';
import type { Point } from '../../pipeline/domain.types.js';
import type { RgbImage } from '../image/rgb-image.js';
import { ARCFACE_TEMPLATE_112 } from './face-alignment.js';
import { estimateFacePose, laplacianVariance, scoreFaceQuality, type FacePose } from './face-quality.js';

/** Deterministic "textured" image: a checkerboard of `cell`-pixel squares, then a k×k box blur `blurPasses` times. */
function texture(size: number, cell: number, blurPasses: number): RgbImage {
  let g = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) g[y * size + x] = (Math.floor(x / cell) + Math.floor(y / cell)) % 2 ? 200 : 50;
  for (let p = 0; p < blurPasses; p++) {
    const o = new Float32Array(g.length);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let s = 0;
        let n = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const xx = Math.min(size - 1, Math.max(0, x + dx));
            const yy = Math.min(size - 1, Math.max(0, y + dy));
            s += g[yy * size + xx]!;
            n++;
          }
        }
        o[y * size + x] = s / n;
      }
    }
    g = o;
  }
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < g.length; i++) data.fill(Math.round(g[i]!), i * 3, i * 3 + 3);
  return { data, width: size, height: size };
}

const frontal: FacePose = { yawDeg: 0, pitchDeg: 0, rollDeg: 0 };

describe('laplacianVariance', () => {
  it('is 0 on a flat image and falls as blur increases', () => {
    const flat: RgbImage = { data: new Uint8Array(64 * 64 * 3).fill(120), width: 64, height: 64 };
    expect(laplacianVariance(flat)).toBe(0);
    const v = [0, 1, 3, 6].map((passes) => laplacianVariance(texture(112, 4, passes)));
    for (let i = 1; i < v.length; i++) expect(v[i]!).toBeLessThan(v[i - 1]!);
  });
});

describe('estimateFacePose', () => {
  it('reads the ArcFace template as frontal', () => {
    const p = estimateFacePose(ARCFACE_TEMPLATE_112);
    expect(Math.abs(p.yawDeg)).toBeLessThan(2);
    expect(Math.abs(p.pitchDeg)).toBeLessThan(2);
    expect(Math.abs(p.rollDeg)).toBeLessThan(1);
  });

  it('yaw grows as the nose moves sideways; sign follows the direction', () => {
    const shifted = (dx: number): Point[] => ARCFACE_TEMPLATE_112.map((p, i) => (i === 2 ? { x: p.x + dx, y: p.y } : { ...p }));
    const yaws = [0, 5, 10, 20, 30].map((dx) => estimateFacePose(shifted(dx)).yawDeg);
    for (let i = 1; i < yaws.length; i++) expect(yaws[i]!).toBeGreaterThan(yaws[i - 1]!);
    expect(estimateFacePose(shifted(-10)).yawDeg).toBeCloseTo(-estimateFacePose(shifted(10)).yawDeg, 1);
    // Nose a full eye distance aside: well past any usable pose.
    expect(Math.abs(estimateFacePose(shifted(35)).yawDeg)).toBeGreaterThan(60);
  });

  it('roll is the eye-line angle and does not leak into yaw', () => {
    const a = (30 * Math.PI) / 180;
    const rotated = ARCFACE_TEMPLATE_112.map((p) => ({ x: p.x * Math.cos(a) - p.y * Math.sin(a), y: p.x * Math.sin(a) + p.y * Math.cos(a) }));
    const pose = estimateFacePose(rotated);
    expect(pose.rollDeg).toBeCloseTo(30 - 0.32, 0);
    expect(Math.abs(pose.yawDeg)).toBeLessThan(2);
  });

  it('pitch: nose close to the mouth reads as looking down, close to the eyes as looking up', () => {
    const nudged = (dy: number): Point[] => ARCFACE_TEMPLATE_112.map((p, i) => (i === 2 ? { x: p.x, y: p.y + dy } : { ...p }));
    expect(estimateFacePose(nudged(10)).pitchDeg).toBeGreaterThan(20);
    expect(estimateFacePose(nudged(-10)).pitchDeg).toBeLessThan(-20);
  });
});

describe('scoreFaceQuality', () => {
  const base = { faceSizePx: 100, laplacianVariance: 300, headPose: frontal };

  it('a large, sharp, frontal face scores 1', () => {
    expect(scoreFaceQuality(base).quality).toBe(1);
  });

  it('is monotone in size, sharpness and pose, and within 0..1', () => {
    const bySize = [8, 16, 24, 40, 64, 200].map((faceSizePx) => scoreFaceQuality({ ...base, faceSizePx }).quality);
    const bySharp = [1, 15, 30, 60, 120, 500].map((laplacianVariance) => scoreFaceQuality({ ...base, laplacianVariance }).quality);
    const byYaw = [80, 60, 45, 30, 10, 0].map((yawDeg) => scoreFaceQuality({ ...base, headPose: { ...frontal, yawDeg } }).quality);
    const byPitch = [70, 50, 35, 0].map((pitchDeg) => scoreFaceQuality({ ...base, headPose: { ...frontal, pitchDeg: -pitchDeg } }).quality);
    for (const series of [bySize, bySharp, byYaw, byPitch]) {
      for (let i = 1; i < series.length; i++) expect(series[i]!).toBeGreaterThanOrEqual(series[i - 1]!);
      expect(series[0]).toBe(0);
      expect(series[series.length - 1]).toBe(1);
      expect(series.some((q) => q > 0 && q < 1)).toBe(true);
    }
  });

  it('each factor caps the product', () => {
    const q = scoreFaceQuality({ faceSizePx: 40, laplacianVariance: 40, headPose: { yawDeg: 40, pitchDeg: 0, rollDeg: 0 } });
    expect(q.quality).toBeCloseTo(q.size * q.sharpness * q.pose, 12);
    expect(q.quality).toBeLessThan(Math.min(q.size, q.sharpness, q.pose));
    expect(scoreFaceQuality({ ...base, headPose: { ...frontal, rollDeg: 80 } }).quality).toBe(0);
  });
});
