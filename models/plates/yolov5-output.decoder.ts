/**
 * Decoding of exported YOLOv5 outputs whose head is already decoded: per anchor `cx, cy, w, h` (pixels of the
 * network input), objectness, then one probability per class. Score = objectness × best class probability.
 * Used by the Vietnamese plate detector and the plate character detector.
 */
import type { Box } from '../../pipeline/domain.types.js';

export interface YoloCandidate {
  /** In network-input pixels (before un-letterboxing). */
  box: Box;
  score: number;
  cls: number;
}

export interface Yolov5DecodeOptions {
  /** Minimum objectness × class probability. @default 0.25 */
  minScore?: number;
}

/** Candidates of one image: `data` holds `anchors × stride` values (stride = 5 + classes). */
export function decodeYolov5(data: ArrayLike<number>, anchors: number, stride: number, opts: Yolov5DecodeOptions = {}): YoloCandidate[] {
  const minScore = opts.minScore ?? 0.25;
  const classes = stride - 5;
  if (classes < 1) throw new RangeError(`decodeYolov5: stride ${stride} leaves no class column`);
  const out: YoloCandidate[] = [];
  for (let i = 0; i < anchors; i++) {
    const o = i * stride;
    const obj = data[o + 4]!;
    // Objectness bounds the score: skip the class scan for the (vast) majority of empty anchors.
    if (obj < minScore) continue;
    let cls = 0;
    let best = -Infinity;
    for (let c = 0; c < classes; c++) {
      const p = data[o + 5 + c]!;
      if (p > best) {
        best = p;
        cls = c;
      }
    }
    const score = obj * best;
    if (score < minScore) continue;
    const w = data[o + 2]!;
    const h = data[o + 3]!;
    out.push({ box: { x: data[o]! - w / 2, y: data[o + 1]! - h / 2, w, h }, score, cls });
  }
  return out;
}
