import { describe, expect, it } from 'vitest';
import { dbTextRegions, unclipDistance } from './db-text.postprocess.js';

function map(width: number, height: number, rects: Array<[number, number, number, number, number]>): Float32Array {
  const m = new Float32Array(width * height);
  for (const [x, y, w, h, p] of rects) for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) m[j * width + i] = p;
  return m;
}

describe('DB post-processing', () => {
  it('finds separate regions, scores them and unclips', () => {
    const regions = dbTextRegions(map(100, 60, [[10, 10, 40, 10, 0.9], [10, 30, 40, 10, 0.8], [70, 50, 2, 2, 0.9]]), 100, 60);
    expect(regions).toHaveLength(2);
    const d = unclipDistance(40, 10, 1.5);
    expect(d).toBeCloseTo(6, 6);
    const top = regions.find((r) => r.box.y < 10)!;
    expect(top.score).toBeCloseTo(0.9, 5);
    expect(top.box.x).toBeCloseTo(10 - d, 5);
    expect(top.box.w).toBeCloseTo(40 + 2 * d, 5);
  });

  it('drops weak regions and clips to the map', () => {
    expect(dbTextRegions(map(50, 50, [[5, 5, 20, 10, 0.4]]), 50, 50)).toHaveLength(0);
    const [r] = dbTextRegions(map(50, 50, [[0, 0, 20, 10, 0.9]]), 50, 50);
    expect(r!.box.x).toBe(0);
    expect(r!.box.y).toBe(0);
  });

  it('keeps regions touching only at a corner apart (4-connectivity)', () => {
    expect(dbTextRegions(map(60, 60, [[0, 0, 20, 20, 0.9], [20, 20, 20, 20, 0.9]]), 60, 60)).toHaveLength(2);
  });
});
