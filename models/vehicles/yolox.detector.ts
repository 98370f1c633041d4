/**
 * YOLOX-nano (COCO) vehicle and person detector: the per-frame hot path of the platform.
 *
 * Pre-processing follows YOLOX exactly (BGR, 0..255, letterbox to the top-left corner, pad 114) but uses a
 * rectangular input: the long side is `inputSize`, the short side is rounded UP to a multiple of 32. A 16:9 frame at
 * 416 becomes 416×256 instead of 416×416, ~40 % fewer pixels to run with the same scale. JPEG input is decoded and
 * resized in one libvips pipeline, so full-size pixels never reach JavaScript.
 */
import { ort, loadOnnxModel, type OnnxModel } from '../runtime/onnx-session.js';
import type { ModelLookupOptions } from '../catalogue/model-catalogue.js';
import { decodeImageResized, type RgbImage } from '../image/rgb-image.js';
import { letterboxGeometry, letterboxInto, unletterboxBox, type LetterboxGeometry, type LetterboxOptions, type Letterboxed } from '../image/letterbox.js';
import { nmsPerClass } from '../detect/nms.js';
import { OBJECT_CLASSES, type Detection, type ObjectClass } from '../../pipeline/domain.types.js';

export interface YoloxDetectOptions {
  /** Long side of the network input in pixels; a multiple of 32 (e.g. 416, the training size, or 640 for small objects). */
  inputSize: number;
  /** Minimum objectness × class score, 0..1. Default 0.3. */
  minScore?: number;
  /** IoU above which a lower-scoring box of the same class is suppressed. Default 0.45. */
  nmsIou?: number;
  /** Classes to report; classes YOLOX cannot produce (`unknown`) are ignored. Default: all of {@link YOLOX_CLASSES}. */
  classes?: readonly ObjectClass[];
  /** Cap on detections returned (highest scores first). Default 300. */
  maxDetections?: number;
}

export interface YoloxTimings {
  /** JPEG/PNG decode (+ resize, done together); 0 for RgbImage input. */
  decodeMs: number;
  /** Letterbox / tensor fill. */
  preprocessMs: number;
  /** onnxruntime session.run. */
  inferMs: number;
  /** Grid decode + NMS. */
  postprocessMs: number;
}

/** Platform classes the COCO detector can report (`unknown` comes from motion, never from YOLOX). */
export type YoloxClass = Exclude<ObjectClass, 'unknown'>;

/** Platform class → COCO class index. Everything else COCO knows (trains, boats, ...) is not reported. */
export const YOLOX_COCO_CLASS_IDS: Readonly<Record<YoloxClass, number>> = {
  person: 0,
  bicycle: 1,
  car: 2,
  motorcycle: 3,
  bus: 5,
  truck: 7,
};

export const YOLOX_CLASSES: readonly YoloxClass[] = OBJECT_CLASSES.filter((c): c is YoloxClass => c in YOLOX_COCO_CLASS_IDS);

const STRIDES = [8, 16, 32] as const;
const NUM_COCO = 80;
const ROW = 5 + NUM_COCO;
const INPUT_NAME = 'images';
const OUTPUT_NAME = 'output';

/** Network input size for a source frame: long side = `inputSize`, short side rounded up to a multiple of 32. */
export function yoloxInputShape(sourceWidth: number, sourceHeight: number, inputSize: number): { width: number; height: number } {
  if (!Number.isInteger(inputSize) || inputSize < 32 || inputSize % 32 !== 0) {
    throw new RangeError(`inputSize must be a positive multiple of 32, got ${inputSize}`);
  }
  const roundUp32 = (v: number) => Math.max(32, Math.ceil(v / 32) * 32);
  if (sourceWidth >= sourceHeight) return { width: inputSize, height: Math.min(inputSize, roundUp32((sourceHeight * inputSize) / sourceWidth)) };
  return { width: Math.min(inputSize, roundUp32((sourceWidth * inputSize) / sourceHeight)), height: inputSize };
}

/** Per anchor (grid x, grid y, stride), in the head's output order: stride 8 row-major, then 16, then 32. */
function buildGrid(width: number, height: number): Float32Array {
  let n = 0;
  for (const s of STRIDES) n += (width / s) * (height / s);
  const grid = new Float32Array(n * 3);
  let k = 0;
  for (const s of STRIDES) {
    const gw = width / s;
    const gh = height / s;
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++) {
        grid[k++] = gx;
        grid[k++] = gy;
        grid[k++] = s;
      }
    }
  }
  return grid;
}

const TENSOR_LAYOUT: Omit<LetterboxOptions, 'width' | 'height'> = {
  channelOrder: 'bgr',
  layout: 'nchw',
  align: 'top-left',
  padValue: 114,
};

function isRgbImage(input: RgbImage | Buffer): input is RgbImage {
  return !Buffer.isBuffer(input) && input.data instanceof Uint8Array;
}

export interface YoloxDetectorOptions {
  /**
   * Most frames run in one `session.run`. Calls that arrive while the model is busy wait and then run together
   * (no added delay: a lone frame runs at once). 1 disables batching. @default env IOCV_DETECT_MAX_BATCH, else 8
   */
  maxBatch?: number;
}

/** A prepared frame waiting for the model. */
interface PendingRun {
  tensor: Float32Array;
  width: number;
  height: number;
  resolve: (out: { data: Float32Array; inferMs: number; batch: number }) => void;
  reject: (err: unknown) => void;
}

function resolveMaxBatch(v?: number): number {
  const fromEnv = Number(process.env.IOCV_DETECT_MAX_BATCH);
  const raw = v ?? (Number.isFinite(fromEnv) && fromEnv >= 1 ? fromEnv : 8);
  if (!Number.isInteger(raw) || raw < 1 || raw > 64) throw new RangeError(`maxBatch must be an integer 1..64, got ${String(v)}`);
  return raw;
}

export class YoloxDetector {
  /** Timings of the last `detect` call, for benchmarks (`detect` may run concurrently; then it is the last to finish). */
  lastTimings: YoloxTimings = { decodeMs: 0, preprocessMs: 0, inferMs: 0, postprocessMs: 0 };
  /** Frames run and `session.run` calls made: their ratio is the mean batch size. */
  readonly runStats = { frames: 0, runs: 0 };
  private readonly grids = new Map<string, Float32Array>();
  private readonly maxBatch: number;
  private readonly pending: PendingRun[] = [];
  /**
   * Frame tensors (1.3 MB each at 416x256) and batch inputs are reused: allocating them per frame made garbage
   * collection a tenth of a worker's CPU. A tensor goes back to the pool once copied into its batch (or run alone).
   */
  private readonly tensorPool = new Map<string, Float32Array[]>();
  private readonly batchInputs = new Map<string, Float32Array>();
  private running = false;

  private constructor(
    readonly model: OnnxModel,
    opts: YoloxDetectorOptions = {},
  ) {
    this.maxBatch = model.batchable ? resolveMaxBatch(opts.maxBatch) : 1;
  }

  /** Load (or share) the YOLOX-nano session. `threads`: intra-op threads, default env IOCV_ORT_THREADS or 2. */
  static async create(opts: { threads?: number; lookup?: ModelLookupOptions } & YoloxDetectorOptions = {}): Promise<YoloxDetector> {
    return new YoloxDetector(await loadOnnxModel('yolox-nano', opts), opts);
  }

  /** Wrap an already-loaded model (another session setup, or a fake in tests). */
  static fromModel(model: OnnxModel, opts: YoloxDetectorOptions = {}): YoloxDetector {
    return new YoloxDetector(model, opts);
  }

  private gridFor(width: number, height: number): Float32Array {
    const key = `${width}x${height}`;
    let g = this.grids.get(key);
    if (!g) {
      g = buildGrid(width, height);
      this.grids.set(key, g);
    }
    return g;
  }

  /** Detect people and vehicles. `input`: decoded RGB or encoded JPEG/PNG bytes. Boxes are in source-image pixels. */
  async detect(input: RgbImage | Buffer, opts: YoloxDetectOptions): Promise<Detection[]> {
    const t0 = performance.now();
    let lb: Letterboxed;
    let srcW: number;
    let srcH: number;
    let decodeMs = 0;
    if (isRgbImage(input)) {
      srcW = input.width;
      srcH = input.height;
      const shape = yoloxInputShape(srcW, srcH, opts.inputSize);
      const geom = letterboxGeometry(srcW, srcH, { ...shape, align: 'top-left' });
      lb = letterboxInto(input, geom, { ...TENSOR_LAYOUT, ...shape }, this.takeTensor(geom.width, geom.height));
    } else {
      let geom: LetterboxGeometry | undefined;
      const decoded = await decodeImageResized(input, (w, h) => {
        geom = letterboxGeometry(w, h, { ...yoloxInputShape(w, h, opts.inputSize), align: 'top-left' });
        return { width: geom.contentWidth, height: geom.contentHeight };
      });
      decodeMs = performance.now() - t0;
      srcW = decoded.sourceWidth;
      srcH = decoded.sourceHeight;
      lb = letterboxInto(decoded.image, geom!, { ...TENSOR_LAYOUT, width: geom!.width, height: geom!.height }, this.takeTensor(geom!.width, geom!.height));
    }
    const t1 = performance.now();
    const { data, inferMs } = await this.infer(lb.tensor, lb.width, lb.height);
    const t2 = performance.now();
    const detections = this.decode(data, lb, srcW, srcH, opts);
    const t3 = performance.now();
    // inferMs is this frame's share of its batch's run; the rest of t2 - t1 was waiting for the model.
    this.lastTimings = { decodeMs, preprocessMs: t1 - t0 - decodeMs, inferMs, postprocessMs: t3 - t2 };
    return detections;
  }

  private takeTensor(width: number, height: number): Float32Array {
    return this.tensorPool.get(`${width}x${height}`)?.pop() ?? new Float32Array(3 * width * height);
  }

  private releaseTensor(t: Float32Array, width: number, height: number): void {
    const key = `${width}x${height}`;
    let pool = this.tensorPool.get(key);
    if (!pool) {
      pool = [];
      this.tensorPool.set(key, pool);
    }
    // Bounded: at most what one full batch and the frames preparing behind it hold at once.
    if (pool.length < 2 * this.maxBatch + 4) pool.push(t);
  }

  /** Runs one prepared tensor, batched with whatever else is waiting for the model. */
  private infer(tensor: Float32Array, width: number, height: number): Promise<{ data: Float32Array; inferMs: number; batch: number }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ tensor, width, height, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  /** One batch at a time: while it runs, new frames queue up and form the next batch. */
  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.length) {
        const first = this.pending[0]!;
        // A batch needs one tensor shape: frames of other sizes wait for a later batch, in arrival order.
        const batch: PendingRun[] = [];
        for (let i = 0; i < this.pending.length && batch.length < this.maxBatch; ) {
          const p = this.pending[i]!;
          if (p.width === first.width && p.height === first.height) {
            batch.push(p);
            this.pending.splice(i, 1);
          } else i++;
        }
        await this.runBatch(batch);
      }
    } finally {
      this.running = false;
    }
  }

  private async runBatch(batch: PendingRun[]): Promise<void> {
    const { width, height } = batch[0]!;
    const frameSize = 3 * width * height;
    let input: Float32Array;
    if (batch.length === 1) input = batch[0]!.tensor;
    else {
      // One batch runs at a time, so one input buffer per shape serves every batch of that shape.
      const key = `${width}x${height}`;
      let buf = this.batchInputs.get(key);
      if (!buf) {
        buf = new Float32Array(this.maxBatch * frameSize);
        this.batchInputs.set(key, buf);
      }
      input = buf.subarray(0, batch.length * frameSize);
      batch.forEach((p, i) => {
        input.set(p.tensor, i * frameSize);
        this.releaseTensor(p.tensor, width, height);
      });
    }
    try {
      const t0 = performance.now();
      const out = await this.model.run({ [INPUT_NAME]: new ort.Tensor('float32', input, [batch.length, 3, height, width]) });
      const inferMs = (performance.now() - t0) / batch.length;
      const output = out[OUTPUT_NAME];
      if (!output) throw new Error(`yolox-nano: no "${OUTPUT_NAME}" output (got ${Object.keys(out).join(', ')})`);
      const all = output.data as Float32Array;
      if (all.length % batch.length !== 0) throw new Error(`yolox-nano: output of ${all.length} values does not split into ${batch.length} frames`);
      const per = all.length / batch.length;
      this.runStats.frames += batch.length;
      this.runStats.runs++;
      batch.forEach((p, i) => p.resolve({ data: all.subarray(i * per, (i + 1) * per), inferMs, batch: batch.length }));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      if (batch.length === 1) this.releaseTensor(batch[0]!.tensor, width, height);
    }
  }

  private decode(data: Float32Array, lb: Letterboxed, srcW: number, srcH: number, opts: YoloxDetectOptions): Detection[] {
    const minScore = opts.minScore ?? 0.3;
    const grid = this.gridFor(lb.width, lb.height);
    const anchors = grid.length / 3;
    if (data.length !== anchors * ROW) {
      throw new Error(`yolox-nano: output has ${data.length} values, expected ${anchors} anchors × ${ROW} for ${lb.width}x${lb.height}`);
    }
    const wanted = opts.classes ? opts.classes.filter((c): c is YoloxClass => c in YOLOX_COCO_CLASS_IDS) : YOLOX_CLASSES;
    const classIds = wanted.map((c) => YOLOX_COCO_CLASS_IDS[c]);

    const candidates: Detection[] = [];
    for (let a = 0, o = 0; a < anchors; a++, o += ROW) {
      const obj = data[o + 4]!;
      // Class scores are ≤ 1, so a low objectness can never reach minScore: skip the class scan for most anchors.
      if (obj < minScore) continue;
      // Best among the reported classes (not the global argmax): a bus the model half-thinks is a "train" is still
      // a bus for counting, rather than a lost vehicle.
      let best = -1;
      let bestScore = 0;
      for (let k = 0; k < classIds.length; k++) {
        const s = data[o + 5 + classIds[k]!]!;
        if (s > bestScore) {
          bestScore = s;
          best = k;
        }
      }
      const score = obj * bestScore;
      if (best < 0 || score < minScore) continue;
      const gx = grid[a * 3]!;
      const gy = grid[a * 3 + 1]!;
      const stride = grid[a * 3 + 2]!;
      const cx = (data[o]! + gx) * stride;
      const cy = (data[o + 1]! + gy) * stride;
      const w = Math.exp(data[o + 2]!) * stride;
      const h = Math.exp(data[o + 3]!) * stride;
      const box = unletterboxBox({ x: cx - w / 2, y: cy - h / 2, w, h }, lb, srcW, srcH);
      if (box.w < 1 || box.h < 1) continue;
      candidates.push({ box, score, cls: wanted[best]! });
    }
    const kept = nmsPerClass(candidates, (d) => d.cls, opts.nmsIou ?? 0.45);
    return kept.slice(0, opts.maxDetections ?? 300);
  }
}
