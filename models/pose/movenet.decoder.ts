/**
 * MoveNet geometry: the square person crop fed to the single-pose model, and the mapping of both models' normalised
 * outputs back to source-image pixels. Pure maths, no model.
 */
import type { Box } from '../../pipeline/domain.types.js';

/** The 17 COCO keypoints in MoveNet's output order. */
export const COCO_KEYPOINT_NAMES = [
  'nose',
  'left_eye',
  'right_eye',
  'left_ear',
  'right_ear',
  'left_shoulder',
  'right_shoulder',
  'left_elbow',
  'right_elbow',
  'left_wrist',
  'right_wrist',
  'left_hip',
  'right_hip',
  'left_knee',
  'right_knee',
  'left_ankle',
  'right_ankle',
] as const;
export type KeypointName = (typeof COCO_KEYPOINT_NAMES)[number];

/** Limb segments (pairs of keypoint indices) for drawing skeletons. */
export const COCO_SKELETON: ReadonlyArray<readonly [number, number]> = [
  [0, 1], [0, 2], [1, 3], [2, 4], [5, 6], [5, 7], [7, 9], [6, 8], [8, 10],
  [5, 11], [6, 12], [11, 12], [11, 13], [13, 15], [12, 14], [14, 16],
];

export interface Keypoint {
  name: KeypointName;
  /** Source-image pixels. */
  x: number;
  y: number;
  /** 0..1 */
  score: number;
}

export interface Pose {
  /** Person box in source pixels: the given person box (single pose) or the model's box (multi pose). */
  box: Box;
  /** Single pose: mean keypoint score; multi pose: the model's instance score. 0..1. */
  score: number;
  keypoints: Keypoint[];
  /**
   * Single pose with a person box only: the share of confident keypoints (score ≥ 0.3) inside the box widened by
   * 15 %. Low values mean the model followed a neighbour (crowds, an occluded person): do not use that pose.
   */
  inBoxFraction?: number;
}

/** Share of keypoints with score ≥ `minScore` inside `box` widened by `marginFraction` on each side (1 when none is confident). */
export function keypointsInBoxFraction(keypoints: readonly Keypoint[], box: Box, minScore = 0.3, marginFraction = 0.15): number {
  const mx = box.w * marginFraction;
  const my = box.h * marginFraction;
  const confident = keypoints.filter((k) => k.score >= minScore);
  if (confident.length === 0) return 1;
  const inside = confident.filter((k) => k.x >= box.x - mx && k.x <= box.x + box.w + mx && k.y >= box.y - my && k.y <= box.y + box.h + my);
  return inside.length / confident.length;
}

/**
 * The square crop around a person box: centred on the box, side = long side × (1 + `marginFraction`), so the model
 * sees the whole body with some context, as in MoveNet's own cropping. May extend beyond the image (padded black).
 */
export function squareCropAround(box: Box, marginFraction = 0.25): Box {
  const side = Math.max(box.w, box.h, 1) * (1 + marginFraction);
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2;
  return { x: cx - side / 2, y: cy - side / 2, w: side, h: side };
}

/**
 * Decode MoveNet single-pose output [1,1,17,3] (y, x, score normalised to the crop) into source pixels, where the
 * crop covered `crop` (source pixels; may exceed the image).
 */
export function decodeSinglePose(output: ArrayLike<number>, crop: Box): Keypoint[] {
  if (output.length < 17 * 3) throw new RangeError(`single-pose output has ${output.length} values, expected 51`);
  return COCO_KEYPOINT_NAMES.map((name, k) => ({
    name,
    x: crop.x + output[k * 3 + 1]! * crop.w,
    y: crop.y + output[k * 3]! * crop.h,
    score: output[k * 3 + 2]!,
  }));
}

/** Where the image sits in the multi-pose input: tensor pixel = source pixel × scale (top-left aligned). */
export interface TensorPlacement {
  /** Tensor size in pixels. */
  tensorWidth: number;
  tensorHeight: number;
  /** Tensor pixels per source pixel. */
  scale: number;
}

/**
 * Decode MoveNet multi-pose output [1,6,56] (per person 17 × (y, x, score), then ymin, xmin, ymax, xmax, score, all
 * normalised to the input tensor) into poses in source pixels with instance score ≥ `minScore`, best first.
 */
export function decodeMultiPose(output: ArrayLike<number>, place: TensorPlacement, minScore: number, sourceWidth: number, sourceHeight: number): Pose[] {
  const rowLen = 56;
  const people = Math.floor(output.length / rowLen);
  const fx = place.tensorWidth / place.scale;
  const fy = place.tensorHeight / place.scale;
  const cx = (v: number) => Math.min(Math.max(v, 0), sourceWidth);
  const cy = (v: number) => Math.min(Math.max(v, 0), sourceHeight);
  const poses: Pose[] = [];
  for (let p = 0; p < people; p++) {
    const o = p * rowLen;
    const score = output[o + 55]!;
    if (!(score >= minScore)) continue;
    const keypoints = COCO_KEYPOINT_NAMES.map((name, k) => ({
      name,
      x: output[o + k * 3 + 1]! * fx,
      y: output[o + k * 3]! * fy,
      score: output[o + k * 3 + 2]!,
    }));
    const x1 = cx(output[o + 52]! * fx);
    const y1 = cy(output[o + 51]! * fy);
    const x2 = cx(output[o + 54]! * fx);
    const y2 = cy(output[o + 53]! * fy);
    poses.push({ box: { x: x1, y: y1, w: Math.max(0, x2 - x1), h: Math.max(0, y2 - y1) }, score, keypoints });
  }
  return poses.sort((a, b) => b.score - a.score);
}

/** Multi-pose input size: long side `longSide` (multiple of 32), the other side rounded up to a multiple of 32. */
export function multiPoseInputShape(sourceWidth: number, sourceHeight: number, longSide = 256): TensorPlacement {
  if (!(Number.isInteger(longSide) && longSide >= 32 && longSide % 32 === 0)) throw new RangeError(`longSide must be a multiple of 32, got ${longSide}`);
  if (!(sourceWidth > 0 && sourceHeight > 0)) throw new RangeError(`empty image ${sourceWidth}x${sourceHeight}`);
  const scale = longSide / Math.max(sourceWidth, sourceHeight);
  const up32 = (v: number) => Math.max(32, Math.ceil(v / 32) * 32);
  return { tensorWidth: up32(sourceWidth * scale), tensorHeight: up32(sourceHeight * scale), scale };
}
