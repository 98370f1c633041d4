/**
 * Vietnamese plate character detector (YOLOv5n, 30 classes). NO LICENCE upstream: an optional reader for
 * evaluation. Characters come out as boxes; they are sorted into one or two rows and read left to right.
 */
import { VN_PLATE_CHAR_LABELS } from '../catalogue/model-catalogue.js';
import { nms } from '../detect/nms.js';
import { letterbox } from '../image/letterbox.js';
import type { RgbImage } from '../image/rgb-image.js';
import { loadOnnxModel, ort, type LoadOnnxModelOptions, type OnnxModel } from '../runtime/onnx-session.js';
import { groupIntoRows } from './plate-rows.splitter.js';
import type { RecognizedRow } from './plate-text.types.js';
import { decodeYolov5 } from './yolov5-output.decoder.js';

export interface VnCharsOptions extends LoadOnnxModelOptions {
  /** Network input side, pixels, multiple of 32. Reads degrade quickly below 640 (measured on plates_vn). @default 640 */
  inputSize?: number;
  /** Minimum objectness × class score of a character. @default 0.25 */
  minScore?: number;
  /**
   * IoU above which two character boxes are one character (class-agnostic: two classes on one glyph are a doubt,
   * not two characters). @default 0.45
   */
  iouThreshold?: number;
}

export class VnCharsReader {
  readonly name = 'vn-chars';

  private constructor(
    private readonly model: OnnxModel,
    private readonly inputSize: number,
    private readonly minScore: number,
    private readonly iouThreshold: number,
  ) {}

  static async create(opts: VnCharsOptions = {}): Promise<VnCharsReader> {
    return new VnCharsReader(await loadOnnxModel('vn-plate-chars', opts), opts.inputSize ?? 640, opts.minScore ?? 0.25, opts.iouThreshold ?? 0.45);
  }

  /** Read a plate crop: one or two rows of characters, each with its detection score as probability. */
  async read(crop: RgbImage): Promise<RecognizedRow[]> {
    const size = this.inputSize;
    const lb = letterbox(crop, { width: size, height: size, align: 'center', padValue: 114, channelOrder: 'rgb', layout: 'nchw', std: [255, 255, 255] });
    const input = this.model.session.inputNames[0]!;
    const out = await this.model.run({ [input]: new ort.Tensor('float32', lb.tensor, [1, 3, size, size]) });
    const t = out[this.model.session.outputNames[0]!]!;
    const [, anchors, stride] = t.dims as [number, number, number];
    const chars = nms(decodeYolov5(t.data as Float32Array, anchors, stride, { minScore: this.minScore }), this.iouThreshold);
    return groupIntoRows(chars).map((row) => row.map((c) => ({ ch: VN_PLATE_CHAR_LABELS[c.cls] ?? '', p: c.score })));
  }
}
