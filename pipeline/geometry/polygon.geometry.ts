/** Polygons in pixel (or any consistent) coordinates, for zones. */
import type { Point } from '../domain.types.js';
import { normalisedToPixel } from './box.geometry.js';

/**
 * Even-odd (ray casting) point-in-polygon test. Works for concave polygons; self-intersecting polygons follow
 * the even-odd rule. Points exactly on an edge may fall either way (zones are not that precise).
 */
export function pointInPolygon(p: Point, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[i]!;
    const b = polygon[j]!;
    if (a.y > p.y !== b.y > p.y) {
      const xAtY = ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x;
      if (p.x < xAtY) inside = !inside;
    }
  }
  return inside;
}

/** Signed area (shoelace); in image coordinates (y down) a positive value means the vertices run clockwise on screen. */
export function polygonSignedArea(polygon: readonly Point[]): number {
  let s = 0;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[j]!;
    const b = polygon[i]!;
    s += a.x * b.y - b.x * a.y;
  }
  return s / 2;
}

/** A normalised polygon (camera config) in pixels of a `width` × `height` frame. */
export function normalisedPolygonToPixels(polygon: ReadonlyArray<readonly [number, number]>, width: number, height: number): Point[] {
  return polygon.map((p) => normalisedToPixel(p, width, height));
}
