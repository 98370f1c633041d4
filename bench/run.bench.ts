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
import { execFileSync } from 'node:child_process';
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
const PIPE_WORKERS = argNum('--workers', 1);
const WORKER_THREADS = argNum('--worker-threads', 2);
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

async function main(): Promise<void> {
  const results: Record<string, unknown> = { machine: machine(), clip: path.basename(CLIP), inputSize: INPUT_SIZE, threads: THREADS };
  log(`raw detector (session.run only), ${INPUT_SIZE}px, ${THREADS} threads`);
  const raw = await measureRawDetector({ inputSize: INPUT_SIZE, sourceWidth: 640, sourceHeight: 360, threads: THREADS, runs: 60 });
  results.rawDetector = raw;
  const frame = execFileSync('ffmpeg', ['-loglevel', 'error', '-ss', '5', '-i', CLIP, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '4', 'pipe:1']);
  const detect = await measureDetector(frame, { inputSize: INPUT_SIZE, threads: THREADS, runs: 60 });
  results.detectPath = detect;
  log(`raw ${raw.fps.toFixed(1)} fps; detect path ${detect.fps.toFixed(1)} fps`);

  // 3. throughput: enough cameras at 30 fps that demand exceeds the raw rate
  const k = THROUGHPUT_CAMERAS || Math.max(2, Math.ceil((raw.fps * 1.3) / CLIP_FPS));
  let st: Stack;
  if (runs('throughput')) {
  log(`pipeline throughput: ${k} cameras × ${CLIP_FPS} fps, ${PIPE_WORKERS} worker(s) × ${WORKER_THREADS} threads`);
  st = await startStack(k, { fps: CLIP_FPS, workers: PIPE_WORKERS });
  try {
    await waitOnline(st);
    await sleep(5000);
    const w = await measureWindow(st, RUN_S);
    results.pipelineThroughput = {
      cameras: k,
      demandFps: k * CLIP_FPS,
      analysedFps: w.analysedFps,
      inputFps: w.inputFps,
      droppedInWindow: w.dropped,
      memoryMb: st.memory,
      cpuCores: w.cpuCores,
      machineBusyCores: w.machineBusyCores,
      ratioToRaw: w.analysedFps / raw.fps,
    };
    log(`pipeline ${w.analysedFps.toFixed(1)} fps = ${(w.analysedFps / raw.fps).toFixed(2)} × raw; CPU cores ${JSON.stringify(w.cpuCores)}, machine ${w.machineBusyCores}`);
  } finally {
    await st.stop();
  }
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
  for (const n of !runs('cameras') ? [] : quick ? [2, 4] : [2, 4, 6, 8, 10]) {
    log(`${n} × 720p cameras at 5 fps, 1 worker`);
    st = await startStack(n, { fps: 5, width: 1280, workers: 1, line: [[0.625, 0], [0.625, 1]] });
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
  return `# Benchmarks

Measured by \`npm run bench\` (bench/run.bench.ts) on ${m.date.slice(0, 10)}; raw figures in bench/results.json.

Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.ffmpeg}. Everything — the simulated
cameras (GStreamer RTSP server + one ffmpeg encoder per camera), ingest, workers, Redis and PostgreSQL — runs on
these same 2 cores, so the simulated cameras themselves take CPU that a real deployment would not spend.

Clip: ${r.clip} (640x360, 30 fps); detector YOLOX-nano at ${r.inputSize} px (rectangular ${r.rawDetector.inputWidth}x${r.rawDetector.inputHeight} input), ${r.threads} onnxruntime threads.

| measure | value |
|---|---|
| raw detector (session.run only) | ${f(r.rawDetector.fps)} fps (median ${f(r.rawDetector.medianMs, 2)} ms) |
| detect path in-process (JPEG decode + letterbox + run + NMS) | ${f(r.detectPath.fps)} fps |
| pipeline: RTSP → ingest → BullMQ → 1 worker → tracker → Postgres | ${f(t.analysedFps)} fps with ${t.cameras} cameras demanding ${t.demandFps} fps |
| **pipeline / raw detector** | **${f(t.ratioToRaw, 2)}** (goal ≥ 0.9) |
| frame-to-count latency (capture in ingest → crossing row committed), 1 camera at 5 fps | p50 ${f(l.p50Ms, 0)} ms, p95 ${f(l.p95Ms, 0)} ms (${l.crossings} crossings) |
| simulated 720p cameras at 5 fps sustained without drops (1 worker) | ${c.sustained} |

720p sweep (each step ${RUN_S} s after warm-up):

| cameras | analysed fps | dropped | sustained | memory (max RSS) |
|---|---|---|---|---|
${c.sweep.map((s) => `| ${s.cameras} | ${f(s.analysedFps)} | ${s.dropped ?? '-'} | ${s.sustained ? 'yes' : s.error ? `error: ${s.error}` : 'no'} | ${mem(s.memoryMb)} |`).join('\n')}

Memory per process (max RSS while measuring throughput): ${mem(t.memoryMb)}.
`;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
