import { describe, expect, it } from 'vitest';
import { isRowPair, overlapOverSmaller, padBox, plateCandidates, selectPlates, unionBox } from './plate-box.selector.js';

describe('plate box selection maths', () => {
  it('pairs stacked rows of a motorbike plate, not side-by-side or distant lines', () => {
    const top = { x: 20, y: 10, w: 60, h: 25 };
    const bottom = { x: 10, y: 40, w: 80, h: 25 };
    expect(isRowPair(top, bottom)).toBe(true);
    expect(isRowPair(bottom, top)).toBe(false);
    expect(isRowPair(top, { x: 200, y: 40, w: 80, h: 25 })).toBe(false);
    expect(isRowPair(top, { x: 10, y: 120, w: 80, h: 25 })).toBe(false);
    expect(isRowPair(top, { x: 10, y: 40, w: 80, h: 80 })).toBe(false);
  });

  it('proposes single lines and pairs', () => {
    const c = plateCandidates([{ x: 20, y: 10, w: 60, h: 25 }, { x: 10, y: 40, w: 80, h: 25 }, { x: 0, y: 0, w: 5, h: 5 }]);
    expect(c.filter((k) => k.rows.length === 1)).toHaveLength(2);
    const pair = c.find((k) => k.rows.length === 2)!;
    expect(pair.box).toEqual({ x: 10, y: 10, w: 80, h: 55 });
  });

  it('selects the best non-overlapping candidates above a score', () => {
    const pair = { box: { x: 0, y: 0, w: 100, h: 60 }, score: 0.9, value: 'pair' };
    const row = { box: { x: 0, y: 0, w: 100, h: 30 }, score: 0.7, value: 'row' };
    const other = { box: { x: 300, y: 0, w: 100, h: 30 }, score: 0.6, value: 'other' };
    const weak = { box: { x: 600, y: 0, w: 100, h: 30 }, score: 0.1, value: 'weak' };
    expect(selectPlates([row, other, weak, pair], 0.3).map((c) => c.value)).toEqual(['pair', 'other']);
  });

  it('overlap, union and padding', () => {
    expect(overlapOverSmaller({ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 5, w: 10, h: 10 })).toBeCloseTo(0.25);
    expect(unionBox([{ x: 0, y: 0, w: 1, h: 1 }, { x: 5, y: 5, w: 1, h: 1 }])).toEqual({ x: 0, y: 0, w: 6, h: 6 });
    expect(padBox({ x: 10, y: 10, w: 100, h: 20 }, 0.1, 0.5, 115, 100)).toEqual({ x: 0, y: 0, w: 115, h: 40 });
  });
});
