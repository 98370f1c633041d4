/**
 * YuNet face detector (OpenCV Zoo, MIT): boxes with 5 landmarks, the input the aligner needs.
 *
 * Pre-processing as OpenCV's FaceDetectorYN: BGR 0..255, no normalisation, image at the top-left of a tensor whose
 * sides are rounded up to multiples of 32, padded with 0. Images larger than `maxInputSide` are shrunk first (the
 * model finds faces from ~10 px up, so a 4000 px photo loses nothing at 640 px while a CCTV frame with small faces
 * may need 960 or more); smaller images run at their own size, never enlarged.
 */
import type { Box, Point } from '../../pipeline/domain.types.js';
import type { ModelLookupOptions } from '../catalogue/model-catalogue.js';
import type { RgbImage } from '../image/rgb-image.js';
import { letterboxInto, type LetterboxGeometry, type LetterboxOptions } from '../image/letterbox.js';
import { loadOnnxModel, ort, type OnnxModel } from '../runtime/onnx-session.js';
import { YUNET_STRIDES, decodeYunet, type YunetStrideOutput } from './yunet.decoder.js';

export interface FaceDetection {
  /** Source-image pixels, clamped to the image. */
  box: Box;
  /** √(cls · obj), 0..1. */
  score: number;
  /** 5 points in source pixels: eye, eye, nose tip, mouth corner, mouth corner (image-left first in each pair). */
  landmarks: Point[];
}

export interface YunetDetectOptions {
  /** Long side of the network input in pixels; larger images are shrunk to it, smaller ones are not enlarged. Default 640. */
  maxInputSide?: number;
  /** Minimum face score, 0..1. Default 0.6 (OpenCV's demo uses 0.9; quality gating happens later). */
  minScore?: number;
  /** IoU above which the lower-scoring face is suppressed. Default 0.3 (OpenCV's default). */
  nmsIou?: number;
  /** Faces returned at most (largest first). Default 100. */
  maxFaces?: number;
}

export interface YunetDetectorOptions {
  /** Intra-op threads. Default: env `IOCV_ORT_THREADS`, else 2. */
  threads?: number;
  lookup?: ModelLookupOptions;
  /** Defaults for every `detect` call. */
  detect?: YunetDetectOptions;
}

const PREPROCESS: Omit<LetterboxOptions, 'width' | 'height'> = { align: 'top-left', padValue: 0, channelOrder: 'bgr', layout: 'nchw' };

/** Tensor geometry for a source image: scale ≤ 1 so the long side ≤ `maxInputSide`, sides rounded up to 32. */
export function yunetInputGeometry(sourceWidth: number, sourceHeight: number, maxInputSide: number): LetterboxGeometry {
  if (!(sourceWidth > 0 && sourceHeight > 0)) throw new RangeError(`empty image ${sourceWidth}x${sourceHeight}`);
  if (!(maxInputSide >= 32)) throw new RangeError(`maxInputSide must be ≥ 32, got ${maxInputSide}`);
  const scale = Math.min(1, maxInputSide / Math.max(sourceWidth, sourceHeight));
  const contentWidth = Math.max(1, Math.round(sourceWidth * scale));
  const contentHeight = Math.max(1, Math.round(sourceHeight * scale));
  const up32 = (v: number) => Math.max(32, Math.ceil(v / 32) * 32);
  return { width: up32(contentWidth), height: up32(contentHeight), scale, contentWidth, contentHeight, padX: 0, padY: 0 };
}

export class YunetDetector {
  private constructor(
    private readonly model: OnnxModel,
    private readonly defaults: YunetDetectOptions,
  ) {}

  static async create(opts: YunetDetectorOptions = {}): Promise<YunetDetector> {
    const model = await loadOnnxModel('yunet', { threads: opts.threads, lookup: opts.lookup });
    return new YunetDetector(model, opts.detect ?? {});
  }

  /** Faces in `img`, largest box first. */
  async detect(img: RgbImage, options: YunetDetectOptions = {}): Promise<FaceDetection[]> {
    const o = { ...this.defaults, ...options };
    const geom = yunetInputGeometry(img.width, img.height, o.maxInputSide ?? 640);
    const lb = letterboxInto(img, geom, { ...PREPROCESS, width: geom.width, height: geom.height });
    const input = new ort.Tensor('float32', lb.tensor, [1, 3, geom.height, geom.width]);
    const out = await this.model.run({ [this.model.session.inputNames[0] ?? 'input']: input });
    const strides: YunetStrideOutput[] = YUNET_STRIDES.map((s) => {
      const get = (name: string) => {
        const t = out[`${name}_${s}`];
        if (!t) throw new Error(`YuNet output ${name}_${s} missing (got ${Object.keys(out).join(', ')})`);
        return t.data as Float32Array;
      };
      return { cls: get('cls'), obj: get('obj'), bbox: get('bbox'), kps: get('kps') };
    });
    const raw = decodeYunet(strides, { inputWidth: geom.width, inputHeight: geom.height, minScore: o.minScore ?? 0.6, nmsIou: o.nmsIou ?? 0.3 });
    const s = geom.scale;
    const faces: FaceDetection[] = raw.map((f) => {
      const x1 = Math.max(0, f.box.x / s);
      const y1 = Math.max(0, f.box.y / s);
      const x2 = Math.min(img.width, (f.box.x + f.box.w) / s);
      const y2 = Math.min(img.height, (f.box.y + f.box.h) / s);
      return {
        box: { x: x1, y: y1, w: Math.max(0, x2 - x1), h: Math.max(0, y2 - y1) },
        score: f.score,
        landmarks: f.landmarks.map((p) => ({ x: p.x / s, y: p.y / s })),
      };
    });
    return faces.sort((a, b) => b.box.w * b.box.h - a.box.w * a.box.h).slice(0, o.maxFaces ?? 100);
  }
}
