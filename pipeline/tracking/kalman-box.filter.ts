/**
 * Constant-velocity Kalman filter on a box: state (cx, cy, w, h, vcx, vcy, vw, vh).
 *
 * SORT and ByteTrack filter (cx, cy, a = w/h, h) with a nearly constant aspect ratio. We follow BoT-SORT (Aharon et
 * al. 2022) and filter w and h directly, each with noise proportional to itself: at 2–5 fps a vehicle entering the
 * frame or turning changes its box's aspect ratio several-fold within a second (an overhead car entering from the
 * bottom edge went from w/h = 3.9 to 0.9 in 1.2 s in a real clip), and the stiff aspect state of ByteTrack then kept
 * the tracked box 2.5× wider than the object, which ruins IoU association and puts the reference point far off.
 *
 * Unlike ByteTrack, which steps once per frame, this filter steps in TIME (velocities are per second, process noise
 * grows with the elapsed time), because the analysis fps differs per camera and frames can be dropped. Noise levels
 * follow ByteTrack's (position std 1/20 and velocity std 1/160 of the box size per frame at 30 fps), converted to
 * per-second rates.
 */
import type { Box } from '../domain.types.js';
import { add, diag, identity, invert, multiply, multiplyVector, subtract, transpose, type Matrix } from './small-matrix.js';

export interface KalmanBoxOptions {
  /** Measurement noise std of (cx, w) and (cy, h), as a fraction of w and h respectively. @default 0.05 (1/20) */
  measurementPositionStd?: number;
  /** Process noise of position and size, variance per second as a multiple of w² (x, w) or h² (y, h). @default 0.075 (= 30 fps × (1/20)²) */
  processPositionVarPerSecond?: number;
  /** Process noise of velocity, (px/s)² per second as a multiple of w² or h². @default 1.05 (= 30 fps × (30/160)²) */
  processVelocityVarPerSecond?: number;
  /**
   * Initial velocity std, px/s as a multiple of the box size. Larger than ByteTrack's so that the second detection
   * sets the velocity almost fully even at 2–5 fps, where objects move a box length or more between frames. @default 4
   */
  initialVelocityStd?: number;
}

export interface KalmanState {
  /** [cx, cy, w, h, vcx, vcy, vw, vh] (px, then px per second) */
  mean: number[];
  covariance: Matrix;
}

const H: Matrix = [
  [1, 0, 0, 0, 0, 0, 0, 0],
  [0, 1, 0, 0, 0, 0, 0, 0],
  [0, 0, 1, 0, 0, 0, 0, 0],
  [0, 0, 0, 1, 0, 0, 0, 0],
];
const HT = transpose(H);

/** Box (top-left, size) → measurement (cx, cy, w, h). */
export function boxToMeasurement(b: Box): [number, number, number, number] {
  return [b.x + b.w / 2, b.y + b.h / 2, Math.max(b.w, 1e-6), Math.max(b.h, 1e-6)];
}

/** State mean → box; the size is kept positive (≥ 1 px) even when a prediction overshoots. */
export function meanToBox(mean: readonly number[]): Box {
  const w = Math.max(mean[2]!, 1);
  const h = Math.max(mean[3]!, 1);
  return { x: mean[0]! - w / 2, y: mean[1]! - h / 2, w, h };
}

/** Per state dimension, the box size its noise scales with: w for x and w, h for y and h. */
function scales(mean: readonly number[]): [number, number, number, number] {
  const w = Math.max(mean[2]!, 1);
  const h = Math.max(mean[3]!, 1);
  return [w, h, w, h];
}

export class KalmanBoxFilter {
  private readonly o: Required<KalmanBoxOptions>;

  constructor(opts: KalmanBoxOptions = {}) {
    this.o = {
      measurementPositionStd: opts.measurementPositionStd ?? 0.05,
      processPositionVarPerSecond: opts.processPositionVarPerSecond ?? 0.075,
      processVelocityVarPerSecond: opts.processVelocityVarPerSecond ?? 1.05,
      initialVelocityStd: opts.initialVelocityStd ?? 4,
    };
  }

  initiate(box: Box): KalmanState {
    const z = boxToMeasurement(box);
    const s = scales(z);
    const p = s.map((v) => (2 * this.o.measurementPositionStd * v) ** 2);
    const v = s.map((x) => (this.o.initialVelocityStd * x) ** 2);
    return { mean: [...z, 0, 0, 0, 0], covariance: diag([...p, ...v]) };
  }

  /** Moves the state `dtSeconds` ahead (dt ≤ 0 leaves it unchanged). */
  predict(s: KalmanState, dtSeconds: number): KalmanState {
    if (!(dtSeconds > 0)) return { mean: [...s.mean], covariance: s.covariance.map((r) => [...r]) };
    const dt = dtSeconds;
    const F = identity(8);
    for (let i = 0; i < 4; i++) F[i]![i + 4] = dt;
    const sc = scales(s.mean).map((v) => v * v);
    const Q = diag([
      ...sc.map((v) => this.o.processPositionVarPerSecond * v * dt),
      ...sc.map((v) => this.o.processVelocityVarPerSecond * v * dt),
    ]);
    return {
      mean: multiplyVector(F, s.mean),
      covariance: add(multiply(multiply(F, s.covariance), transpose(F)), Q),
    };
  }

  /** Corrects the state with a measured box. */
  update(s: KalmanState, box: Box): KalmanState {
    const z = boxToMeasurement(box);
    const R = diag(scales(s.mean).map((v) => (this.o.measurementPositionStd * v) ** 2));
    const PHt = multiply(s.covariance, HT);
    const S = add(multiply(H, PHt), R);
    const K = multiply(PHt, invert(S));
    const projected = multiplyVector(H, s.mean);
    const innovation = z.map((v, i) => v - projected[i]!);
    const mean = s.mean.map((v, i) => v + K[i]!.reduce((acc, k, j) => acc + k * innovation[j]!, 0));
    const covariance = subtract(s.covariance, multiply(K, multiply(H, s.covariance)));
    // Keep the covariance symmetric against rounding drift.
    for (let i = 0; i < 8; i++) for (let j = i + 1; j < 8; j++) covariance[i]![j] = covariance[j]![i] = (covariance[i]![j]! + covariance[j]![i]!) / 2;
    return { mean, covariance };
  }
}
