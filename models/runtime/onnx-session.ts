/**
 * ONNX Runtime sessions for catalogue models. One session per (file, threads) per process: sessions are heavy
 * (weights + optimised graph) and onnxruntime-node runs concurrent `run` calls on one session safely, so every
 * caller (detector, plate reader, benchmarks) shares it.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import {
  getModelSpec,
  resolveModelPath,
  type ModelId,
  type ModelLookupOptions,
  type ModelSpec,
} from '../catalogue/model-catalogue.js';
import { makeBatchDynamic } from './onnx-dynamic-batch.js';

export interface OnnxModel {
  id: ModelId;
  spec: ModelSpec;
  /** Absolute path of the verified model file. */
  path: string;
  session: ort.InferenceSession;
  /** Dim 0 of the inputs takes any batch size (natively, or through the catalogue's `dynamicBatch` patch). */
  batchable: boolean;
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
}

export interface LoadOnnxModelOptions {
  /** Intra-op threads of the session. Default: env `IOCV_ORT_THREADS`, else 1. */
  threads?: number;
  lookup?: ModelLookupOptions;
}

/** The session could not be created from a found, verified file (unsupported opset, out of memory, ...). */
export class ModelLoadError extends Error {
  readonly code = 'IOCV_MODEL_LOAD_FAILED';
  constructor(
    readonly modelId: ModelId,
    readonly filePath: string,
    cause: unknown,
  ) {
    super(`Model "${modelId}" (${filePath}) could not be loaded by onnxruntime: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'ModelLoadError';
  }
}

const sessions = new Map<string, Promise<OnnxModel>>();

/**
 * Threads from the option, else env `IOCV_ORT_THREADS`, else 1; always an integer ≥ 1. One thread by default: the
 * small models here gain little from intra-op threads (YOLOX-nano 416x256 on this 2-core machine: 170 fps with 1
 * thread, 180 fps with 2 at a third more CPU), while two 1-thread worker processes give 2 × 170 fps. Scale out with
 * processes; raise threads only for a lone latency-bound process.
 */
export function resolveThreads(threads?: number): number {
  const fromEnv = Number(process.env.IOCV_ORT_THREADS);
  const raw = threads ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 1);
  if (!Number.isFinite(raw) || raw < 1) throw new RangeError(`threads must be a number ≥ 1, got ${String(threads)}`);
  return Math.floor(raw);
}

/** Create (or reuse) the session for catalogue model `id`. */
export async function loadOnnxModel(id: ModelId, opts: LoadOnnxModelOptions = {}): Promise<OnnxModel> {
  const spec = getModelSpec(id);
  const threads = resolveThreads(opts.threads);
  const filePath = await resolveModelPath(id, opts.lookup);
  const key = `${filePath}\0${threads}`;
  let pending = sessions.get(key);
  if (!pending) {
    pending = createModel(id, spec, filePath, threads);
    sessions.set(key, pending);
    // A failed load must not poison the cache: the next caller retries (e.g. after the file is replaced).
    pending.catch(() => sessions.delete(key));
  }
  return pending;
}

async function createModel(id: ModelId, spec: ModelSpec, filePath: string, threads: number): Promise<OnnxModel> {
  let session: ort.InferenceSession;
  const options: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    // The graphs are single chains; parallel inter-op scheduling only adds thread contention on small machines.
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // Idle intra-op threads sleep instead of spinning: the cores are shared with ffmpeg, sharp and other model
    // threads, and spinning threads then burn the CPU the others need (measured: 2 threads under load cost 17 ms of
    // CPU per YOLOX frame spinning, 8.7 ms not).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  try {
    session = spec.dynamicBatch
      ? await ort.InferenceSession.create(makeBatchDynamic(await readFile(filePath)).model, options)
      : await ort.InferenceSession.create(filePath, options);
  } catch (err) {
    throw new ModelLoadError(id, filePath, err);
  }
  return {
    id,
    spec,
    path: filePath,
    session,
    batchable: spec.dynamicBatch === true || session.inputMetadata.every((m) => !m.isTensor || typeof m.shape[0] !== 'number'),
    run: (feeds) => session.run(feeds),
  };
}

/** Release every cached session (tests, graceful shutdown). Sessions still in use by callers are released too. */
export async function releaseAllOnnxModels(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  for (const p of all) {
    try {
      const m = await p;
      await m.session.release();
    } catch {
      // A session that failed to load has nothing to release.
    }
  }
}

export { ort };
