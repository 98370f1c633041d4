/** Box overlap and greedy non-maximum suppression shared by every detector. */
import type { Box } from '../../pipeline/domain.types.js';

/** Intersection over union of two boxes (0 when either is empty). */
export function iou(a: Box, b: Box): number {
  const ix = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const iy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy NMS: keep the best-scoring item, drop every other item overlapping it by more than `iouThreshold`, repeat.
 * Returns the kept items sorted by score, highest first; the input array is not modified.
 */
export function nms<T extends { box: Box; score: number }>(items: T[], iouThreshold: number): T[] {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  const suppressed = new Uint8Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) {
    if (suppressed[i]) continue;
    const a = sorted[i]!;
    kept.push(a);
    for (let j = i + 1; j < sorted.length; j++) {
      if (!suppressed[j] && iou(a.box, sorted[j]!.box) > iouThreshold) suppressed[j] = 1;
    }
  }
  return kept;
}

/** NMS within each class only (a person on a motorbike must not suppress the motorbike). Sorted by score desc. */
export function nmsPerClass<T extends { box: Box; score: number }>(
  items: T[],
  classOf: (t: T) => string | number,
  iouThreshold: number,
): T[] {
  const groups = new Map<string | number, T[]>();
  for (const it of items) {
    const k = classOf(it);
    const g = groups.get(k);
    if (g) g.push(it);
    else groups.set(k, [it]);
  }
  const out: T[] = [];
  for (const g of groups.values()) out.push(...nms(g, iouThreshold));
  return out.sort((a, b) => b.score - a.score);
}
