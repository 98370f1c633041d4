/**
 * `npm run bench`: speed and memory of the live pipeline against the raw model on this machine.
 *  1. raw detector: onnxruntime session.run alone (YOLOX-nano, same input size and threads);
 *  2. detect path in-process: JPEG decode + letterbox + run + decode/NMS (what a worker does per frame);
 *  3. pipeline throughput: K simulated RTSP cameras playing the same clip at its native rate → ingest → BullMQ →
 *     one worker → tracker → Postgres, K chosen so demand exceeds the raw detector's rate; analysed fps summed;
 *  4. frame-to-count latency: one camera at 5 fps; Postgres insert time − frame capture time of each crossing;
 *  5. simulated 720p cameras at 5 fps: the most that one machine sustains without unplanned drops;
 *  6. memory (RSS) of each process.
 * Writes bench/results.json and docs/benchmarks.md. Needs Redis and PostgreSQL (IOCV_BENCH_REDIS_URL,
 * IOCV_BENCH_PG_URL; defaults 127.0.0.1) and ../shared. Takes about 6 minutes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import { ProcessGroup } from '../cli/demo/process-group.js';
import { createTestDatabase } from '../storage/postgres/test-database.js';
import { RtspSimulator } from '../workers/sim/rtsp-sim.js';
import { measureDetector, measureRawDetector } from './yolox-raw.bench.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env.IOCV_SHARED_DIR ?? path.resolve(ROOT, '..', 'shared');
const CLIP = path.join(SHARED, 'data', 'traffic', 'bgslibrary_video.avi'); // 640x360, 30 fps
const CLIP_FPS = 30;
const REDIS_URL = process.env.IOCV_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PG_ADMIN = process.env.IOCV_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const INPUT_SIZE = 416;
const THREADS = 2;
const quick = process.argv.includes('--quick');
// `--only throughput,latency,cameras` runs those parts (and the raw baseline) and writes no files: for iterating.
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',')) : null;
const runs = (part: string) => !only || only.has(part);
const argNum = (flag: string, dflt: number) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
/** Worker processes and intra-op threads per worker of the pipeline runs (the raw baseline keeps THREADS). */
const PIPE_WORKERS = argNum('--workers', os.availableParallelism());
const WORKER_THREADS = argNum('--worker-threads', 1);
/** Cameras of the throughput run; default: demand 1.3 × the raw detector rate. */
const THROUGHPUT_CAMERAS = argNum('--cameras', 0);
const RUN_S = quick ? 15 : 30;

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

const CLK_TCK = 100; // Linux USER_HZ

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Busy and total CPU seconds of the whole machine, from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

function quantile(xs: number[], q: number): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

interface Stack {
  group: ProcessGroup;
  pool: pg.Pool;
  dbDrop: () => Promise<void>;
  sim: RtspSimulator;
  cams: string[];
  prefix: string;
  dir: string;
  memory: Record<string, number>;
  stop(): Promise<void>;
}

/** K cameras of `file` through RTSP → ingest → `workers` workers → Postgres, as separate processes. */
async function startStack(k: number, opts: { fps: number; width?: number; workers: number; maxInFlightFrames?: number; line?: [[number, number], [number, number]] }): Promise<Stack> {
  const tag = randomBytes(3).toString('hex');
  const prefix = `iocv-bench-${tag}`;
  const db = await createTestDatabase(PG_ADMIN);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-bench-'));
  const cams = Array.from({ length: k }, (_, i) => `bench-${tag}-${i}`);
  const sim = await RtspSimulator.start({ cameras: cams.map((name) => ({ name, file: CLIP, ...(opts.width ? { width: opts.width } : {}) })), readyTimeoutMs: 60_000 });
  const camerasFile = path.join(dir, 'cameras.json');
  writeFileSync(
    camerasFile,
    JSON.stringify({
      cameras: cams.map((id) => ({
        id,
        url: sim.url(id),
        fps: opts.fps,
        inputSize: INPUT_SIZE,
        ...(opts.maxInFlightFrames ? { maxInFlightFrames: opts.maxInFlightFrames } : {}),
        lines: [{ id: 'L1', points: opts.line ?? [[0.625, 0], [0.625, 1]] }],
      })),
    }),
  );
  const env = {
    ...process.env,
    IOCV_REDIS_URL: REDIS_URL,
    IOCV_DATABASE_URL: db.url,
    IOCV_BULL_PREFIX: prefix,
    IOCV_CAMERAS_FILE: camerasFile,
    IOCV_OBJECT_STORE: 'fs',
    IOCV_FS_ROOT: path.join(dir, 'objects'),
    IOCV_ORT_THREADS: String(WORKER_THREADS),
    IOCV_LOG_LEVEL: 'warn',
  };
  const group = new ProcessGroup(env, (l) => process.stderr.write(`${l}\n`));
  group.start('ingest', ['ingest']);
  for (let i = 0; i < opts.workers; i++) group.start(`worker-${i + 1}`, ['worker']);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const memory: Record<string, number> = {};
  const memTimer = setInterval(() => {
    for (const p of group.procs) {
      const r = rssMb(p.child.pid);
      if (r !== null) memory[p.name] = Math.max(memory[p.name] ?? 0, r);
    }
  }, 1000);
  return {
    group,
    pool,
    dbDrop: () => db.drop(),
    sim,
    cams,
    prefix,
    dir,
    memory,
    async stop() {
      clearInterval(memTimer);
      await group.stopAll();
      await sim.stop();
      await pool.end();
      await db.drop();
      const r = new Redis(REDIS_URL);
      const keys = [...(await r.keys(`${prefix}:*`)), ...(await r.keys(`iocv:*bench-${tag}*`))];
      for (let i = 0; i < keys.length; i += 500) await r.del(...keys.slice(i, i + 500));
      r.disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface StatusRow {
  camera_id: string;
  state: string;
  input_fps: number;
  analysed_fps: number;
  dropped_frames: string;
  frames_total: string;
}

async function statuses(pool: pg.Pool): Promise<StatusRow[]> {
  return (await pool.query<StatusRow>('SELECT camera_id, state, input_fps, analysed_fps, dropped_frames, frames_total FROM camera_status')).rows;
}

async function waitOnline(st: Stack, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const rows = await statuses(st.pool).catch(() => []);
    if (rows.length === st.cams.length && rows.every((r) => r.state === 'online' && r.analysed_fps > 0)) return;
    await sleep(500);
  }
  throw new Error('cameras did not come online');
}

/** Analysed frames over a window, from the crossings-independent counters in camera_status. */
async function measureWindow(
  st: Stack,
  seconds: number,
): Promise<{ analysedFps: number; inputFps: number; dropped: number; perCamera: StatusRow[]; cpuCores: Record<string, number>; machineBusyCores: number }> {
  const cpuOf = () => Object.fromEntries(st.group.procs.map((p) => [p.name, cpuSeconds(p.child.pid) ?? 0]));
  const a = await statuses(st.pool);
  const cpuA = cpuOf();
  const mA = machineCpu();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const b = await statuses(st.pool);
  const wallS = (performance.now() - t0) / 1000;
  const cpuB = cpuOf();
  const mB = machineCpu();
  const sum = (rows: StatusRow[], f: (r: StatusRow) => number) => rows.reduce((s, r) => s + f(r), 0);
  const dropped = sum(b, (r) => Number(r.dropped_frames)) - sum(a, (r) => Number(r.dropped_frames));
  // CPU use over the window in cores (1.0 = one core busy the whole time); ffmpeg children of ingest not included.
  const cpuCores = Object.fromEntries(Object.keys(cpuB).map((k) => [k, Math.round(((cpuB[k]! - (cpuA[k] ?? 0)) / wallS) * 100) / 100]));
  const machineBusyCores = Math.round(((mB.busy - mA.busy) / wallS) * 100) / 100;
  return { analysedFps: sum(b, (r) => r.analysed_fps), inputFps: sum(b, (r) => r.input_fps), dropped, perCamera: b, cpuCores, machineBusyCores };
}

function machine() {
  let ffmpeg = 'unknown';
  try {
    ffmpeg = execFileSync('ffmpeg', ['-version']).toString().split('\n')[0] ?? ffmpeg;
  } catch {
    /* not installed */
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    ffmpeg,
    date: new Date().toISOString(),
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** P processes each timing `session.run` with 1 thread at the same time: the machine's raw detector rate. */
async function measureRawAggregate(processes: number, threads: number, runsEach: number): Promise<{ processes: number; threads: number; fps: number; perProcess: Array<{ fps: number; cpuMs: number }> }> {
  const script = path.join(ROOT, 'bench', 'yolox-raw.bench.ts');
  const one = () =>
    new Promise<{ fps: number; cpuMs: number }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, '--raw-json', '--threads', String(threads), '--runs', String(runsEach)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`raw child exited ${code}`));
        const r = JSON.parse(out.trim().split('\n').at(-1)!) as { fps: number; cpuMs: number };
        resolve({ fps: r.fps, cpuMs: r.cpuMs });
      });
    });
  const perProcess = await Promise.all(Array.from({ length: processes }, one));
  return { processes, threads, fps: perProcess.reduce((a, r) => a + r.fps, 0), perProcess };
}

async function main(): Promise<void> {
  if (process.argv.includes('--render')) {
    // Re-render docs/benchmarks.md from the last measured bench/results.json (after a change of the text only).
    const saved = JSON.parse(readFileSync(path.join(ROOT, 'bench', 'results.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(ROOT, 'docs', 'benchmarks.md'), renderMarkdown(saved));
    log('rendered docs/benchmarks.md from bench/results.json');
    return;
  }
  const cores = os.availableParallelism();
  const results: Record<string, unknown> = { machine: machine(), clip: path.basename(CLIP), inputSize: INPUT_SIZE, threads: THREADS, pipelineWorkers: PIPE_WORKERS, workerThreads: WORKER_THREADS };
  log(`raw detector (session.run only), ${INPUT_SIZE}px: 1 session × 1 thread, 1 × 2 threads, ${cores} processes × 1 thread at once`);
  const raw = await measureRawDetector({ inputSize: INPUT_SIZE, sourceWidth: 640, sourceHeight: 360, threads: 1, runs: 200 });
  const raw2 = await measureRawDetector({ inputSize: INPUT_SIZE, sourceWidth: 640, sourceHeight: 360, threads: 2, runs: 200 });
  const rawAll = await measureRawAggregate(cores, 1, 400);
  results.rawDetector = raw;
  results.rawDetector2Threads = raw2;
  results.rawDetectorMachine = rawAll;
  const frame = execFileSync('ffmpeg', ['-loglevel', 'error', '-ss', '5', '-i', CLIP, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '4', 'pipe:1']);
  const detect = await measureDetector(frame, { inputSize: INPUT_SIZE, threads: 1, runs: 100 });
  results.detectPath = detect;
  log(`raw ${raw.fps.toFixed(1)} fps (1 thread), ${raw2.fps.toFixed(1)} fps (2 threads), ${rawAll.fps.toFixed(1)} fps (${cores} × 1 thread); detect path ${detect.fps.toFixed(1)} fps`);

  // 3. throughput: the most frames per second the whole pipeline analyses. Cameras at the clip's native 30 fps are
  // added until the analysed rate stops growing (each camera's decode and JPEG encode share the same cores, so
  // flooding the pipeline with far more cameras than it can take only measures the cost of what it drops).
  let st: Stack;
  if (runs('throughput')) {
    const steps: Array<Record<string, unknown>> = [];
    let best: Record<string, unknown> | null = null;
    let bestFps = 0;
    const ks = THROUGHPUT_CAMERAS ? [THROUGHPUT_CAMERAS] : [2, 3, 4, 5, 6, 8];
    for (const k of ks) {
      log(`pipeline throughput: ${k} cameras × ${CLIP_FPS} fps, ${PIPE_WORKERS} worker(s) × ${WORKER_THREADS} thread(s)`);
      st = await startStack(k, { fps: CLIP_FPS, workers: PIPE_WORKERS });
      let step: Record<string, unknown>;
      try {
        await waitOnline(st);
        await sleep(5000);
        const w = await measureWindow(st, RUN_S);
        step = {
          cameras: k,
          demandFps: k * CLIP_FPS,
          analysedFps: w.analysedFps,
          inputFps: w.inputFps,
          droppedInWindow: w.dropped,
          memoryMb: { ...st.memory },
          cpuCores: w.cpuCores,
          machineBusyCores: w.machineBusyCores,
        };
        log(`  analysed ${w.analysedFps.toFixed(1)} fps (dropped ${w.dropped}); CPU cores ${JSON.stringify(w.cpuCores)}, machine ${w.machineBusyCores}`);
      } finally {
        await st.stop();
      }
      steps.push(step);
      const fps = step.analysedFps as number;
      if (fps > bestFps) {
        bestFps = fps;
        best = step;
      }
      // Saturated: this step added demand but not analysed frames.
      if (fps < bestFps * 1.03 && step !== best) break;
      if ((step.droppedInWindow as number) > 0 && fps < (step.demandFps as number) * 0.7 && step !== best) break;
    }
    results.pipelineThroughput = {
      ...best,
      steps,
      ratioToRaw1Thread: bestFps / raw.fps,
      ratioToRawMachine: bestFps / rawAll.fps,
      ratioToDetectPath: bestFps / detect.fps,
    };
    log(`pipeline best ${bestFps.toFixed(1)} fps = ${(bestFps / rawAll.fps).toFixed(2)} × raw (${cores} × 1 thread), ${(bestFps / raw.fps).toFixed(2)} × raw (1 thread)`);
  }

  // 4. frame-to-count latency at a normal load
  if (runs('latency')) {
    log('frame-to-count latency: 1 camera at 5 fps');
    st = await startStack(1, { fps: 5, workers: 1 });
    try {
      await waitOnline(st);
      const t0 = new Date();
      await sleep((RUN_S + 15) * 1000);
      const { rows } = await st.pool.query<{ ms: number }>(
        'SELECT EXTRACT(EPOCH FROM (created_at - at)) * 1000 AS ms FROM line_crossings WHERE created_at >= $1',
        [t0],
      );
      const ms = rows.map((r) => Number(r.ms));
      results.frameToCountLatency = { crossings: ms.length, p50Ms: quantile(ms, 0.5), p95Ms: quantile(ms, 0.95), maxMs: quantile(ms, 1), memoryMb: st.memory };
      log(`latency p50 ${quantile(ms, 0.5)?.toFixed(0)} ms, p95 ${quantile(ms, 0.95)?.toFixed(0)} ms over ${ms.length} crossings`);
    } finally {
      await st.stop();
    }
  }

  // 5. 720p cameras at 5 fps
  const sweep: Array<Record<string, unknown>> = [];
  let sustained = 0;
  for (const n of !runs('cameras') ? [] : quick ? [2, 4] : [2, 4, 6, 8, 10, 12]) {
    log(`${n} × 720p cameras at 5 fps, ${PIPE_WORKERS} worker(s) × ${WORKER_THREADS} thread(s)`);
    st = await startStack(n, { fps: 5, width: 1280, workers: PIPE_WORKERS, line: [[0.625, 0], [0.625, 1]] });
    try {
      await waitOnline(st, 120_000);
      await sleep(5000);
      const w = await measureWindow(st, RUN_S);
      const ok = w.dropped === 0 && w.analysedFps >= n * 5 * 0.9;
      sweep.push({ cameras: n, analysedFps: w.analysedFps, inputFps: w.inputFps, dropped: w.dropped, sustained: ok, memoryMb: { ...st.memory }, cpuCores: w.cpuCores, machineBusyCores: w.machineBusyCores, loadAverage: os.loadavg()[0] });
      log(`  analysed ${w.analysedFps.toFixed(1)} fps, dropped ${w.dropped} → ${ok ? 'sustained' : 'not sustained'}`);
      if (!ok) break;
      sustained = n;
    } catch (err) {
      sweep.push({ cameras: n, error: (err as Error).message });
      break;
    } finally {
      await st.stop();
    }
  }
  results.cameras720p = { fps: 5, sustained, sweep };

  if (only) {
    log(`--only: not writing files; ${JSON.stringify(results)}`);
    return;
  }
  mkdirSync(path.join(ROOT, 'bench'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(ROOT, 'docs', 'benchmarks.md'), renderMarkdown(results));
  log('wrote bench/results.json and docs/benchmarks.md');
}

function renderMarkdown(r: Record<string, any>): string {
  const f = (x: unknown, d = 1) => (typeof x === 'number' ? x.toFixed(d) : String(x));
  const m = r.machine as ReturnType<typeof machine>;
  const t = r.pipelineThroughput ?? {};
  const l = r.frameToCountLatency ?? {};
  const c = (r.cameras720p ?? { sweep: [] }) as { sustained?: number; sweep: Array<Record<string, any>> };
  const mem = (o: Record<string, number> | undefined) => (o ? Object.entries(o).map(([k, v]) => `${k} ${v} MB`).join(', ') : '');
  const cpu = (o: Record<string, number> | undefined) => (o ? Object.entries(o).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ') : '');
  const steps = (t.steps ?? []) as Array<Record<string, any>>;
  const workersCpu = Object.entries((t.cpuCores ?? {}) as Record<string, number>).filter(([k]) => k.startsWith('worker')).reduce((a, [, v]) => a + v, 0);
  const ingestCpu = ((t.cpuCores ?? {}) as Record<string, number>).ingest ?? 0;
  const perFrame = (cores: number) => (t.analysedFps ? (cores * 1000) / t.analysedFps : NaN);
  const rawCpu = r.rawDetector.cpuMs as number;
  return `# Benchmarks

Measured by \`npm run bench\` (bench/run.bench.ts) on ${m.date.slice(0, 10)}; raw figures in bench/results.json.

Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.ffmpeg.split(' Copyright')[0]}. Load average at start ${m.loadAverageAtStart.join(' / ')}.
Everything — the simulated cameras (GStreamer RTSP server + one ffmpeg feeder per camera), ingest (one ffmpeg
decoder per camera), the inference workers, Redis and PostgreSQL — runs on these same ${m.cores} cores.

Clip: ${r.clip} (640x360, 30 fps); detector YOLOX-nano at ${r.inputSize} px (rectangular ${r.rawDetector.inputWidth}x${r.rawDetector.inputHeight} input).
Pipeline: ${r.pipelineWorkers} worker process(es) × ${r.workerThreads} onnxruntime thread(s), batches of up to 8, one ingest process.

## Throughput: pipeline against the raw detector

| measure | value |
|---|---|
| raw detector, 1 session × 1 thread (session.run only) | ${f(r.rawDetector.fps)} fps (median ${f(r.rawDetector.medianMs, 2)} ms, CPU ${f(rawCpu, 2)} ms per frame) |
| raw detector, 1 session × 2 threads | ${f(r.rawDetector2Threads.fps)} fps (CPU ${f(r.rawDetector2Threads.cpuMs, 2)} ms per frame) |
| raw detector, whole machine: ${r.rawDetectorMachine.processes} processes × 1 thread at once | ${f(r.rawDetectorMachine.fps)} fps |
| detect path in-process, 1 thread (JPEG decode + letterbox + run + NMS) | ${f(r.detectPath.fps)} fps |
| **pipeline**: RTSP → ingest → BullMQ → workers → tracker → Postgres, best of the sweep | **${f(t.analysedFps)} fps** with ${t.cameras} cameras (demand ${t.demandFps} fps${t.analysedFps >= 0.97 * t.demandFps ? ': all of it analysed, so the capacity is at least this; one camera more saturated both cores' : ''}) |
| **pipeline / raw, whole machine (same threads: ${r.rawDetectorMachine.processes} × 1)** | **${f(t.ratioToRawMachine, 2)}** (goal ≥ 0.9) |
| pipeline / raw, one 1-thread session | ${f(t.ratioToRaw1Thread, 2)} |
| pipeline / in-process detect path | ${f(t.ratioToDetectPath, 2)} |

Cameras sweep (30 fps each, ${RUN_S} s per step after warm-up); CPU in cores (1.00 = one core busy all the time):

| cameras | demand fps | analysed fps | dropped | CPU of ingest, workers | machine busy (of ${m.cores}) | memory (max RSS) |
|---|---|---|---|---|---|---|
${steps.map((s) => `| ${s.cameras} | ${s.demandFps} | ${f(s.analysedFps)} | ${s.droppedInWindow} | ${cpu(s.cpuCores)} | ${f(s.machineBusyCores, 2)} | ${mem(s.memoryMb)} |`).join('\n')}

Where a frame's CPU goes at the best step (all ${m.cores} cores busy): ${f(perFrame(t.machineBusyCores ?? 0), 1)} ms of machine CPU per analysed
frame, of which the workers ${f(perFrame(workersCpu), 1)} ms (the model itself ${f(rawCpu, 1)} ms: the rest is JPEG decode, letterbox, BullMQ and the result
stream), the ingest process ${f(perFrame(ingestCpu), 1)} ms (frame split, motion assist, frame store, queue, reorder, tracker, lines,
Postgres), and ${f(perFrame((t.machineBusyCores ?? 0) - workersCpu - ingestCpu), 1)} ms everything else (the ffmpeg decoder and JPEG encoder of each camera,
the simulated cameras, Redis, PostgreSQL). The model runs ${f(rawCpu, 1)} ms of every ${f(perFrame(t.machineBusyCores ?? 0), 1)}: with YOLOX-nano this fast, capture and
transport cost more than inference on a machine that also decodes the cameras, so the 0.9 goal is out of reach here.
A larger model, or cameras decoded on other machines (more ingest processes), moves the ratio towards 1.

## Latency and camera capacity

| measure | value |
|---|---|
| frame-to-count latency (capture in ingest → crossing row committed), 1 camera at 5 fps | p50 ${f(l.p50Ms, 0)} ms, p95 ${f(l.p95Ms, 0)} ms, max ${f(l.maxMs, 0)} ms (${l.crossings} crossings) |
| simulated 720p cameras at 5 fps sustained without drops | ${c.sustained} |

720p sweep (each step ${RUN_S} s after warm-up; the cameras' decoding of 1280x720 at 30 fps runs on the same cores):

| cameras | analysed fps | dropped | sustained | CPU of ingest, workers | machine busy | memory (max RSS) |
|---|---|---|---|---|---|---|
${c.sweep.map((s) => `| ${s.cameras} | ${f(s.analysedFps)} | ${s.dropped ?? '-'} | ${s.sustained ? 'yes' : s.error ? `error: ${s.error}` : 'no'} | ${cpu(s.cpuCores)} | ${f(s.machineBusyCores, 2)} | ${mem(s.memoryMb)} |`).join('\n')}

Memory per process (max RSS) at the best throughput step: ${mem(t.memoryMb)}; frame-to-count run: ${mem(l.memoryMb)}.
`;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
