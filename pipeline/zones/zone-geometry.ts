/** Zone geometry in pixels: normalised polygons → pixels, the reference point of a box, point-in-polygon. */
import type { Box, Point } from '../domain.types.js';

/** A zone polygon in pixels of one frame size. */
export type PixelPolygon = readonly Point[];

/** Normalised [x, y] pairs (0..1) → pixel points for a frame of `width` × `height`. */
export function polygonToPixels(polygon: ReadonlyArray<readonly [number, number]>, width: number, height: number): PixelPolygon {
  return polygon.map(([x, y]) => ({ x: x * width, y: y * height }));
}

/**
 * Reference point of an object: the bottom-centre of its box (where a person or vehicle touches the ground),
 * clamped to the frame because a detected object is in the picture even when its box pokes past the border.
 */
export function referencePoint(box: Box, width: number, height: number): Point {
  const x = box.x + box.w / 2;
  const y = box.y + box.h;
  return { x: Math.min(Math.max(x, 0), width), y: Math.min(Math.max(y, 0), height) };
}

const EDGE_EPSILON_PX = 1e-6;

function onSegment(p: Point, a: Point, b: Point): boolean {
  const cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
  const len = Math.hypot(b.x - a.x, b.y - a.y);
  if (len === 0) return Math.hypot(p.x - a.x, p.y - a.y) <= EDGE_EPSILON_PX;
  if (Math.abs(cross) / len > EDGE_EPSILON_PX) return false;
  const dot = (p.x - a.x) * (b.x - a.x) + (p.y - a.y) * (b.y - a.y);
  return dot >= -EDGE_EPSILON_PX && dot <= len * len + EDGE_EPSILON_PX;
}

/** Even-odd point-in-polygon; points on an edge count as inside (a whole-frame zone must contain clamped points). */
export function pointInPolygon(p: Point, poly: PixelPolygon): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[i]!;
    const b = poly[j]!;
    if (onSegment(p, a, b)) return true;
    if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}
