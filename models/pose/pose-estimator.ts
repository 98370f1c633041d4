/**
 * MoveNet Lightning (Apache-2.0) pose estimation: 17 COCO keypoints with scores, in source-image pixels.
 *   - single pose on a person crop: the person box padded to a square with context (`marginFraction`), resampled to
 *     192×192 (black outside the image), int32 RGB 0..255;
 *   - multi pose on a whole frame: long side 256, the other side rounded up to a multiple of 32 (image top-left,
 *     black padding), int32 RGB 0..255; up to 6 people.
 * Downscaling averages first (see `warpSimilaritySmooth`), so a 1080p frame does not alias into the 256 px input.
 * Each model is loaded on first use: a worker that only needs one never loads the other (the multi model is 19 MB).
 */
import type { Box } from '../../pipeline/domain.types.js';
import type { ModelLookupOptions } from '../catalogue/model-catalogue.js';
import type { RgbImage } from '../image/rgb-image.js';
import { loadOnnxModel, ort, type OnnxModel } from '../runtime/onnx-session.js';
import { warpSimilaritySmooth } from '../faces/face-alignment.js';
import { decodeMultiPose, decodeSinglePose, keypointsInBoxFraction, multiPoseInputShape, squareCropAround, type Pose } from './movenet.decoder.js';

export type { Keypoint, KeypointName, Pose } from './movenet.decoder.js';
export { COCO_KEYPOINT_NAMES, COCO_SKELETON } from './movenet.decoder.js';

/** Side of the single-pose model's square input in pixels. */
export const MOVENET_SINGLE_INPUT = 192;

export interface PoseEstimatorOptions {
  /** Intra-op threads. Default: env `IOCV_ORT_THREADS`, else 2. */
  threads?: number;
  lookup?: ModelLookupOptions;
  /** Context added around a person box, as a fraction of its long side, before squaring. Default 0.25. */
  marginFraction?: number;
  /** Long side of the multi-pose input in pixels (multiple of 32). Default 256. */
  multiLongSide?: number;
}

export interface MultiPoseOptions {
  /** Minimum instance score, 0..1. Default 0.25. */
  minScore?: number;
}

/**
 * Resample the square `crop` (source pixels, may exceed the image) into a `size`² image, black outside. Boxes are
 * continuous coordinates (pixel i spans [i, i+1)), so pixel centres map as u + ½ = a·(x + ½ − crop.x).
 */
export function cropSquare(img: RgbImage, crop: Box, size: number): RgbImage {
  const a = size / crop.w;
  return warpSimilaritySmooth(img, { a, b: 0, tx: a * (0.5 - crop.x) - 0.5, ty: a * (0.5 - crop.y) - 0.5 }, size, size);
}

/** Resize by `scale` into the top-left of a `width × height` image (pixel centres: u + ½ = scale·(x + ½)), black padding. */
export function scaleInto(img: RgbImage, scale: number, width: number, height: number): RgbImage {
  const t = 0.5 * scale - 0.5;
  return warpSimilaritySmooth(img, { a: scale, b: 0, tx: t, ty: t }, width, height);
}

function toInt32(img: RgbImage): Int32Array {
  const out = new Int32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i]!;
  return out;
}

export class PoseEstimator {
  private single?: Promise<OnnxModel>;
  private multi?: Promise<OnnxModel>;
  private readonly marginFraction: number;
  private readonly multiLongSide: number;

  private constructor(private readonly opts: PoseEstimatorOptions) {
    this.marginFraction = opts.marginFraction ?? 0.25;
    this.multiLongSide = opts.multiLongSide ?? 256;
    if (!(this.marginFraction >= 0)) throw new RangeError(`marginFraction must be ≥ 0, got ${this.marginFraction}`);
    multiPoseInputShape(32, 32, this.multiLongSide); // validates the multiple of 32
  }

  /** Validates options; models load on first use (await {@link PoseEstimator.warmUp} to load them now). */
  static async create(opts: PoseEstimatorOptions = {}): Promise<PoseEstimator> {
    return new PoseEstimator(opts);
  }

  /** Load the models now (e.g. at worker start) instead of on the first call. */
  async warmUp(which: { single?: boolean; multi?: boolean } = { single: true, multi: true }): Promise<void> {
    await Promise.all([which.single ? this.singleModel() : null, which.multi ? this.multiModel() : null]);
  }

  private singleModel(): Promise<OnnxModel> {
    this.single ??= loadOnnxModel('movenet-single', { threads: this.opts.threads, lookup: this.opts.lookup });
    // A failed load is retried on the next call.
    this.single.catch(() => (this.single = undefined));
    return this.single;
  }

  private multiModel(): Promise<OnnxModel> {
    this.multi ??= loadOnnxModel('movenet-multi', { threads: this.opts.threads, lookup: this.opts.lookup });
    this.multi.catch(() => (this.multi = undefined));
    return this.multi;
  }

  /**
   * One person's pose. With `personBox` (e.g. a tracked person), the crop is that box squared with context;
   * without it, the whole image padded to a square. `box` of the result is `personBox` (or the whole image),
   * `score` the mean keypoint score, and `inBoxFraction` (with a box) how much of the skeleton lies in that box.
   */
  async estimateSingle(img: RgbImage, personBox?: Box): Promise<Pose> {
    const box = personBox ?? { x: 0, y: 0, w: img.width, h: img.height };
    if (!(box.w > 0 && box.h > 0)) throw new RangeError(`empty person box ${box.w}x${box.h}`);
    const crop = squareCropAround(box, personBox ? this.marginFraction : 0);
    const input = cropSquare(img, crop, MOVENET_SINGLE_INPUT);
    const model = await this.singleModel();
    const out = await model.run({
      [model.session.inputNames[0] ?? 'input:0']: new ort.Tensor('int32', toInt32(input), [1, MOVENET_SINGLE_INPUT, MOVENET_SINGLE_INPUT, 3]),
    });
    const t = out[model.session.outputNames[0] ?? 'Identity:0'];
    if (!t) throw new Error('MoveNet single-pose returned no output');
    const keypoints = decodeSinglePose(t.data as Float32Array, crop);
    const score = keypoints.reduce((s, k) => s + k.score, 0) / keypoints.length;
    return personBox ? { box, score, keypoints, inBoxFraction: keypointsInBoxFraction(keypoints, personBox) } : { box, score, keypoints };
  }

  /** Everyone's pose in a whole frame (up to 6 people), best score first. */
  async estimateMulti(img: RgbImage, options: MultiPoseOptions = {}): Promise<Pose[]> {
    const place = multiPoseInputShape(img.width, img.height, this.multiLongSide);
    const input = scaleInto(img, place.scale, place.tensorWidth, place.tensorHeight);
    const model = await this.multiModel();
    const out = await model.run({
      [model.session.inputNames[0] ?? 'input']: new ort.Tensor('int32', toInt32(input), [1, place.tensorHeight, place.tensorWidth, 3]),
    });
    const t = out[model.session.outputNames[0] ?? 'output_0'];
    if (!t) throw new Error('MoveNet multi-pose returned no output');
    return decodeMultiPose(t.data as Float32Array, place, options.minScore ?? 0.25, img.width, img.height);
  }
}
