import { describe, expect, it } from 'vitest';
import { iou, nms, nmsPerClass } from './nms.js';

const box = (x: number, y: number, w: number, h: number) => ({ x, y, w, h });

describe('iou', () => {
  it('is 1 for identical boxes and 0 for disjoint or touching ones', () => {
    expect(iou(box(0, 0, 10, 10), box(0, 0, 10, 10))).toBe(1);
    expect(iou(box(0, 0, 10, 10), box(20, 20, 5, 5))).toBe(0);
    expect(iou(box(0, 0, 10, 10), box(10, 0, 10, 10))).toBe(0);
  });

  it('computes partial overlap', () => {
    // overlap 5x10 = 50, union 100 + 100 - 50 = 150
    expect(iou(box(0, 0, 10, 10), box(5, 0, 10, 10))).toBeCloseTo(1 / 3, 10);
    // contained: 25 / 100
    expect(iou(box(0, 0, 10, 10), box(2, 2, 5, 5))).toBeCloseTo(0.25, 10);
  });

  it('is symmetric and 0 for empty boxes', () => {
    const a = box(1, 2, 7, 9);
    const b = box(4, 3, 8, 2);
    expect(iou(a, b)).toBe(iou(b, a));
    expect(iou(box(0, 0, 0, 0), box(0, 0, 0, 0))).toBe(0);
  });
});

describe('nms', () => {
  it('keeps the best of overlapping boxes and all separate ones, sorted by score', () => {
    const items = [
      { id: 'a', box: box(0, 0, 10, 10), score: 0.6 },
      { id: 'b', box: box(1, 1, 10, 10), score: 0.9 },
      { id: 'c', box: box(50, 50, 10, 10), score: 0.7 },
      { id: 'd', box: box(2, 0, 10, 10), score: 0.3 },
    ];
    expect(nms(items, 0.5).map((i) => i.id)).toEqual(['b', 'c']);
    expect(items.map((i) => i.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('uses a strict threshold: overlap exactly at the threshold is kept', () => {
    const items = [
      { box: box(0, 0, 10, 10), score: 0.9 },
      { box: box(5, 0, 10, 10), score: 0.8 },
    ];
    expect(nms(items, 1 / 3)).toHaveLength(2);
    expect(nms(items, 0.3)).toHaveLength(1);
  });

  it('does not let a suppressed box suppress others (greedy chain)', () => {
    // b overlaps a and c; a and c do not overlap. a suppresses b, so c survives.
    const items = [
      { id: 'a', box: box(0, 0, 10, 10), score: 0.9 },
      { id: 'b', box: box(4, 0, 10, 10), score: 0.8 },
      { id: 'c', box: box(8, 0, 10, 10), score: 0.7 },
    ];
    expect(nms(items, 0.3).map((i) => i.id)).toEqual(['a', 'c']);
  });

  it('handles empty input', () => {
    expect(nms([], 0.5)).toEqual([]);
  });
});

describe('nmsPerClass', () => {
  it('suppresses only within a class', () => {
    const items = [
      { cls: 'person', box: box(0, 0, 10, 20), score: 0.8 },
      { cls: 'motorcycle', box: box(0, 2, 10, 18), score: 0.7 },
      { cls: 'person', box: box(1, 0, 10, 20), score: 0.5 },
    ];
    const kept = nmsPerClass(items, (i) => i.cls, 0.45);
    expect(kept.map((i) => [i.cls, i.score])).toEqual([
      ['person', 0.8],
      ['motorcycle', 0.7],
    ]);
  });
});
