/**
 * Post-processing of a DB (Differentiable Binarization) text-detector output, as in PaddleOCR's DBPostProcess:
 * threshold the probability map, take connected regions, score each by its mean probability, then "unclip"
 * (grow) the shrunk text kernel back to the text's full extent. Boxes are axis-aligned: plates seen by traffic
 * cameras are close to horizontal, and the recogniser is tolerant to a few degrees of tilt.
 */
import type { Box } from '../../pipeline/domain.types.js';

export interface DbPostprocessOptions {
  /** Pixel threshold on the probability map. @default 0.3 */
  binaryThreshold?: number;
  /** Minimum mean probability of a region. @default 0.6 */
  boxThreshold?: number;
  /** Unclip ratio: the box grows by area × ratio / perimeter on each side. @default 1.5 */
  unclipRatio?: number;
  /** Regions whose shorter side is below this (map pixels) are dropped. @default 3 */
  minSidePx?: number;
  /** At most this many regions are kept (largest first). @default 1000 */
  maxCandidates?: number;
}

export interface TextRegion {
  /** In probability-map pixels, after unclip, clipped to the map. */
  box: Box;
  /** Mean probability over the region's pixels, 0..1. */
  score: number;
}

/** The grow distance PaddleOCR uses for a w×h rectangle (Vatti clipping offset: area × ratio / perimeter). */
export function unclipDistance(w: number, h: number, ratio: number): number {
  return (w * h * ratio) / (2 * (w + h));
}

/** Text regions from a probability map of `width × height` (row-major). */
export function dbTextRegions(prob: ArrayLike<number>, width: number, height: number, opts: DbPostprocessOptions = {}): TextRegion[] {
  const thr = opts.binaryThreshold ?? 0.3;
  const boxThr = opts.boxThreshold ?? 0.6;
  const ratio = opts.unclipRatio ?? 1.5;
  const minSide = opts.minSidePx ?? 3;
  const maxCandidates = opts.maxCandidates ?? 1000;
  const label = new Int32Array(width * height);
  const stack: number[] = [];
  const regions: Array<{ x0: number; y0: number; x1: number; y1: number; sum: number; n: number }> = [];
  for (let start = 0; start < width * height; start++) {
    if (label[start] !== 0 || prob[start]! <= thr) continue;
    const id = regions.length + 1;
    const r = { x0: width, y0: height, x1: -1, y1: -1, sum: 0, n: 0 };
    label[start] = id;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % width;
      const y = (i - x) / width;
      r.sum += prob[i]!;
      r.n++;
      if (x < r.x0) r.x0 = x;
      if (x > r.x1) r.x1 = x;
      if (y < r.y0) r.y0 = y;
      if (y > r.y1) r.y1 = y;
      // 4-connectivity: two text lines touching at a corner stay apart.
      const visit = (j: number): void => {
        if (label[j] === 0 && prob[j]! > thr) {
          label[j] = id;
          stack.push(j);
        }
      };
      if (x > 0) visit(i - 1);
      if (x < width - 1) visit(i + 1);
      if (y > 0) visit(i - width);
      if (y < height - 1) visit(i + width);
    }
    regions.push(r);
  }
  const out: TextRegion[] = [];
  for (const r of regions.sort((a, b) => b.n - a.n).slice(0, maxCandidates)) {
    const w = r.x1 - r.x0 + 1;
    const h = r.y1 - r.y0 + 1;
    if (Math.min(w, h) < minSide) continue;
    const score = r.sum / r.n;
    if (score < boxThr) continue;
    const d = unclipDistance(w, h, ratio);
    const x0 = Math.max(0, r.x0 - d);
    const y0 = Math.max(0, r.y0 - d);
    const x1 = Math.min(width, r.x1 + 1 + d);
    const y1 = Math.min(height, r.y1 + 1 + d);
    if (Math.min(x1 - x0, y1 - y0) < minSide + 2) continue;
    out.push({ box: { x: x0, y: y0, w: x1 - x0, h: y1 - y0 }, score });
  }
  return out;
}
