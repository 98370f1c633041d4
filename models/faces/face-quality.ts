/**
 * A 0..1 quality score for a detected face, so that crops an embedding cannot be trusted on (tiny, blurred, turned
 * away) are kept out of matching. Three factors, each 1 over its "good" range and falling to 0 outside it, multiplied:
 *   - size: the face box's short side in source pixels (the embedder sees 112 px; much less is upsampled mush);
 *   - sharpness: variance of the Laplacian of the grey aligned crop's central region (log scale);
 *   - pose: yaw and pitch estimated from the 5 landmarks (roll is removed by alignment, only extreme roll counts).
 * The ranges are physical rules of thumb (documented below), not fitted to any data set.
 */
import type { Point } from '../../pipeline/domain.types.js';
import type { RgbImage } from '../image/rgb-image.js';

/** Variance of the 4-neighbour Laplacian of the luma of `img`, over the rectangle inset by `marginFraction`. */
export function laplacianVariance(img: RgbImage, marginFraction = 0.15): number {
  const { width: w, height: h, data } = img;
  const grey = new Float32Array(w * h);
  for (let i = 0, j = 0; i < grey.length; i++, j += 3) grey[i] = 0.299 * data[j]! + 0.587 * data[j + 1]! + 0.114 * data[j + 2]!;
  const mx = Math.max(1, Math.round(w * marginFraction));
  const my = Math.max(1, Math.round(h * marginFraction));
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  for (let y = my; y < h - my; y++) {
    for (let x = mx; x < w - mx; x++) {
      const i = y * w + x;
      const lap = grey[i - 1]! + grey[i + 1]! + grey[i - w]! + grey[i + w]! - 4 * grey[i]!;
      sum += lap;
      sum2 += lap * lap;
      n++;
    }
  }
  if (n === 0) return 0;
  const mean = sum / n;
  return Math.max(0, sum2 / n - mean * mean);
}

export interface FacePose {
  /** Left/right head turn in degrees (sign: + when the nose moves towards the image's right). */
  yawDeg: number;
  /** Up/down head tilt in degrees (sign: + when the nose moves towards the mouth, i.e. looking down). */
  pitchDeg: number;
  /** In-plane rotation of the eye line in degrees. */
  rollDeg: number;
}

/**
 * How far the nose tip sits sideways from the face's midline, relative to the eye distance, for a head turned by
 * 45°: the nose protrudes about 0.45 eye distances in front of the eye plane (anthropometric average).
 */
const NOSE_DEPTH_PER_EYE_DISTANCE = 0.45;
/** Where the nose tip sits between the eye line (0) and the mouth line (1) on a frontal face (ArcFace template: 20.1 / 40.7). */
const FRONTAL_NOSE_FRACTION = 0.494;
/** How far the nose tip protrudes in front of the eye–mouth plane, per eye-to-mouth distance (anthropometric average). */
const NOSE_DEPTH_PER_FACE_HEIGHT = 0.35;

/**
 * Head pose from the 5 landmarks (eye, eye, nose, mouth corner, mouth corner). Works in the face's own frame (the
 * axis from the eye midpoint to the mouth midpoint), so roll does not leak into yaw or pitch.
 * Yaw: a nose tip `NOSE_DEPTH_PER_EYE_DISTANCE` eye distances in front of the eyes moves sideways by that depth × tan(yaw)
 * relative to the eye distance. Pitch: the nose tip's fraction of the way from the eye line to the mouth line moves by
 * `NOSE_DEPTH_PER_FACE_HEIGHT` × tan(pitch). Pitch is the weaker cue: a smile lifts the mouth corners and reads as
 * looking down by 15–25°, so the quality score only penalises large pitch. Both are rough (±10–15°).
 */
export function estimateFacePose(lm: readonly Point[]): FacePose {
  if (lm.length !== 5) throw new RangeError(`estimateFacePose needs 5 landmarks, got ${lm.length}`);
  const [e1, e2, nose, m1, m2] = lm as [Point, Point, Point, Point, Point];
  const eyeMid = { x: (e1.x + e2.x) / 2, y: (e1.y + e2.y) / 2 };
  const mouthMid = { x: (m1.x + m2.x) / 2, y: (m1.y + m2.y) / 2 };
  const eyeDist = Math.hypot(e2.x - e1.x, e2.y - e1.y);
  const rollDeg = (Math.atan2(e2.y - e1.y, e2.x - e1.x) * 180) / Math.PI;
  // Face frame: "down" = eye midpoint → mouth midpoint; "right" = perpendicular, pointing like the eye line.
  let dx = mouthMid.x - eyeMid.x;
  let dy = mouthMid.y - eyeMid.y;
  let down = Math.hypot(dx, dy);
  if (!(down > 1e-6)) {
    // Degenerate mouth/eyes: fall back to the perpendicular of the eye line.
    dx = -(e2.y - e1.y);
    dy = e2.x - e1.x;
    down = Math.hypot(dx, dy) || 1;
  }
  const ux = dx / down;
  const uy = dy / down;
  const rx = uy; // perpendicular of the down axis, rotated to point image-right on an upright face
  const ry = -ux;
  const nx = nose.x - eyeMid.x;
  const ny = nose.y - eyeMid.y;
  const side = nx * rx + ny * ry; // signed offset across the midline
  const along = nx * ux + ny * uy; // distance from the eye line towards the mouth
  const scale = eyeDist > 1e-6 ? eyeDist : down;
  const yawDeg = (Math.atan2(side / scale, NOSE_DEPTH_PER_EYE_DISTANCE) * 180) / Math.PI;
  const fraction = along / down;
  // Outside the eye–mouth band the tilt is extreme (or the landmarks are wrong): report ±90°.
  const pitchDeg =
    fraction <= 0 ? -90 : fraction >= 1 ? 90 : (Math.atan2(fraction - FRONTAL_NOSE_FRACTION, NOSE_DEPTH_PER_FACE_HEIGHT) * 180) / Math.PI;
  return { yawDeg, pitchDeg, rollDeg };
}

/** 1 when `v ≤ good`, 0 when `v ≥ bad`, linear between (for "smaller is better" quantities). */
function falloff(v: number, good: number, bad: number): number {
  if (v <= good) return 1;
  if (v >= bad) return 0;
  return 1 - (v - good) / (bad - good);
}

/** 0 when `v ≤ bad`, 1 when `v ≥ good`, linear between (for "larger is better" quantities). */
function rampUp(v: number, bad: number, good: number): number {
  return 1 - falloff(v, bad, good);
}

export interface FaceQualityOptions {
  /** Face short side (pixels) at and below which size quality is 0. Default 16. */
  minFacePx?: number;
  /** Face short side (pixels) from which size quality is 1. Default 64 (the 112 px crop is then upsampled < ~1.5×). */
  goodFacePx?: number;
  /** Laplacian variance of the aligned crop at and below which sharpness is 0. Default 15. */
  minSharpness?: number;
  /** Laplacian variance from which sharpness is 1. Default 120. */
  goodSharpness?: number;
  /** |yaw| in degrees up to which pose quality is 1. Default 25. */
  goodYawDeg?: number;
  /** |yaw| in degrees from which pose quality is 0. Default 60. */
  maxYawDeg?: number;
  /** |pitch| in degrees up to which pose quality is 1. Default 30 (smiles read as 15–25°). */
  goodPitchDeg?: number;
  /** |pitch| in degrees from which pose quality is 0. Default 55. */
  maxPitchDeg?: number;
  /** |roll| in degrees from which pose quality is 0 (alignment undoes moderate roll). Default 75. */
  maxRollDeg?: number;
}

export interface FaceQuality {
  /** Product of the factors, 0..1. */
  quality: number;
  size: number;
  sharpness: number;
  pose: number;
  /** Raw measurements behind the factors. */
  faceSizePx: number;
  laplacianVariance: number;
  headPose: FacePose;
}

/** Combine size, sharpness and pose into one score; each factor is monotone in its measurement. */
export function scoreFaceQuality(
  m: { faceSizePx: number; laplacianVariance: number; headPose: FacePose },
  opts: FaceQualityOptions = {},
): FaceQuality {
  const size = rampUp(m.faceSizePx, opts.minFacePx ?? 16, opts.goodFacePx ?? 64);
  // Sharpness on a log scale: blur divides the variance by large factors, and detail varies between faces.
  const lv = Math.max(m.laplacianVariance, 1e-6);
  const sharpness = rampUp(Math.log(lv), Math.log(opts.minSharpness ?? 15), Math.log(opts.goodSharpness ?? 120));
  const yaw = falloff(Math.abs(m.headPose.yawDeg), opts.goodYawDeg ?? 25, opts.maxYawDeg ?? 60);
  const pitch = falloff(Math.abs(m.headPose.pitchDeg), opts.goodPitchDeg ?? 30, opts.maxPitchDeg ?? 55);
  const roll = Math.abs(m.headPose.rollDeg) >= (opts.maxRollDeg ?? 75) ? 0 : 1;
  const pose = yaw * pitch * roll;
  return { quality: size * sharpness * pose, size, sharpness, pose, ...m };
}
