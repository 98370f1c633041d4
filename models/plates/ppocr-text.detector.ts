/**
 * PP-OCRv4 text detector (DB, Apache-2.0): finds text lines in an image or in a region of it (a vehicle box).
 * The image is resized so that its long side is at most `maxSidePx` (never enlarged beyond `maxUpscale`), to
 * multiples of 32; the probability map is post-processed into line boxes in image pixels.
 */
import type { Box } from '../../pipeline/domain.types.js';
import { cropImage, type RgbImage } from '../image/rgb-image.js';
import { letterbox, unletterboxBox } from '../image/letterbox.js';
import { loadOnnxModel, ort, type LoadOnnxModelOptions, type OnnxModel } from '../runtime/onnx-session.js';
import { dbTextRegions, type DbPostprocessOptions, type TextRegion } from './db-text.postprocess.js';

export interface TextDetectOptions extends DbPostprocessOptions {
  /** Look only inside this box (image pixels), e.g. a vehicle. @default the whole image */
  region?: Box;
  /** Long side of the network input, pixels. PaddleOCR's default limit is 960. @default 960 */
  maxSidePx?: number;
  /** Small regions may be enlarged up to this factor (small plates read better at a larger scale). @default 2 */
  maxUpscale?: number;
}

const MEAN = [0.485, 0.456, 0.406] as const;
const STD = [0.229, 0.224, 0.225] as const;

/** Network input size for an image: long side ≤ maxSide, scale ≤ maxUpscale, both sides multiples of 32 (≥ 32). */
export function detInputSize(width: number, height: number, maxSidePx: number, maxUpscale: number): { width: number; height: number } {
  const scale = Math.min(maxUpscale, maxSidePx / Math.max(width, height));
  const round32 = (v: number): number => Math.max(32, Math.round(v / 32) * 32);
  return { width: round32(width * scale), height: round32(height * scale) };
}

export class PpocrTextDetector {
  readonly name = 'ppocr';

  private constructor(private readonly model: OnnxModel) {}

  static async create(opts: LoadOnnxModelOptions = {}): Promise<PpocrTextDetector> {
    return new PpocrTextDetector(await loadOnnxModel('ppocr-det', opts));
  }

  /** Text lines, boxes in image pixels. */
  async detect(img: RgbImage, opts: TextDetectOptions = {}): Promise<TextRegion[]> {
    const region = clampBox(opts.region ?? { x: 0, y: 0, w: img.width, h: img.height }, img.width, img.height);
    if (region.w < 4 || region.h < 4) return [];
    const src = region.x === 0 && region.y === 0 && region.w === img.width && region.h === img.height ? img : cropImage(img, region);
    const size = detInputSize(src.width, src.height, opts.maxSidePx ?? 960, opts.maxUpscale ?? 2);
    // PaddleOCR feeds BGR and applies the ImageNet mean/std in that channel order (B gets 0.485, ...).
    const lb = letterbox(src, {
      width: size.width,
      height: size.height,
      align: 'top-left',
      padValue: 0,
      channelOrder: 'bgr',
      layout: 'nchw',
      mean: [MEAN[0] * 255, MEAN[1] * 255, MEAN[2] * 255],
      std: [STD[0] * 255, STD[1] * 255, STD[2] * 255],
    });
    const input = this.model.session.inputNames[0]!;
    const outputs = await this.model.run({ [input]: new ort.Tensor('float32', lb.tensor, [1, 3, size.height, size.width]) });
    const prob = outputs[this.model.session.outputNames[0]!]!;
    const regions = dbTextRegions(prob.data as Float32Array, size.width, size.height, opts);
    return regions.map((t) => {
      const b = unletterboxBox(t.box, lb, src.width, src.height);
      return { score: t.score, box: { x: region.x + b.x, y: region.y + b.y, w: b.w, h: b.h } };
    });
  }
}

/** Integer box inside the image. */
export function clampBox(b: Box, width: number, height: number): Box {
  const x0 = Math.max(0, Math.min(width, Math.floor(b.x)));
  const y0 = Math.max(0, Math.min(height, Math.floor(b.y)));
  const x1 = Math.max(x0, Math.min(width, Math.ceil(b.x + b.w)));
  const y1 = Math.max(y0, Math.min(height, Math.ceil(b.y + b.h)));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}
