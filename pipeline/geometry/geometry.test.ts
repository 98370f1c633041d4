import { describe, expect, it } from 'vitest';
import { boxBottomCenter, boxCenter, clampBox, iou, normalisedToPixel, pixelToNormalised, referencePoint } from './box.geometry.js';
import { cross, segmentIntersection, segmentsIntersect, sideOfLine } from './line.geometry.js';
import { normalisedPolygonToPixels, pointInPolygon, polygonSignedArea } from './polygon.geometry.js';

describe('sideOfLine (image coordinates, y down)', () => {
  it('vertical line drawn top→bottom: +x is the LEFT side, so left-to-right motion is backward', () => {
    const a = { x: 0.5, y: 0 };
    const b = { x: 0.5, y: 1 };
    expect(sideOfLine(a, b, { x: 0.2, y: 0.5 })).toBe(1); // screen-left of the line = the RIGHT side
    expect(sideOfLine(a, b, { x: 0.8, y: 0.5 })).toBe(-1); // screen-right of the line = the LEFT side
    expect(sideOfLine(a, b, { x: 0.5, y: 0.3 })).toBe(0);
  });

  it('vertical line drawn bottom→top: left-to-right motion goes LEFT → RIGHT (forward)', () => {
    const a = { x: 0.5, y: 1 };
    const b = { x: 0.5, y: 0 };
    expect(sideOfLine(a, b, { x: 0.2, y: 0.5 })).toBe(-1);
    expect(sideOfLine(a, b, { x: 0.8, y: 0.5 })).toBe(1);
  });

  it('horizontal line drawn left→right: above is LEFT, below is RIGHT', () => {
    const a = { x: 0, y: 0.5 };
    const b = { x: 1, y: 0.5 };
    expect(sideOfLine(a, b, { x: 0.5, y: 0.1 })).toBe(-1);
    expect(sideOfLine(a, b, { x: 0.5, y: 0.9 })).toBe(1);
    expect(cross(a, b, { x: 0.5, y: 0.9 })).toBeCloseTo(0.4);
  });

  it('treats points within epsilon (a distance) as on the line; a degenerate line has no sides', () => {
    const a = { x: 0, y: 0 };
    const b = { x: 100, y: 0 };
    expect(sideOfLine(a, b, { x: 50, y: 0.4 }, 0.5)).toBe(0);
    expect(sideOfLine(a, b, { x: 50, y: 0.6 }, 0.5)).toBe(1);
    expect(sideOfLine(a, a, { x: 50, y: 10 })).toBe(0);
  });
});

describe('segments', () => {
  it('detects proper crossings, misses beside the segment, and touching ends', () => {
    const q1 = { x: 0, y: 0 };
    const q2 = { x: 10, y: 0 };
    expect(segmentsIntersect({ x: 5, y: -1 }, { x: 5, y: 1 }, q1, q2)).toBe(true);
    expect(segmentsIntersect({ x: 15, y: -1 }, { x: 15, y: 1 }, q1, q2)).toBe(false); // crosses the infinite line only
    expect(segmentsIntersect({ x: 5, y: 1 }, { x: 5, y: 2 }, q1, q2)).toBe(false);
    expect(segmentsIntersect({ x: 10, y: 0 }, { x: 12, y: 3 }, q1, q2)).toBe(true); // touches the end point
    expect(segmentsIntersect({ x: 2, y: 0 }, { x: 12, y: 0 }, q1, q2)).toBe(true); // collinear overlap
    expect(segmentsIntersect({ x: 11, y: 0 }, { x: 12, y: 0 }, q1, q2)).toBe(false); // collinear, disjoint
  });

  it('computes the intersection point', () => {
    expect(segmentIntersection({ x: 0, y: 0 }, { x: 10, y: 10 }, { x: 0, y: 10 }, { x: 10, y: 0 })).toEqual({ x: 5, y: 5 });
    expect(segmentIntersection({ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 0, y: 10 }, { x: 10, y: 0 })).toBeNull();
    expect(segmentIntersection({ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 0, y: 1 }, { x: 10, y: 1 })).toBeNull();
  });
});

describe('boxes', () => {
  const b = { x: 10, y: 20, w: 40, h: 60 };
  it('reference points', () => {
    expect(boxCenter(b)).toEqual({ x: 30, y: 50 });
    expect(boxBottomCenter(b)).toEqual({ x: 30, y: 80 });
    expect(referencePoint(b)).toEqual({ x: 30, y: 80 });
    expect(referencePoint(b, 'center')).toEqual({ x: 30, y: 50 });
  });

  it('iou', () => {
    expect(iou(b, b)).toBe(1);
    expect(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 0, w: 10, h: 10 })).toBeCloseTo(50 / 150);
    expect(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 10, y: 0, w: 10, h: 10 })).toBe(0);
    expect(iou({ x: 0, y: 0, w: 0, h: 0 }, { x: 0, y: 0, w: 0, h: 0 })).toBe(0);
  });

  it('normalised ↔ pixel and clamping', () => {
    expect(normalisedToPixel([0.625, 0.5], 640, 360)).toEqual({ x: 400, y: 180 });
    expect(pixelToNormalised({ x: 400, y: 180 }, 640, 360)).toEqual([0.625, 0.5]);
    expect(clampBox({ x: -10, y: 5, w: 30, h: 400 }, 640, 360)).toEqual({ x: 0, y: 5, w: 20, h: 355 });
  });
});

describe('polygons', () => {
  const square = normalisedPolygonToPixels(
    [
      [0.25, 0.25],
      [0.75, 0.25],
      [0.75, 0.75],
      [0.25, 0.75],
    ],
    100,
    100,
  );
  it('point in polygon, convex and concave', () => {
    expect(pointInPolygon({ x: 50, y: 50 }, square)).toBe(true);
    expect(pointInPolygon({ x: 10, y: 50 }, square)).toBe(false);
    // A "U" shape: the notch is outside.
    const u = [
      { x: 0, y: 0 },
      { x: 30, y: 0 },
      { x: 30, y: 60 },
      { x: 60, y: 60 },
      { x: 60, y: 0 },
      { x: 90, y: 0 },
      { x: 90, y: 90 },
      { x: 0, y: 90 },
    ];
    expect(pointInPolygon({ x: 45, y: 30 }, u)).toBe(false);
    expect(pointInPolygon({ x: 15, y: 30 }, u)).toBe(true);
    expect(pointInPolygon({ x: 45, y: 75 }, u)).toBe(true);
  });

  it('signed area is positive for clockwise-on-screen vertices', () => {
    expect(polygonSignedArea(square)).toBeCloseTo(2500);
    expect(polygonSignedArea([...square].reverse())).toBeCloseTo(-2500);
  });
});
