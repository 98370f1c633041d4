/**
 * YOLOX-nano latency: the raw onnxruntime `session.run` (what the model costs) and the full detector path
 * (JPEG bytes → detections, per stage), so the pipeline benchmark can tell model time from our overhead.
 *
 *   npx tsx bench/yolox-raw.bench.ts [--runs 30] [--jpeg path/to/frame.jpg]
 *
 * Both functions are exported for bench/run.bench.ts. Medians over `runs` after warm-up; the machine is shared,
 * so read the load average printed with the results.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { loadOnnxModel, ort } from '../models/runtime/onnx-session.js';
import { YoloxDetector, yoloxInputShape, type YoloxTimings } from '../models/vehicles/yolox.detector.js';

export interface RawDetectorBenchOptions {
  /** Long side of the network input in pixels (multiple of 32). @default 416 */
  inputSize?: number;
  /** Source frame size that decides the short side (rectangular input). @default square (inputSize × inputSize) */
  sourceWidth?: number;
  sourceHeight?: number;
  /** onnxruntime intra-op threads. @default 2 */
  threads?: number;
  /** Timed runs. @default 30 */
  runs?: number;
  /** Untimed runs first (graph warm-up, allocator growth). @default 3 */
  warmupRuns?: number;
}

export interface RawDetectorBenchResult {
  inputWidth: number;
  inputHeight: number;
  threads: number;
  runs: number;
  medianMs: number;
  p90Ms: number;
  /** 1000 / medianMs: frames per second one session sustains when called back to back. */
  fps: number;
  /**
   * Median process CPU time (user + system, all onnxruntime threads) per run. Unlike wall time it barely moves when
   * other processes compete for the cores, so it is the figure to compare on a shared machine.
   */
  cpuMs: number;
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

/** Time `session.run` alone on a fixed input tensor of the detector's shape. */
export async function measureRawDetector(opts: RawDetectorBenchOptions = {}): Promise<RawDetectorBenchResult> {
  const inputSize = opts.inputSize ?? 416;
  const threads = opts.threads ?? 2;
  const runs = opts.runs ?? 30;
  const shape = yoloxInputShape(opts.sourceWidth ?? inputSize, opts.sourceHeight ?? inputSize, inputSize);
  const model = await loadOnnxModel('yolox-nano', { threads });
  // Content does not change the cost of a dense CNN; pseudo-random pixels avoid any all-constant shortcut.
  const data = new Float32Array(3 * shape.width * shape.height);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) % 256;
  const feeds = { images: new ort.Tensor('float32', data, [1, 3, shape.height, shape.width]) };
  for (let i = 0; i < (opts.warmupRuns ?? 3); i++) await model.run(feeds);
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await model.run(feeds);
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  times.sort((a, b) => a - b);
  const medianMs = quantile(times, 0.5);
  return {
    inputWidth: shape.width,
    inputHeight: shape.height,
    threads,
    runs,
    medianMs,
    p90Ms: quantile(times, 0.9),
    fps: 1000 / medianMs,
    cpuMs: median(cpu),
  };
}

export interface DetectorBenchResult {
  inputSize: number;
  threads: number;
  runs: number;
  sourceWidth: number;
  sourceHeight: number;
  /** Median wall time of `detect(jpeg)` end to end. */
  medianMs: number;
  fps: number;
  /** Median of each stage. */
  stagesMs: YoloxTimings;
  detections: number;
}

/** Time `YoloxDetector.detect` on JPEG bytes (decode + resize in sharp, letterbox, run, decode + NMS). */
export async function measureDetector(jpeg: Buffer, opts: { inputSize?: number; threads?: number; runs?: number; warmupRuns?: number } = {}): Promise<DetectorBenchResult> {
  const inputSize = opts.inputSize ?? 416;
  const threads = opts.threads ?? 2;
  const runs = opts.runs ?? 30;
  const det = await YoloxDetector.create({ threads });
  const size = (await import('sharp')).default(jpeg).metadata();
  const { width = 0, height = 0 } = await size;
  let detections = 0;
  for (let i = 0; i < (opts.warmupRuns ?? 3); i++) detections = (await det.detect(jpeg, { inputSize })).length;
  const total: number[] = [];
  const stages: Record<keyof YoloxTimings, number[]> = { decodeMs: [], preprocessMs: [], inferMs: [], postprocessMs: [] };
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await det.detect(jpeg, { inputSize });
    total.push(performance.now() - t0);
    for (const k of Object.keys(stages) as Array<keyof YoloxTimings>) stages[k].push(det.lastTimings[k]);
  }
  const medianMs = median(total);
  return {
    inputSize,
    threads,
    runs,
    sourceWidth: width,
    sourceHeight: height,
    medianMs,
    fps: 1000 / medianMs,
    stagesMs: {
      decodeMs: median(stages.decodeMs),
      preprocessMs: median(stages.preprocessMs),
      inferMs: median(stages.inferMs),
      postprocessMs: median(stages.postprocessMs),
    },
    detections,
  };
}

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A 1920×1080 JPEG made from a shared traffic clip (what a 1080p camera sends). */
async function defaultJpeg(dir: string): Promise<Buffer> {
  const clip = path.join(process.env.IOCV_SHARED_DIR ?? path.join(REPO, '..', 'shared'), 'data', 'traffic', 'bgslibrary_video02_highway.avi');
  const out = path.join(dir, 'frame1080.jpg');
  await promisify(execFile)('ffmpeg', ['-loglevel', 'error', '-y', '-i', clip, '-vf', 'select=eq(n\\,300),scale=1920:1080', '-frames:v', '1', '-q:v', '3', out]);
  return readFile(out);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { runs: { type: 'string' }, jpeg: { type: 'string' }, 'raw-json': { type: 'boolean' }, threads: { type: 'string' } },
    strict: true,
  });
  const runs = values.runs ? Number(values.runs) : 30;
  if (values['raw-json']) {
    // One raw measurement as JSON: run.bench.ts starts several at once for the machine's aggregate raw rate.
    const r = await measureRawDetector({ inputSize: 416, sourceWidth: 640, sourceHeight: 360, threads: Number(values.threads ?? 1), runs });
    console.log(JSON.stringify(r));
    return;
  }
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}; load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('\nraw session.run (median of %d, after 3 warm-up runs)', runs);
  console.log('input      threads  median ms  p90 ms    fps  cpu ms/run');
  for (const inputSize of [416, 640]) {
    for (const [sw, sh] of [[inputSize, inputSize], [1920, 1080]] as const) {
      for (const threads of [1, 2]) {
        const r = await measureRawDetector({ inputSize, sourceWidth: sw, sourceHeight: sh, threads, runs });
        console.log(`${`${r.inputWidth}x${r.inputHeight}`.padEnd(10)} ${String(threads).padStart(7)}  ${r.medianMs.toFixed(1).padStart(9)}  ${r.p90Ms.toFixed(1).padStart(6)}  ${r.fps.toFixed(1).padStart(5)}  ${r.cpuMs.toFixed(1).padStart(10)}`);
      }
    }
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'iocv-bench-'));
  try {
    const jpeg = values.jpeg ? await readFile(values.jpeg) : await defaultJpeg(tmp);
    console.log('\nYoloxDetector.detect(jpeg) end to end (median of %d); stages: decode+resize / letterbox / run / decode+NMS', runs);
    for (const inputSize of [416, 640]) {
      for (const threads of [1, 2]) {
        const r = await measureDetector(jpeg, { inputSize, threads, runs });
        const s = r.stagesMs;
        console.log(
          `${r.sourceWidth}x${r.sourceHeight} @${inputSize} threads ${threads}: ${r.medianMs.toFixed(1)} ms (${r.fps.toFixed(1)} fps); ` +
            `${s.decodeMs.toFixed(1)} / ${s.preprocessMs.toFixed(2)} / ${s.inferMs.toFixed(1)} / ${s.postprocessMs.toFixed(2)} ms; ${r.detections} detections`,
        );
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
