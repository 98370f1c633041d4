/**
 * The face pipeline behind one object: detect (YuNet) → align (ArcFace 5-point similarity) → quality gate →
 * embed (MobileFaceNet, batched) → compare (cosine against a calibrated threshold). Used by the face-matching stage,
 * the API and `ioc-vision faces`.
 */
import type { Box, Point } from '../../pipeline/domain.types.js';
import type { ModelLookupOptions } from '../catalogue/model-catalogue.js';
import type { RgbImage } from '../image/rgb-image.js';
import { alignFace } from './face-alignment.js';
import { estimateFacePose, laplacianVariance, scoreFaceQuality, type FaceQuality, type FaceQualityOptions } from './face-quality.js';
import { cosineSimilarity, resolveFaceMatchThreshold } from './face-similarity.js';
import { MobileFaceNetEmbedder } from './mobilefacenet.embedder.js';
import { YunetDetector, type FaceDetection, type YunetDetectOptions } from './yunet.detector.js';

export type { FaceDetection } from './yunet.detector.js';
export { FACE_MATCH_THRESHOLD, cosineSimilarity } from './face-similarity.js';

export interface FaceAnalyzerOptions {
  /** Intra-op threads per model. Default: env `IOCV_ORT_THREADS`, else 2. */
  threads?: number;
  lookup?: ModelLookupOptions;
  /** Detection defaults (input size, score, NMS). */
  detect?: YunetDetectOptions;
  /** Ranges of the quality factors. */
  quality?: FaceQualityOptions;
  /** Quality (0..1) from which a face is used for matching. Default 0.4. */
  minQuality?: number;
  /** Cosine similarity from which two faces are the same person. Default: env `IOCV_FACE_MATCH_THRESHOLD`, else {@link FACE_MATCH_THRESHOLD}. */
  matchThreshold?: number;
  /** Faces per embedding run at most. Default 16. */
  maxBatch?: number;
}

export interface FaceEmbedding {
  box: Box;
  /** Detector score, 0..1. */
  score: number;
  landmarks: Point[];
  /** 0..1; see {@link FaceQuality} for its factors. */
  quality: number;
  qualityDetail: FaceQuality;
  /** quality ≥ `minQuality`: only such faces should be matched or enrolled. */
  usableForMatching: boolean;
  /** Unit-length 192-d MobileFaceNet embedding. */
  embedding: Float32Array;
  /** The aligned 112×112 crop (when asked for with `keepAligned`). */
  aligned?: RgbImage;
}

export interface FaceComparison {
  similarity: number;
  samePerson: boolean;
  threshold: number;
}

/** A face that cannot be compared: none found, or none good enough. */
export class NoUsableFaceError extends Error {
  readonly code: 'IOCV_FACE_NOT_FOUND' | 'IOCV_FACE_LOW_QUALITY';
  constructor(code: 'IOCV_FACE_NOT_FOUND' | 'IOCV_FACE_LOW_QUALITY', message: string) {
    super(message);
    this.code = code;
    this.name = 'NoUsableFaceError';
  }
}

export class FaceAnalyzer {
  readonly matchThreshold: number;
  readonly minQuality: number;

  private constructor(
    private readonly detector: YunetDetector,
    private readonly embedder: MobileFaceNetEmbedder,
    private readonly opts: FaceAnalyzerOptions,
  ) {
    this.matchThreshold = resolveFaceMatchThreshold(opts.matchThreshold);
    this.minQuality = opts.minQuality ?? 0.4;
    if (!(this.minQuality >= 0 && this.minQuality <= 1)) throw new RangeError(`minQuality must be in 0..1, got ${this.minQuality}`);
  }

  static async create(opts: FaceAnalyzerOptions = {}): Promise<FaceAnalyzer> {
    // Validate the threshold before loading models: a bad setting should fail fast.
    resolveFaceMatchThreshold(opts.matchThreshold);
    const [detector, embedder] = await Promise.all([
      YunetDetector.create({ threads: opts.threads, lookup: opts.lookup, detect: opts.detect }),
      MobileFaceNetEmbedder.create({ threads: opts.threads, lookup: opts.lookup, maxBatch: opts.maxBatch }),
    ]);
    return new FaceAnalyzer(detector, embedder, opts);
  }

  /** Faces with landmarks, largest first. */
  detect(img: RgbImage, options?: YunetDetectOptions): Promise<FaceDetection[]> {
    return this.detector.detect(img, options);
  }

  /**
   * Embeddings of the given faces (default: every face `detect` finds), in the given order (largest first when
   * detected here), with their quality.
   */
  async embed(img: RgbImage, faces?: FaceDetection | readonly FaceDetection[], options: { keepAligned?: boolean } = {}): Promise<FaceEmbedding[]> {
    const list = faces === undefined ? await this.detect(img) : Array.isArray(faces) ? (faces as readonly FaceDetection[]) : [faces as FaceDetection];
    if (list.length === 0) return [];
    const aligned = list.map((f) => alignFace(img, f.landmarks));
    const embeddings = await this.embedder.embedAligned(aligned.map((a) => a.image));
    return list.map((f, i) => {
      const a = aligned[i]!;
      const qualityDetail = scoreFaceQuality(
        { faceSizePx: Math.min(f.box.w, f.box.h), laplacianVariance: laplacianVariance(a.image), headPose: estimateFacePose(f.landmarks) },
        this.opts.quality,
      );
      return {
        box: f.box,
        score: f.score,
        landmarks: f.landmarks,
        quality: qualityDetail.quality,
        qualityDetail,
        usableForMatching: qualityDetail.quality >= this.minQuality,
        embedding: embeddings[i]!,
        ...(options.keepAligned ? { aligned: a.image } : {}),
      };
    });
  }

  /** Similarity of two embeddings against the threshold in force. */
  compare(a: Float32Array, b: Float32Array): FaceComparison {
    const similarity = cosineSimilarity(a, b);
    return { similarity, samePerson: similarity >= this.matchThreshold, threshold: this.matchThreshold };
  }

  /**
   * The main (largest) face of an image, embedded. Throws {@link NoUsableFaceError} when there is no face or the
   * largest one is below `minQuality` (unless `allowLowQuality`).
   */
  async mainFace(img: RgbImage, opts: { allowLowQuality?: boolean; label?: string } = {}): Promise<FaceEmbedding> {
    const faces = await this.detect(img);
    const label = opts.label ?? 'image';
    if (faces.length === 0) throw new NoUsableFaceError('IOCV_FACE_NOT_FOUND', `no face found in ${label}`);
    const [main] = await this.embed(img, faces[0]);
    if (!main!.usableForMatching && !opts.allowLowQuality) {
      const q = main!.qualityDetail;
      throw new NoUsableFaceError(
        'IOCV_FACE_LOW_QUALITY',
        `the largest face in ${label} is not usable for matching: quality ${q.quality.toFixed(2)} < ${this.minQuality} ` +
          `(size ${q.size.toFixed(2)} at ${Math.round(q.faceSizePx)} px, sharpness ${q.sharpness.toFixed(2)}, pose ${q.pose.toFixed(2)} at yaw ${Math.round(q.headPose.yawDeg)}°)`,
      );
    }
    return main!;
  }
}
