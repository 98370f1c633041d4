/**
 * MobileFaceNet (192-d, Apache-2.0) on ArcFace-aligned 112×112 crops: NHWC RGB, (v − 127.5) / 128, output
 * L2-normalised so that a dot product is the cosine similarity. Several faces go through one `run` (the batch axis
 * is symbolic), which amortises the per-call overhead when a frame holds many faces.
 */
import type { ModelLookupOptions } from '../catalogue/model-catalogue.js';
import type { RgbImage } from '../image/rgb-image.js';
import { loadOnnxModel, ort, type OnnxModel } from '../runtime/onnx-session.js';
import { ALIGNED_FACE_SIZE } from './face-alignment.js';
import { l2Normalize } from './face-similarity.js';

export const FACE_EMBEDDING_SIZE = 192;

export interface MobileFaceNetOptions {
  /** Intra-op threads. Default: env `IOCV_ORT_THREADS`, else 2. */
  threads?: number;
  lookup?: ModelLookupOptions;
  /** Faces per `run` at most. Default 16. */
  maxBatch?: number;
}

/** Write one aligned crop into the batch tensor at `offset` (NHWC, RGB, (v − 127.5) / 128). */
export function writeFaceTensor(face: RgbImage, tensor: Float32Array, offset: number): void {
  if (face.width !== ALIGNED_FACE_SIZE || face.height !== ALIGNED_FACE_SIZE) {
    throw new RangeError(`aligned face must be ${ALIGNED_FACE_SIZE}×${ALIGNED_FACE_SIZE}, got ${face.width}×${face.height}`);
  }
  const d = face.data;
  for (let i = 0; i < d.length; i++) tensor[offset + i] = (d[i]! - 127.5) / 128;
}

export class MobileFaceNetEmbedder {
  private constructor(
    private readonly model: OnnxModel,
    private readonly maxBatch: number,
  ) {}

  static async create(opts: MobileFaceNetOptions = {}): Promise<MobileFaceNetEmbedder> {
    const model = await loadOnnxModel('mobilefacenet', { threads: opts.threads, lookup: opts.lookup });
    const maxBatch = opts.maxBatch ?? 16;
    if (!(Number.isInteger(maxBatch) && maxBatch >= 1)) throw new RangeError(`maxBatch must be an integer ≥ 1, got ${maxBatch}`);
    return new MobileFaceNetEmbedder(model, maxBatch);
  }

  /** One unit-length 192-d embedding per aligned 112×112 crop, in input order. */
  async embedAligned(faces: readonly RgbImage[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const per = ALIGNED_FACE_SIZE * ALIGNED_FACE_SIZE * 3;
    for (let start = 0; start < faces.length; start += this.maxBatch) {
      const batch = faces.slice(start, start + this.maxBatch);
      const tensor = new Float32Array(batch.length * per);
      batch.forEach((f, i) => writeFaceTensor(f, tensor, i * per));
      const input = new ort.Tensor('float32', tensor, [batch.length, ALIGNED_FACE_SIZE, ALIGNED_FACE_SIZE, 3]);
      const res = await this.model.run({ [this.model.session.inputNames[0] ?? 'input']: input });
      const emb = res[this.model.session.outputNames[0] ?? 'embeddings'];
      if (!emb) throw new Error('MobileFaceNet returned no output');
      const data = emb.data as Float32Array;
      const dim = data.length / batch.length;
      if (dim !== FACE_EMBEDDING_SIZE) throw new Error(`MobileFaceNet output has ${dim} values per face, expected ${FACE_EMBEDDING_SIZE}`);
      for (let i = 0; i < batch.length; i++) out.push(l2Normalize(data.slice(i * dim, (i + 1) * dim)));
    }
    return out;
  }
}
