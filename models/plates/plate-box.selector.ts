/**
 * From text lines found on a vehicle (or a whole image) to plate candidates, and from read candidates to plates.
 * Geometry only proposes (plate-like text lines, and pairs of lines stacked like the two rows of a motorbike
 * plate); the read text decides, because a car carries other text (badges, dealer frames, stickers) of similar shape.
 */
import type { Box } from '../../pipeline/domain.types.js';

export interface PlateCandidate {
  /** The whole plate text area (union of its rows). */
  box: Box;
  /** Row boxes, top to bottom (1 or 2). */
  rows: Box[];
}

export interface CandidateOptions {
  /** Text lines shorter than this (pixels) are too small to read. @default 8 */
  minLineHeightPx?: number;
  /** Plate text lines are wider than tall: minimum width/height. @default 1.2 */
  minLineAspect?: number;
  /** …and not endless: maximum width/height. @default 12 */
  maxLineAspect?: number;
}

/** Share of the narrower box's width that two boxes overlap horizontally. */
export function horizontalOverlap(a: Box, b: Box): number {
  const ov = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  return Math.max(0, ov) / Math.max(1e-9, Math.min(a.w, b.w));
}

/** Area of the intersection over the area of the smaller box (1 when one contains the other). */
export function overlapOverSmaller(a: Box, b: Box): number {
  const iw = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const ih = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (iw <= 0 || ih <= 0) return 0;
  return (iw * ih) / Math.max(1e-9, Math.min(a.w * a.h, b.w * b.h));
}

export function unionBox(boxes: readonly Box[]): Box {
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  const x1 = Math.max(...boxes.map((b) => b.x + b.w));
  const y1 = Math.max(...boxes.map((b) => b.y + b.h));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/**
 * True when `top` and `bottom` look like the two rows of one plate: horizontally overlapping (≥ 50 % of the
 * narrower), bottom below top with a gap under 0.8 × the taller row, row heights within a factor of 2, widths within 3.
 */
export function isRowPair(top: Box, bottom: Box): boolean {
  if (bottom.y + bottom.h / 2 <= top.y + top.h / 2) return false;
  const gap = bottom.y - (top.y + top.h);
  const hMax = Math.max(top.h, bottom.h);
  if (gap > 0.8 * hMax || gap < -0.5 * Math.min(top.h, bottom.h)) return false;
  const hRatio = top.h / bottom.h;
  if (hRatio < 0.5 || hRatio > 2) return false;
  const wRatio = top.w / bottom.w;
  if (wRatio < 1 / 3 || wRatio > 3) return false;
  return horizontalOverlap(top, bottom) >= 0.5;
}

/** One-row candidates from plate-like lines, plus two-row candidates from stacked pairs. */
export function plateCandidates(lines: readonly Box[], opts: CandidateOptions = {}): PlateCandidate[] {
  const minH = opts.minLineHeightPx ?? 8;
  const minAspect = opts.minLineAspect ?? 1.2;
  const maxAspect = opts.maxLineAspect ?? 12;
  // Rows of a two-row plate can be nearly square (`59-T1` is 5 characters on half the plate's height).
  const usable = lines.filter((b) => b.h >= minH && b.w / b.h <= maxAspect && b.w / b.h >= 0.8);
  const out: PlateCandidate[] = [];
  for (const b of usable) if (b.w / b.h >= minAspect) out.push({ box: b, rows: [b] });
  for (const a of usable) {
    for (const b of usable) {
      if (a !== b && isRowPair(a, b)) out.push({ box: unionBox([a, b]), rows: [a, b] });
    }
  }
  return out;
}

/** A candidate after reading: its score decides which candidates become plates. */
export interface ScoredCandidate<T> {
  box: Box;
  score: number;
  value: T;
}

/**
 * Keep the best-scoring candidates that do not overlap a better one (overlap over the smaller box above
 * `maxOverlap`): a two-row pair and its own rows compete, and the better read wins.
 */
export function selectPlates<T>(cands: readonly ScoredCandidate<T>[], minScore: number, maxOverlap = 0.5): ScoredCandidate<T>[] {
  const kept: ScoredCandidate<T>[] = [];
  for (const c of [...cands].sort((a, b) => b.score - a.score)) {
    if (c.score < minScore) break;
    if (kept.some((k) => overlapOverSmaller(k.box, c.box) > maxOverlap)) continue;
    kept.push(c);
  }
  return kept;
}

/** Grow a box by a share of its size on each side, clipped to the image. */
export function padBox(b: Box, padX: number, padY: number, width: number, height: number): Box {
  const x0 = Math.max(0, Math.floor(b.x - b.w * padX));
  const y0 = Math.max(0, Math.floor(b.y - b.h * padY));
  const x1 = Math.min(width, Math.ceil(b.x + b.w * (1 + padX)));
  const y1 = Math.min(height, Math.ceil(b.y + b.h * (1 + padY)));
  return { x: x0, y: y0, w: Math.max(1, x1 - x0), h: Math.max(1, y1 - y0) };
}
