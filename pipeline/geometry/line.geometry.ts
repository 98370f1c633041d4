/**
 * Lines and segments in IMAGE coordinates: origin top-left, x grows to the right, y grows DOWNWARDS.
 *
 * Side convention (used by counting lines and documented in the README as "forward"):
 * stand on the picture as it is shown on a screen, at the line's first point `a`, and look towards its second point
 * `b`. What is on your left hand is the LEFT side, what is on your right hand is the RIGHT side. A crossing from the
 * left side to the right side is "forward", the other way "backward".
 *
 * Because y grows downwards, the sign of the usual cross product is flipped with respect to school maths
 * (where y grows upwards and a positive cross product means "left"):
 *
 * ```
 *   cross(a, b, p) = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)
 *   cross > 0  →  p is on the RIGHT side      cross < 0  →  p is on the LEFT side
 * ```
 *
 * Example 1, a horizontal line drawn left to right, a = (0, 0.5) → b = (1, 0.5):
 * ```
 *        y=0  ┌──────────────────────┐
 *             │        LEFT          │   (above the line: looking towards +x, "up" on screen is on your left)
 *   a ●───────┼──────────────────────┼──▶ b
 *             │        RIGHT         │   (below the line)
 *        y=1  └──────────────────────┘
 * ```
 * A vehicle driving DOWN the picture (y increasing) crosses it forward.
 *
 * Example 2, a vertical line drawn top to bottom, a = (0.5, 0) → b = (0.5, 1):
 * ```
 *          x=0        a ●        x=1
 *                       │
 *           RIGHT side  │  LEFT side       looking from a (top) towards b (bottom), i.e. "facing down the screen",
 *                       │                  your right hand points to -x and your left hand to +x
 *                       ▼
 *                     b
 * ```
 * An object moving LEFT-TO-RIGHT in the image (x increasing) goes from the right side to the left side:
 * it is counted "backward". To count left-to-right traffic as "forward", draw the line bottom to top:
 * a = (0.5, 1) → b = (0.5, 0).
 */
import type { Point } from '../domain.types.js';

/** LEFT = -1, RIGHT = +1, ON the (infinite) line = 0. */
export type LineSide = -1 | 0 | 1;

export interface Segment {
  a: Point;
  b: Point;
}

/** The image-coordinate cross product (b - a) × (p - a); positive means `p` is on the RIGHT side (see module doc). */
export function cross(a: Point, b: Point, p: Point): number {
  return (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
}

/**
 * Which side of the directed line a→b the point is on: -1 LEFT, +1 RIGHT, 0 on the line.
 * `epsilon` is a distance in the same units as the points (pixels): points closer than that to the line count as on it,
 * so that rounding noise does not flip the side.
 */
export function sideOfLine(a: Point, b: Point, p: Point, epsilon = 1e-9): LineSide {
  const len = Math.hypot(b.x - a.x, b.y - a.y);
  if (len === 0) return 0;
  const signedDistance = cross(a, b, p) / len;
  if (signedDistance > epsilon) return 1;
  if (signedDistance < -epsilon) return -1;
  return 0;
}

function onSegment(a: Point, b: Point, p: Point): boolean {
  return Math.min(a.x, b.x) <= p.x && p.x <= Math.max(a.x, b.x) && Math.min(a.y, b.y) <= p.y && p.y <= Math.max(a.y, b.y);
}

/** True when the closed segments p1–p2 and q1–q2 share at least one point (touching counts). */
export function segmentsIntersect(p1: Point, p2: Point, q1: Point, q2: Point): boolean {
  const d1 = Math.sign(cross(q1, q2, p1));
  const d2 = Math.sign(cross(q1, q2, p2));
  const d3 = Math.sign(cross(p1, p2, q1));
  const d4 = Math.sign(cross(p1, p2, q2));
  if (d1 * d2 < 0 && d3 * d4 < 0) return true;
  // Collinear / touching cases.
  if (d1 === 0 && onSegment(q1, q2, p1)) return true;
  if (d2 === 0 && onSegment(q1, q2, p2)) return true;
  if (d3 === 0 && onSegment(p1, p2, q1)) return true;
  if (d4 === 0 && onSegment(p1, p2, q2)) return true;
  return false;
}

/**
 * The point where segment p1–p2 meets segment q1–q2, or null when they do not meet or are parallel
 * (collinear overlaps have no single point and also give null).
 */
export function segmentIntersection(p1: Point, p2: Point, q1: Point, q2: Point): Point | null {
  const rx = p2.x - p1.x;
  const ry = p2.y - p1.y;
  const sx = q2.x - q1.x;
  const sy = q2.y - q1.y;
  const denom = rx * sy - ry * sx;
  if (denom === 0) return null;
  const qpx = q1.x - p1.x;
  const qpy = q1.y - p1.y;
  const t = (qpx * sy - qpy * sx) / denom;
  const u = (qpx * ry - qpy * rx) / denom;
  if (t < 0 || t > 1 || u < 0 || u > 1) return null;
  return { x: p1.x + t * rx, y: p1.y + t * ry };
}
