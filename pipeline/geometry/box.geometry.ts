/** Box helpers. Boxes are `{x, y, w, h}` in pixels with a top-left origin (see domain.types.ts). */
import type { Box, Point } from '../domain.types.js';

/**
 * Which point of a box stands for the object's position on the ground.
 * - 'bottom-center': the middle of the bottom edge, where a vehicle or a person touches the road in a usual
 *   (oblique) CCTV view; it does not move when the box grows upwards as an object comes closer.
 * - 'center': the box centre, better for straight-down (nadir) views where the bottom edge is not the ground contact.
 */
export type ReferencePointKind = 'bottom-center' | 'center';

export function boxCenter(b: Box): Point {
  return { x: b.x + b.w / 2, y: b.y + b.h / 2 };
}

export function boxBottomCenter(b: Box): Point {
  return { x: b.x + b.w / 2, y: b.y + b.h };
}

export function referencePoint(b: Box, kind: ReferencePointKind = 'bottom-center'): Point {
  return kind === 'center' ? boxCenter(b) : boxBottomCenter(b);
}

export function boxArea(b: Box): number {
  return Math.max(0, b.w) * Math.max(0, b.h);
}

/** Intersection over union of two boxes, 0 when they do not overlap or both are empty. */
export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  if (inter <= 0) return 0;
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** A normalised 0..1 point (`[x, y]` as in the camera config) in pixels of a `width` × `height` frame. */
export function normalisedToPixel(p: readonly [number, number], width: number, height: number): Point {
  return { x: p[0] * width, y: p[1] * height };
}

/** A pixel point in normalised 0..1 coordinates. */
export function pixelToNormalised(p: Point, width: number, height: number): [number, number] {
  return [p.x / width, p.y / height];
}

/** Clamps a box to a `width` × `height` frame (a box fully outside becomes empty). */
export function clampBox(b: Box, width: number, height: number): Box {
  const x1 = Math.min(Math.max(b.x, 0), width);
  const y1 = Math.min(Math.max(b.y, 0), height);
  const x2 = Math.min(Math.max(b.x + b.w, 0), width);
  const y2 = Math.min(Math.max(b.y + b.h, 0), height);
  return { x: x1, y: y1, w: x2 - x1, h: y2 - y1 };
}
