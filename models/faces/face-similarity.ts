/**
 * Embedding maths and the calibrated verification threshold.
 *
 * FACE_MATCH_THRESHOLD — how it was chosen (re-run `npx tsx bench/faces.eval.ts` to reproduce):
 *   - data: ../shared/data/faces, 196 labelled pairs (77 same person, 119 different) over 33 web photos of
 *     7 public figures (deepface test set, see its SOURCE.txt); largest face per photo, this module's pipeline
 *     (YuNet 640 px → ArcFace 5-point alignment → MobileFaceNet 192-d, L2-normalised, cosine);
 *   - measured 2026-11-22 (`npx tsx bench/faces.eval.ts`): impostor cosine mean 0.018, sd 0.126, max 0.331;
 *     genuine mean 0.820, min 0.636. The two sets do not overlap (ROC AUC 1.0, EER 0 %: any threshold in
 *     (0.331, 0.636] separates them). Empirical FAR ≤ 1 % threshold 0.331 (1 of 119 impostor pairs at it); a normal
 *     fit of the impostor scores puts FAR 1 % at 0.311 and FAR 0.1 % at 0.41.
 *   - chosen: FAR 1 % rather than EER (with separated sets the EER point is anywhere in a 0.3-wide gap and says
 *     nothing about false matches). 119 impostor pairs are too few to pin FAR 1 % down (one pair = 0.8 %), so the
 *     constant is the strictest of the empirical point, the normal fit and the highest impostor score + 0.005
 *     (0.336), rounded up: 0.34. It errs towards fewer false matches, which cost more in a watch-list than a
 *     missed match. At 0.34 all 77 same-person pairs pass here; on CCTV crops genuine scores are lower than on
 *     these portraits, and for 1:N search against a large gallery a stricter value (≈ 0.41 for FAR 0.1 %) fits better.
 * Override per deployment with `FaceAnalyzerOptions.matchThreshold` or env `IOCV_FACE_MATCH_THRESHOLD`, ideally after
 * calibrating on the cameras' own images (`calibrateThreshold`).
 */

/** Cosine similarity above which two L2-normalised MobileFaceNet embeddings are taken as the same person. */
export const FACE_MATCH_THRESHOLD = 0.34;

/** Thrown for an override that is not a number in −1..1. */
export class FaceThresholdError extends Error {
  readonly code = 'IOCV_FACE_THRESHOLD_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'FaceThresholdError';
  }
}

/** The threshold in force: the explicit option, else env `IOCV_FACE_MATCH_THRESHOLD`, else {@link FACE_MATCH_THRESHOLD}. */
export function resolveFaceMatchThreshold(explicit?: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = explicit ?? (env.IOCV_FACE_MATCH_THRESHOLD !== undefined && env.IOCV_FACE_MATCH_THRESHOLD !== '' ? Number(env.IOCV_FACE_MATCH_THRESHOLD) : FACE_MATCH_THRESHOLD);
  if (!(Number.isFinite(raw) && raw >= -1 && raw <= 1)) {
    throw new FaceThresholdError(`face match threshold must be a cosine similarity in -1..1, got ${String(explicit ?? env.IOCV_FACE_MATCH_THRESHOLD)}`);
  }
  return raw;
}

/** Scale `v` to unit length in place and return it; an all-zero vector stays zero. */
export function l2Normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return v;
}

/** Cosine of the angle between two vectors (normalised or not), −1..1; 0 when either is zero. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`embedding lengths differ: ${a.length} vs ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  const d = Math.sqrt(na * nb);
  return d > 0 ? Math.max(-1, Math.min(1, dot / d)) : 0;
}

export interface ScoredPair {
  score: number;
  same: boolean;
}

export interface RocPoint {
  threshold: number;
  /** Genuine pairs with score ≥ threshold / all genuine pairs. */
  tar: number;
  /** Impostor pairs with score ≥ threshold / all impostor pairs. */
  far: number;
}

function split(pairs: readonly ScoredPair[]): { gen: number[]; imp: number[] } {
  const gen = pairs.filter((p) => p.same).map((p) => p.score);
  const imp = pairs.filter((p) => !p.same).map((p) => p.score);
  if (gen.length === 0 || imp.length === 0) throw new RangeError('need at least one genuine and one impostor pair');
  return { gen, imp };
}

/** ROC over every distinct score used as a threshold (accept when score ≥ threshold), from strictest to loosest. */
export function rocCurve(pairs: readonly ScoredPair[]): RocPoint[] {
  const { gen, imp } = split(pairs);
  const thresholds = [...new Set(pairs.map((p) => p.score))].sort((x, y) => y - x);
  const pts: RocPoint[] = [{ threshold: Infinity, tar: 0, far: 0 }];
  for (const t of thresholds) {
    pts.push({ threshold: t, tar: gen.filter((s) => s >= t).length / gen.length, far: imp.filter((s) => s >= t).length / imp.length });
  }
  return pts;
}

/** Area under the ROC = probability that a random genuine pair outscores a random impostor pair (ties count ½). */
export function rocAuc(pairs: readonly ScoredPair[]): number {
  const { gen, imp } = split(pairs);
  let wins = 0;
  for (const g of gen) for (const i of imp) wins += g > i ? 1 : g === i ? 0.5 : 0;
  return wins / (gen.length * imp.length);
}

/**
 * The loosest threshold whose false accept rate is ≤ `far` (e.g. 0.01), and the TAR it gives. With N impostor
 * pairs the resolution is 1/N: 119 pairs allow 1 false accept at FAR 1 %.
 */
export function thresholdAtFar(pairs: readonly ScoredPair[], far: number): RocPoint {
  let best: RocPoint | undefined;
  for (const p of rocCurve(pairs)) if (p.far <= far + 1e-12) best = p;
  // The strictest point (threshold ∞, FAR 0) always qualifies.
  return best!;
}

/** Equal error rate: where FAR ≈ FRR (1 − TAR); the threshold is the ROC point minimising |FAR − FRR|. */
export function equalErrorRate(pairs: readonly ScoredPair[]): { eer: number; threshold: number } {
  let best = { gap: Infinity, eer: 1, threshold: 0 };
  for (const p of rocCurve(pairs)) {
    if (!Number.isFinite(p.threshold)) continue;
    const frr = 1 - p.tar;
    const gap = Math.abs(p.far - frr);
    if (gap < best.gap) best = { gap, eer: (p.far + frr) / 2, threshold: p.threshold };
  }
  return { eer: best.eer, threshold: best.threshold };
}

/** Mean and sample standard deviation. */
export function meanSd(v: readonly number[]): { mean: number; sd: number } {
  const mean = v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);
  const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, v.length - 1));
  return { mean, sd };
}

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile of p=${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

export interface ThresholdCalibration {
  /** Loosest empirical threshold with FAR ≤ target, and the TAR there. */
  empirical: RocPoint;
  /** Threshold where a normal distribution fitted to the impostor scores exceeds with probability `targetFar`. */
  gaussian: number;
  /** The same normal fit at a 10× stricter FAR (for 1:N search against a gallery). */
  gaussianStricter: number;
  eer: { eer: number; threshold: number };
  /** max(empirical, gaussian, highest impostor score + margin): the conservative pick. */
  recommended: number;
  impostor: { mean: number; sd: number; max: number };
  genuine: { mean: number; sd: number; min: number };
}

/**
 * Calibrate a verification threshold from labelled pairs. Small impostor sets make the empirical FAR-1 % point
 * hinge on one pair, so the recommendation also looks at a normal fit of the impostor scores and at the highest
 * impostor score seen (plus `margin`), and takes the strictest of the three.
 */
export function calibrateThreshold(pairs: readonly ScoredPair[], targetFar = 0.01, margin = 0.005): ThresholdCalibration {
  const { gen, imp } = split(pairs);
  const empirical = thresholdAtFar(pairs, targetFar);
  const impStats = meanSd(imp);
  const genStats = meanSd(gen);
  const gaussian = impStats.mean + normalQuantile(1 - targetFar) * impStats.sd;
  const impMax = Math.max(...imp);
  const emp = Number.isFinite(empirical.threshold) ? empirical.threshold : impMax + margin;
  return {
    empirical,
    gaussian,
    gaussianStricter: impStats.mean + normalQuantile(1 - targetFar / 10) * impStats.sd,
    eer: equalErrorRate(pairs),
    recommended: Math.max(emp, gaussian, impMax + margin),
    impostor: { ...impStats, max: impMax },
    genuine: { ...genStats, min: Math.min(...gen) },
  };
}
