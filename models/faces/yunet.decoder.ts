/**
 * Decoding of YuNet's raw heads, as OpenCV's FaceDetectorYN does it (objdetect/src/face_detect.cpp): for each
 * stride s ∈ {8, 16, 32} and each grid cell (c, r), row-major:
 *   score = √(clamp(cls) · clamp(obj)),
 *   centre = ((c + dx)·s, (r + dy)·s), size = (exp(dw)·s, exp(dh)·s),
 *   landmark k = ((c + kx)·s, (r + ky)·s).
 * Everything is in input-tensor pixels; the caller maps back to the source image.
 */
import type { Box, Point } from '../../pipeline/domain.types.js';
import { nms } from '../detect/nms.js';

export const YUNET_STRIDES = [8, 16, 32] as const;

/** The arrays of one stride, each [anchors × C] row-major (C = 1, 1, 4, 10). */
export interface YunetStrideOutput {
  cls: ArrayLike<number>;
  obj: ArrayLike<number>;
  bbox: ArrayLike<number>;
  kps: ArrayLike<number>;
}

export interface RawFace {
  box: Box;
  score: number;
  /** 5 points: eye, eye, nose tip, mouth corner, mouth corner (image-left first in each pair). */
  landmarks: Point[];
}

export interface YunetDecodeOptions {
  /** Input tensor width in pixels (multiple of 32). */
  inputWidth: number;
  /** Input tensor height in pixels (multiple of 32). */
  inputHeight: number;
  /** Minimum score, 0..1. */
  minScore: number;
  /** IoU above which the lower-scoring face is suppressed. OpenCV's default is 0.3. */
  nmsIou: number;
  /** Cap on candidates kept before NMS (highest scores). OpenCV's default is 5000. */
  topK?: number;
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Decode the per-stride outputs (in {@link YUNET_STRIDES} order) into faces after NMS, highest score first. */
export function decodeYunet(outputs: readonly YunetStrideOutput[], opts: YunetDecodeOptions): RawFace[] {
  if (outputs.length !== YUNET_STRIDES.length) throw new RangeError(`expected ${YUNET_STRIDES.length} strides, got ${outputs.length}`);
  const candidates: RawFace[] = [];
  YUNET_STRIDES.forEach((s, si) => {
    const out = outputs[si]!;
    const cols = Math.floor(opts.inputWidth / s);
    const rows = Math.floor(opts.inputHeight / s);
    const n = cols * rows;
    if (out.cls.length < n || out.obj.length < n || out.bbox.length < n * 4 || out.kps.length < n * 10) {
      throw new RangeError(`stride ${s}: outputs shorter than the ${cols}×${rows} grid of a ${opts.inputWidth}×${opts.inputHeight} input`);
    }
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const idx = r * cols + c;
        const score = Math.sqrt(clamp01(out.cls[idx]!) * clamp01(out.obj[idx]!));
        if (!(score >= opts.minScore)) continue;
        const cx = (c + out.bbox[idx * 4]!) * s;
        const cy = (r + out.bbox[idx * 4 + 1]!) * s;
        const w = Math.exp(out.bbox[idx * 4 + 2]!) * s;
        const h = Math.exp(out.bbox[idx * 4 + 3]!) * s;
        const landmarks: Point[] = [];
        for (let k = 0; k < 5; k++) landmarks.push({ x: (c + out.kps[idx * 10 + 2 * k]!) * s, y: (r + out.kps[idx * 10 + 2 * k + 1]!) * s });
        candidates.push({ box: { x: cx - w / 2, y: cy - h / 2, w, h }, score, landmarks });
      }
    }
  });
  const topK = opts.topK ?? 5000;
  const pre = candidates.length > topK ? candidates.sort((a, b) => b.score - a.score).slice(0, topK) : candidates;
  return nms(pre, opts.nmsIou);
}
