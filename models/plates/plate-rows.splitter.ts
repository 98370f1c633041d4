/**
 * Splitting two-row (motorbike, square car) plates into rows, two ways:
 * - on pixels, for the line recogniser: the horizontal projection profile of the ink has a clear valley between the rows;
 * - on character boxes, for the character detector: the largest gap between character centres (sorted by height)
 *   separates the rows. Robust to tilt because neighbouring characters of one tilted row stay close.
 */
import type { Box } from '../../pipeline/domain.types.js';

export interface ProfileSplitOptions {
  /** Above this width/height ratio a crop is taken as one row without looking (VN one-row plates are ≈ 4.3:1). @default 3.0 */
  maxTwoRowAspect?: number;
  /** The valley must be at most this share of the weaker row's peak ink density. @default 0.45 */
  maxValleyRatio?: number;
  /** Where to look for the valley, as shares of the height. @default [0.25, 0.75] */
  valleyBand?: [number, number];
}

export type RowSplit = { rows: 1 } | { rows: 2; splitY: number };

/** Otsu threshold of an 8-bit grey image. */
export function otsuThreshold(gray: ArrayLike<number>): number {
  const hist = new Float64Array(256);
  for (let i = 0; i < gray.length; i++) hist[gray[i]!]!++;
  return otsuThresholdOfHistogram(hist);
}

/** Otsu threshold from a 256-bin histogram: the level maximising the between-class variance. */
export function otsuThresholdOfHistogram(hist: ArrayLike<number>): number {
  let total = 0;
  let sumAll = 0;
  for (let t = 0; t < 256; t++) {
    total += hist[t]!;
    sumAll += t * hist[t]!;
  }
  let sumB = 0;
  let wB = 0;
  let best = 0;
  let bestVar = -1;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const v = wB * wF * (mB - mF) ** 2;
    if (v > bestVar) {
      bestVar = v;
      best = t;
    }
  }
  return best;
}

/**
 * Otsu level of the central area (`marginX` of the width and 15 % of the height left out on each side) and the ink's
 * polarity: the class with fewer pixels there is the ink (text covers well under half of a plate).
 */
export function centralInkLevel(gray: ArrayLike<number>, width: number, height: number, marginX: number): { thr: number; inkIsDark: boolean } {
  const cx0 = Math.floor(width * marginX);
  const cx1 = Math.max(cx0 + 1, Math.ceil(width * (1 - marginX)));
  const cy0 = Math.floor(height * 0.15);
  const cy1 = Math.max(cy0 + 1, Math.ceil(height * 0.85));
  const hist = new Float64Array(256);
  for (let y = cy0; y < cy1; y++) for (let x = cx0; x < cx1; x++) hist[gray[y * width + x]!]!++;
  const thr = otsuThresholdOfHistogram(hist);
  let dark = 0;
  let total = 0;
  for (let v = 0; v < 256; v++) {
    total += hist[v]!;
    if (v <= thr) dark += hist[v]!;
  }
  return { thr, inkIsDark: dark / Math.max(1, total) < 0.5 };
}

/**
 * Per-row share of ink pixels; dark-on-light and light-on-dark plates both work. Threshold (Otsu) and polarity come
 * from the central area: a crop's border may be the vehicle, darker or lighter than the plate, and text covers well
 * under half of a plate, so ink is the minority class there.
 */
export function inkRowProfile(gray: ArrayLike<number>, width: number, height: number): Float64Array {
  const { thr, inkIsDark } = centralInkLevel(gray, width, height, 0.15);
  // Ignore a margin at the sides, where plate frames and screws add ink to every row.
  const x0 = Math.floor(width * 0.05);
  const x1 = Math.ceil(width * 0.95);
  const profile = new Float64Array(height);
  for (let y = 0; y < height; y++) {
    let ink = 0;
    for (let x = x0; x < x1; x++) {
      const isDark = gray[y * width + x]! <= thr;
      if (isDark === inkIsDark) ink++;
    }
    const share = ink / Math.max(1, x1 - x0);
    // A row of characters has gaps between glyphs; a nearly solid row is a frame line or the vehicle behind the plate.
    profile[y] = share > SOLID_ROW_SHARE ? 0 : share;
  }
  return profile;
}

/** Rows with more ink than this share are solid (frame, vehicle), not text. */
const SOLID_ROW_SHARE = 0.75;

function smooth(a: Float64Array, radius: number): Float64Array {
  if (radius <= 0) return a;
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    let s = 0;
    let n = 0;
    for (let j = Math.max(0, i - radius); j <= Math.min(a.length - 1, i + radius); j++) {
      s += a[j]!;
      n++;
    }
    out[i] = s / n;
  }
  return out;
}

/** Decide from the ink profile whether a plate crop has two rows, and where to cut. */
export function splitRowsByProfile(gray: ArrayLike<number>, width: number, height: number, opts: ProfileSplitOptions = {}): RowSplit {
  const maxAspect = opts.maxTwoRowAspect ?? 3.0;
  const maxValley = opts.maxValleyRatio ?? 0.45;
  const [b0, b1] = opts.valleyBand ?? [0.25, 0.75];
  if (height < 8 || width / height > maxAspect) return { rows: 1 };
  const profile = smooth(inkRowProfile(gray, width, height), Math.max(1, Math.round(height / 40)));
  const lo = Math.floor(height * b0);
  const hi = Math.min(height - 1, Math.ceil(height * b1));
  // Running maxima: the strongest text row above and below every candidate valley.
  const above = new Float64Array(height);
  const below = new Float64Array(height);
  for (let y = 1; y < height; y++) above[y] = Math.max(above[y - 1]!, profile[y - 1]!);
  for (let y = height - 2; y >= 0; y--) below[y] = Math.max(below[y + 1]!, profile[y + 1]!);
  let bestY = -1;
  let bestRatio = Infinity;
  for (let y = lo; y <= hi; y++) {
    const weaker = Math.min(above[y]!, below[y]!);
    if (weaker < 0.05) continue;
    // Prefer the valley nearest the middle when several rows tie (a flat gap between the rows).
    const ratio = profile[y]! / weaker + Math.abs(y - height / 2) * 1e-6;
    if (ratio < bestRatio) {
      bestRatio = ratio;
      bestY = y;
    }
  }
  return bestY >= 0 && bestRatio <= maxValley ? { rows: 2, splitY: bestY } : { rows: 1 };
}

/**
 * Sort detected characters into one or two rows, each left to right. Two rows when the largest gap between
 * consecutive character centres (sorted by y) exceeds `minGapRatio` × the median character height.
 */
export function groupIntoRows<T extends { box: Box }>(items: readonly T[], minGapRatio = 0.5): T[][] {
  const byX = (a: T, b: T): number => a.box.x + a.box.w / 2 - (b.box.x + b.box.w / 2);
  if (items.length < 2) return items.length ? [[...items]] : [];
  const sorted = [...items].sort((a, b) => a.box.y + a.box.h / 2 - (b.box.y + b.box.h / 2));
  const heights = sorted.map((i) => i.box.h).sort((a, b) => a - b);
  const medianH = heights[Math.floor(heights.length / 2)]!;
  let gapAt = -1;
  let gap = 0;
  for (let i = 1; i < sorted.length; i++) {
    const g = sorted[i]!.box.y + sorted[i]!.box.h / 2 - (sorted[i - 1]!.box.y + sorted[i - 1]!.box.h / 2);
    if (g > gap) {
      gap = g;
      gapAt = i;
    }
  }
  if (gapAt < 0 || gap <= minGapRatio * medianH) return [sorted.sort(byX)];
  return [sorted.slice(0, gapAt).sort(byX), sorted.slice(gapAt).sort(byX)];
}
