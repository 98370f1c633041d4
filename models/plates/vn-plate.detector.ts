/**
 * Vietnamese plate detector (YOLOv5n, one class). NO LICENCE upstream: an optional, pluggable detector for
 * evaluation; the default plate path is the Apache-2.0 PP-OCR text detector.
 */
import type { Box } from '../../pipeline/domain.types.js';
import { nms } from '../detect/nms.js';
import { letterbox, unletterboxBox } from '../image/letterbox.js';
import { cropImage, type RgbImage } from '../image/rgb-image.js';
import { loadOnnxModel, ort, type LoadOnnxModelOptions, type OnnxModel } from '../runtime/onnx-session.js';
import { clampBox } from './ppocr-text.detector.js';
import { decodeYolov5 } from './yolov5-output.decoder.js';

export interface PlateDetectOptions {
  /** Look only inside this box (image pixels), e.g. a vehicle. @default the whole image */
  region?: Box;
  /** Network input side, pixels, multiple of 32. @default 640 */
  inputSize?: number;
  /** Minimum objectness × class score. @default 0.25 */
  minScore?: number;
  /** NMS IoU threshold. @default 0.45 */
  iouThreshold?: number;
}

export interface DetectedPlate {
  box: Box;
  score: number;
}

export class VnPlateDetector {
  readonly name = 'vn-yolo';

  private constructor(private readonly model: OnnxModel) {}

  static async create(opts: LoadOnnxModelOptions = {}): Promise<VnPlateDetector> {
    return new VnPlateDetector(await loadOnnxModel('vn-plate-detector', opts));
  }

  async detect(img: RgbImage, opts: PlateDetectOptions = {}): Promise<DetectedPlate[]> {
    const region = clampBox(opts.region ?? { x: 0, y: 0, w: img.width, h: img.height }, img.width, img.height);
    if (region.w < 4 || region.h < 4) return [];
    const src = region.w === img.width && region.h === img.height ? img : cropImage(img, region);
    const size = opts.inputSize ?? 640;
    const lb = letterbox(src, { width: size, height: size, align: 'center', padValue: 114, channelOrder: 'rgb', layout: 'nchw', std: [255, 255, 255] });
    const input = this.model.session.inputNames[0]!;
    const out = await this.model.run({ [input]: new ort.Tensor('float32', lb.tensor, [1, 3, size, size]) });
    const t = out[this.model.session.outputNames[0]!]!;
    const [, anchors, stride] = t.dims as [number, number, number];
    const cands = decodeYolov5(t.data as Float32Array, anchors, stride, { minScore: opts.minScore ?? 0.25 });
    return nms(cands, opts.iouThreshold ?? 0.45).map((c) => {
      const b = unletterboxBox(c.box, lb, src.width, src.height);
      return { score: c.score, box: { x: region.x + b.x, y: region.y + b.y, w: b.w, h: b.h } };
    });
  }
}
