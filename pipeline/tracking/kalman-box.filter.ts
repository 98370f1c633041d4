/**
 * Constant-velocity Kalman filter on a box, as in SORT/ByteTrack: state (cx, cy, a, h, vcx, vcy, va, vh) with
 * a = w / h. Unlike ByteTrack, which steps once per frame, this filter steps in TIME (velocities are per second,
 * noise grows with the elapsed time), because the analysis fps differs per camera and frames can be dropped.
 *
 * Noise levels follow ByteTrack's (position std h/20 and velocity std h/160 per frame at 30 fps, both scaled with the
 * box height so that near and far objects behave alike), converted to per-second rates.
 */
import type { Box } from '../domain.types.js';
import { add, diag, identity, invert, multiply, multiplyVector, subtract, transpose, type Matrix } from './small-matrix.js';

export interface KalmanBoxOptions {
  /** Measurement noise std of cx, cy and h, as a fraction of h. @default 0.05 (ByteTrack's 1/20) */
  measurementPositionStd?: number;
  /** Measurement noise std of the aspect ratio. @default 0.1 */
  measurementAspectStd?: number;
  /** Process noise of position, variance per second as a multiple of h². @default 0.075 (= 30 fps × (h/20)²) */
  processPositionVarPerSecond?: number;
  /** Process noise of velocity, (px/s)² per second as a multiple of h². @default 1.05 (= 30 fps × (30 × h/160)²) */
  processVelocityVarPerSecond?: number;
  /**
   * Initial velocity std, px/s as a multiple of h. Larger than ByteTrack's so that the second detection sets the
   * velocity almost fully even at 2–5 fps, where objects move a box length or more between frames. @default 4
   */
  initialVelocityStd?: number;
}

export interface KalmanState {
  /** [cx, cy, a, h, vcx, vcy, va, vh] (px, px, ratio, px, then per second) */
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

/** Box (top-left, size) → measurement (cx, cy, a, h). */
export function boxToMeasurement(b: Box): [number, number, number, number] {
  const h = Math.max(b.h, 1e-6);
  return [b.x + b.w / 2, b.y + b.h / 2, b.w / h, h];
}

/** State mean → box; height and aspect are kept positive even when a prediction overshoots. */
export function meanToBox(mean: readonly number[]): Box {
  const h = Math.max(mean[3]!, 1);
  const a = Math.max(mean[2]!, 0.05);
  const w = a * h;
  return { x: mean[0]! - w / 2, y: mean[1]! - h / 2, w, h };
}

export class KalmanBoxFilter {
  private readonly o: Required<KalmanBoxOptions>;

  constructor(opts: KalmanBoxOptions = {}) {
    this.o = {
      measurementPositionStd: opts.measurementPositionStd ?? 0.05,
      measurementAspectStd: opts.measurementAspectStd ?? 0.1,
      processPositionVarPerSecond: opts.processPositionVarPerSecond ?? 0.075,
      processVelocityVarPerSecond: opts.processVelocityVarPerSecond ?? 1.05,
      initialVelocityStd: opts.initialVelocityStd ?? 4,
    };
  }

  initiate(box: Box): KalmanState {
    const z = boxToMeasurement(box);
    const h = z[3];
    const p = 2 * this.o.measurementPositionStd * h;
    const v = this.o.initialVelocityStd * h;
    return {
      mean: [...z, 0, 0, 0, 0],
      covariance: diag([p * p, p * p, 1e-4, p * p, v * v, v * v, 1e-6, v * v]),
    };
  }

  /** Moves the state `dtSeconds` ahead (dt ≤ 0 leaves it unchanged). */
  predict(s: KalmanState, dtSeconds: number): KalmanState {
    if (!(dtSeconds > 0)) return { mean: [...s.mean], covariance: s.covariance.map((r) => [...r]) };
    const dt = dtSeconds;
    const F = identity(8);
    for (let i = 0; i < 4; i++) F[i]![i + 4] = dt;
    const h2 = s.mean[3]! ** 2;
    const qp = this.o.processPositionVarPerSecond * h2 * dt;
    const qv = this.o.processVelocityVarPerSecond * h2 * dt;
    const Q = diag([qp, qp, 3e-3 * dt, qp, qv, qv, 3e-6 * dt, qv]);
    return {
      mean: multiplyVector(F, s.mean),
      covariance: add(multiply(multiply(F, s.covariance), transpose(F)), Q),
    };
  }

  /** Corrects the state with a measured box. */
  update(s: KalmanState, box: Box): KalmanState {
    const z = boxToMeasurement(box);
    const h = s.mean[3]!;
    const rp = (this.o.measurementPositionStd * h) ** 2;
    const ra = this.o.measurementAspectStd ** 2;
    const R = diag([rp, rp, ra, rp]);
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
