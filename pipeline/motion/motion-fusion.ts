/**
 * Fuses the object detector's boxes with the motion detector's blobs (motion-assisted detection).
 *
 * Rules, in order, per blob:
 * 1. EXPLAINED blobs add nothing. A blob is explained when the confident detections (score ≥ `explainMinScore`,
 *    the score the tracking stage keeps) cover at least `explainCoverage` of the blob's box (union of their
 *    intersections over the blob area: a detection much larger than the blob, e.g. a bus whose one moving part was
 *    found, explains it), or when one confident detection lies mostly inside the blob (`containedFraction` of its own
 *    area). The second rule is why a large blob holding several detected people or cars never creates an extra
 *    object: motion cannot tell how many objects a blob holds, the detector can.
 * 2. Thin or ragged blobs (`fill` < `minFill`, aspect ratio > `maxAspectRatio`) are not objects (edges of swaying
 *    branches, a shaking pole, a headlight sweep) and are dropped.
 * 3. An unexplained blob that a WEAK detection (`lendMinScore` ≤ score < `explainMinScore`, e.g. an overhead car the
 *    COCO model scores 0.1 as a truck) fits well (IoU ≥ `lendMinIou`) takes that detection's class, with the BLOB's
 *    box (the motion box of an overhead vehicle is steadier than a weak detector box, and a track fed alternately
 *    with `unknown` and class-lent boxes then sees one consistent box) and the score `lentScore`. The weak detection
 *    itself is removed (it is replaced, not duplicated). Since the tracker's class is a score-weighted majority vote,
 *    `lentScore` > `unknownScore` lets a track become car/truck/bus when the detector recognises it on somewhat fewer
 *    than half of its frames, but not when it does so once.
 * 4. Any other unexplained blob becomes an `unknown` detection with the blob's box and `unknownScore`, above the
 *    tracker's new-track threshold (ByteTracker `newTrackMinScore`, default 0.5) so that it can start a track, which
 *    still needs `confirmHits` matches to be confirmed (one-frame flickers are never counted).
 * All original detections other than the lenders are returned unchanged (first, in input order).
 *
 * Measured trade-off (PETS09 S2L1, people, 5 fps, YOLOX-nano 416): the blobs mostly find real people the detector
 * misses (half hidden by a pole), but a track born from such an `unknown` box can take over the person's detections
 * when they reappear, so people's tracks are split more often (23 → 31 confirmed person tracks for 19 people, and
 * 4 unknown tracks). With `unknownScore` below the tracker's `highScore` nothing changes on people, but motion can no
 * longer start tracks (the overhead-vehicle case this exists for).
 */
import type { Box, Detection, ObjectClass } from '../domain.types.js';
import { iou } from '../geometry/box.geometry.js';
import type { MotionBlob } from './motion.detector.js';

export interface FusionOptions {
  /**
   * Detections at or above this score explain blobs; below it they are "weak" and can only lend their class.
   * Pass the camera's `minScore` (the stage drops detections below it). @default 0.3
   */
  explainMinScore?: number;
  /** Fraction of a blob's box that confident detections must cover for it to be explained, 0..1. @default 0.5 */
  explainCoverage?: number;
  /** A confident detection with at least this fraction of its own area inside a blob explains the blob, 0..1. @default 0.6 */
  containedFraction?: number;
  /** Weakest detection that may lend its class to an unexplained blob. @default 0.05 */
  lendMinScore?: number;
  /** Least IoU between a weak detection and a blob for the class to be lent. @default 0.4 */
  lendMinIou?: number;
  /** Classes a weak detection may lend. @default every class except `unknown` */
  lendClasses?: readonly ObjectClass[];
  /** Score of an `unknown` detection made from a blob (must reach the tracker's new-track score). @default 0.55 */
  unknownScore?: number;
  /** Score of a blob detection that took a weak detection's class (its weight in the track's class vote). @default 0.65 */
  lentScore?: number;
  /** Box of a class-lent detection: the blob's or the weak detection's. @default 'blob' */
  lentBox?: 'blob' | 'detection';
  /** Least foreground fraction inside a blob's box for it to become a detection, 0..1. @default 0.3 */
  minFill?: number;
  /** Largest long side / short side ratio of a blob's box for it to become a detection. @default 6 */
  maxAspectRatio?: number;
}

type Resolved = Required<FusionOptions>;

const DEFAULTS: Resolved = {
  explainMinScore: 0.3,
  explainCoverage: 0.5,
  containedFraction: 0.6,
  lendMinScore: 0.05,
  lendMinIou: 0.4,
  lendClasses: ['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck'],
  unknownScore: 0.55,
  lentScore: 0.65,
  lentBox: 'blob',
  minFill: 0.3,
  maxAspectRatio: 6,
};

/** The `unknown` class; cast kept local so the module compiles whether or not ObjectClass lists it yet. */
const UNKNOWN = 'unknown' as ObjectClass;

/**
 * Adds the moving blobs that no detection explains as detections of class `unknown` (or of the class of a weak
 * detection that fits the blob), leaving explained blobs out. Boxes of `detections` and `blobs` must be in the same
 * (full-frame) pixels.
 */
export function fuseMotion(detections: Detection[], blobs: MotionBlob[], opts: FusionOptions = {}): Detection[] {
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as FusionOptions;
  const o: Resolved = { ...DEFAULTS, ...defined };
  if (blobs.length === 0) return detections;
  const confident = detections.filter((d) => d.score >= o.explainMinScore && d.cls !== UNKNOWN);
  const lenders = detections.filter(
    (d) => d.score >= o.lendMinScore && d.score < o.explainMinScore && o.lendClasses.includes(d.cls),
  );
  const used = new Set<Detection>();
  const added: Detection[] = [];
  for (const blob of blobs) {
    if (isExplained(blob.box, confident, o)) continue;
    const b = blob.box;
    const aspect = Math.max(b.w, b.h) / Math.max(1e-9, Math.min(b.w, b.h));
    if (blob.fill < o.minFill || aspect > o.maxAspectRatio) continue;
    let best: Detection | null = null;
    let bestRank = 0;
    for (const d of lenders) {
      if (used.has(d)) continue;
      const v = iou(d.box, b);
      if (v < o.lendMinIou) continue;
      const rank = v * d.score;
      if (rank > bestRank) {
        best = d;
        bestRank = rank;
      }
    }
    if (best) {
      used.add(best);
      added.push({ box: { ...(o.lentBox === 'detection' ? best.box : b) }, score: o.lentScore, cls: best.cls });
    } else {
      added.push({ box: { ...b }, score: o.unknownScore, cls: UNKNOWN });
    }
  }
  if (added.length === 0) return detections;
  return [...detections.filter((d) => !used.has(d)), ...added];
}

/** Is the blob explained by the confident detections (coverage of the blob, or a detection mostly inside it)? */
export function isExplained(blob: Box, confident: readonly Detection[], opts: FusionOptions = {}): boolean {
  const coverageNeeded = opts.explainCoverage ?? DEFAULTS.explainCoverage;
  const containedNeeded = opts.containedFraction ?? DEFAULTS.containedFraction;
  const blobArea = blob.w * blob.h;
  if (blobArea <= 0) return true;
  const clipped: Box[] = [];
  for (const d of confident) {
    const c = intersection(d.box, blob);
    if (!c) continue;
    const detArea = d.box.w * d.box.h;
    if (detArea > 0 && (c.w * c.h) / detArea >= containedNeeded) return true;
    clipped.push(c);
  }
  return clipped.length > 0 && unionArea(clipped) / blobArea >= coverageNeeded;
}

function intersection(a: Box, b: Box): Box | null {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.w, b.x + b.w);
  const y1 = Math.min(a.y + a.h, b.y + b.h);
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : null;
}

/** Exact area of a union of boxes (coordinate compression; a frame has tens of boxes at most). */
export function unionArea(boxes: readonly Box[]): number {
  if (boxes.length === 0) return 0;
  if (boxes.length === 1) return boxes[0]!.w * boxes[0]!.h;
  const xs = [...new Set(boxes.flatMap((b) => [b.x, b.x + b.w]))].sort((a, b) => a - b);
  const ys = [...new Set(boxes.flatMap((b) => [b.y, b.y + b.h]))].sort((a, b) => a - b);
  let area = 0;
  for (let i = 0; i + 1 < xs.length; i++) {
    const cx = (xs[i]! + xs[i + 1]!) / 2;
    for (let j = 0; j + 1 < ys.length; j++) {
      const cy = (ys[j]! + ys[j + 1]!) / 2;
      if (boxes.some((b) => cx >= b.x && cx < b.x + b.w && cy >= b.y && cy < b.y + b.h)) {
        area += (xs[i + 1]! - xs[i]!) * (ys[j + 1]! - ys[j]!);
      }
    }
  }
  return area;
}
