/**
 * `npx tsx bench/motion.bench.ts [--against REV] [--passes N]` (`--passes 0`: outputs only): CPU cost of {@link MotionDetector.update} per frame
 * on real footage, and proof that an optimised detector returns exactly what an older one did.
 *
 * Frames: the clips of ../shared/data/traffic decoded by ffmpeg to 192-px-wide gray (what the camera owner feeds the
 * detector), plus bgslibrary_video.avi at 5 fps through JPEG + {@link decodeGraySmall} (the live decode path).
 *
 * - Timing: bgslibrary_video.avi at its native 30 fps (374 frames, ≈ 314 after the 2 s warm-up), `--passes` passes
 *   (default 6) each with a fresh detector; the first pass warms the JIT and is dropped. Reported over the frames
 *   the detector was `running` (the steady state; warm-up frames only blur): median, p90, mean, in ms/frame.
 * - Outputs: for several option sets and clips, every frame's blobs and diagnostics plus the background, home and
 *   noise arrays after the frame, folded into one SHA-256 per run (printed: compare two checkouts by eye).
 * - `--against REV` (e.g. `HEAD~1`): the detector of that git revision is loaded beside the current one; both run on
 *   every frame, any difference (blobs, diagnostics, a single bit of the float state) fails with its frame number,
 *   and the timing passes alternate between the two so that both see the same machine load.
 */
import { execFileSync } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodeGraySmall, type GrayImage } from '../pipeline/motion/gray-frame.js';
import * as current from '../pipeline/motion/motion.detector.js';
import type { MotionDetectorOptions } from '../pipeline/motion/motion.detector.js';

type DetectorModule = typeof current;
type Detector = InstanceType<DetectorModule['MotionDetector']>;
/** The detector's private model state, read to prove it bit-identical. */
type DetectorState = { bg: Float32Array | null; noise: Float32Array | null; home: Float32Array | null };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env.IOCV_SHARED_DIR ?? path.resolve(ROOT, '..', 'shared');
const TRAFFIC = path.join(SHARED, 'data', 'traffic');
const GRAY_W = 192;

const argValue = (flag: string): string | undefined => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const AGAINST = argValue('--against');
const PASSES = Number(argValue('--passes') ?? 6);

interface Clip {
  name: string;
  /** Full-frame size the boxes are scaled to. */
  fw: number;
  fh: number;
  frames: GrayImage[];
  ptsMs: number[];
}

function probe(file: string): { w: number; h: number; fps: number } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,r_frame_rate', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  const [w, h, rate] = out.trim().split(',');
  const [num, den] = rate!.split('/').map(Number);
  return { w: Number(w), h: Number(h), fps: num! / (den ?? 1) };
}

/** Every frame of `file` as 192-px-wide gray, straight from ffmpeg. */
function rawClip(file: string): Clip {
  const { w, h, fps } = probe(file);
  const gh = Math.round((h * GRAY_W) / w);
  const buf = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', `scale=${GRAY_W}:${gh}`, '-pix_fmt', 'gray', '-f', 'rawvideo', '-'], { maxBuffer: 1 << 30 });
  const n = GRAY_W * gh;
  const frames: GrayImage[] = [];
  for (let off = 0; off + n <= buf.length; off += n) frames.push({ data: new Uint8Array(buf.subarray(off, off + n)), width: GRAY_W, height: gh });
  return { name: `${path.basename(file)} @${fps} fps raw`, fw: w, fh: h, frames, ptsMs: frames.map((_, i) => (i * 1000) / fps) };
}

/** `file` sampled at `fps` to JPEG by ffmpeg, then decoded by decodeGraySmall like the camera owner does. */
async function jpegClip(file: string, fps: number): Promise<Clip> {
  const { w, h } = probe(file);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'motion-bench-'));
  try {
    execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', `fps=${fps}`, '-q:v', '3', path.join(dir, '%04d.jpg')]);
    const frames: GrayImage[] = [];
    for (const f of readdirSync(dir).sort()) frames.push(await decodeGraySmall(readFileSync(path.join(dir, f)), GRAY_W));
    return { name: `${path.basename(file)} @${fps} fps jpeg`, fw: w, fh: h, frames, ptsMs: frames.map((_, i) => (i * 1000) / fps) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The detector of git revision `rev`, written under bench/out/ and imported beside the current one. */
async function loadRevision(rev: string): Promise<DetectorModule> {
  const src = execFileSync('git', ['show', `${rev}:pipeline/motion/motion.detector.ts`], { cwd: ROOT, encoding: 'utf8' });
  const sha = execFileSync('git', ['rev-parse', '--short', rev], { cwd: ROOT, encoding: 'utf8' }).trim();
  // Same depth as pipeline/motion/ so that its (type-only) relative imports stay well-formed.
  const dir = path.join(ROOT, 'bench', 'out', `motion-${sha}`, 'motion');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'motion.detector.ts');
  writeFileSync(file, src);
  return (await import(pathToFileURL(file).href)) as DetectorModule;
}

function hashState(hash: Hash, md: Detector): DetectorState {
  const s = md as unknown as DetectorState;
  for (const a of [s.bg, s.noise, s.home]) hash.update(a ? new Uint8Array(a.buffer, a.byteOffset, a.byteLength) : new Uint8Array([0]));
  return s;
}

function sameFloats(a: Float32Array | null, b: Float32Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

interface RunCase {
  name: string;
  opts: MotionDetectorOptions;
  clips: Clip[];
}

/** Runs one case through the current detector (and the baseline, if any): digest, and the first difference. */
function runCase(c: RunCase, base: DetectorModule | null): { digest: string; frames: number; blobs: number; diff: string | null } {
  const md = new current.MotionDetector(c.opts);
  const ref = base ? new base.MotionDetector(c.opts) : null;
  const hash = createHash('sha256');
  let frames = 0;
  let blobs = 0;
  let t0 = 0;
  let diff: string | null = null;
  for (const clip of c.clips) {
    for (let i = 0; i < clip.frames.length; i++, frames++) {
      const f = clip.frames[i]!;
      // The detector must not write to its input: give each implementation its own copy.
      const t = t0 + clip.ptsMs[i]!;
      const out = md.update({ ...f, data: f.data.slice() }, clip.fw, clip.fh, t);
      const json = JSON.stringify([out, md.diagnostics()]);
      hash.update(json);
      const st = hashState(hash, md);
      blobs += out.length;
      if (ref && diff === null) {
        const refOut = ref.update({ ...f, data: f.data.slice() }, clip.fw, clip.fh, t);
        const refJson = JSON.stringify([refOut, ref.diagnostics()]);
        const rs = ref as unknown as DetectorState;
        if (refJson !== json) diff = `${clip.name} frame ${i}: blobs/diagnostics differ\n  new ${json}\n  ref ${refJson}`;
        else if (!sameFloats(st.bg, rs.bg) || !sameFloats(st.noise, rs.noise) || !sameFloats(st.home, rs.home)) diff = `${clip.name} frame ${i}: background/noise/home state differs`;
      }
    }
    t0 += clip.ptsMs[clip.ptsMs.length - 1]! + 1000; // the next clip follows 1 s later (a frame-size change restarts)
  }
  return { digest: hash.digest('hex').slice(0, 16), frames, blobs, diff };
}

/** One timing pass: ms per `running` frame of a fresh detector over the clip. */
function timePass(mod: DetectorModule, clip: Clip): number[] {
  const md = new mod.MotionDetector();
  const times: number[] = [];
  for (let i = 0; i < clip.frames.length; i++) {
    const f = clip.frames[i]!;
    const t = performance.now();
    md.update(f, clip.fw, clip.fh, clip.ptsMs[i]!);
    const dt = performance.now() - t;
    if (md.diagnostics().state === 'running') times.push(dt);
  }
  return times;
}

function stats(xs: number[]): { median: number; p90: number; mean: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { median: q(0.5), p90: q(0.9), mean: s.reduce((a, b) => a + b, 0) / s.length, n: s.length };
}

const fmt = (s: ReturnType<typeof stats>) => `median ${s.median.toFixed(3)}  p90 ${s.p90.toFixed(3)}  mean ${s.mean.toFixed(3)} ms/frame (n=${s.n})`;

async function main(): Promise<void> {
  const bgs = rawClip(path.join(TRAFFIC, 'bgslibrary_video.avi'));
  const highway = rawClip(path.join(TRAFFIC, 'bgslibrary_video02_highway.avi'));
  const intel = rawClip(path.join(TRAFFIC, 'intel_car-detection.mp4'));
  const bgsJpeg = await jpegClip(path.join(TRAFFIC, 'bgslibrary_video.avi'), 5);
  const base = AGAINST ? await loadRevision(AGAINST) : null;

  const cases: RunCase[] = [
    { name: 'defaults, all clips in a row', opts: {}, clips: [bgs, highway, intel, bgsJpeg] },
    { name: 'no blur, no opening', opts: { blurRadiusPx: 0, openRadiusPx: 0 }, clips: [bgs, highway] },
    {
      name: 'blur 2, open 2, close 6 px, ignore regions, no ghost test',
      opts: { blurRadiusPx: 2, openRadiusPx: 2, closeRadiusFraction: 0.03, ghostEdgeRatio: 0, ignoreRegions: [{ x: 0, y: 0, w: 0.3, h: 0.15 }, { x: 0.8, y: 0.7, w: 0.5, h: 0.5 }] },
      clips: [bgs, intel],
    },
    { name: 'no closing, short warm-up, wide bands, small blobs', opts: { closeRadiusFraction: 0, warmUpMs: 300, maxWarmUpFrames: 4, minBandFraction: 0.1, minAreaFraction: 0.0001 }, clips: [highway] },
    // Restarts on a global change now and then (the model update of such a frame must leave no trace).
    { name: 'global-change restarts (fraction 0.03)', opts: { globalChangeFraction: 0.03, warmUpMs: 500 }, clips: [bgs, highway] },
    { name: 'low thresholds (many blobs), strong ghost test', opts: { minDiff: 4, noiseFactor: 2, minNoise: 0.5, ghostEdgeRatio: 0.9, globalChangeFraction: 0.9 }, clips: [bgs, intel] },
  ];
  let failed = false;
  console.log(`outputs${base ? ` (compared frame by frame with ${AGAINST})` : ''}:`);
  for (const c of cases) {
    const r = runCase(c, base);
    console.log(`  ${r.digest}  ${c.name}: ${r.frames} frames, ${r.blobs} blobs${base ? (r.diff ? '  DIFFERENT' : '  identical') : ''}`);
    if (r.diff) {
      console.log(`    ${r.diff}`);
      failed = true;
    }
  }

  const timed: Array<{ name: string; mod: DetectorModule; times: number[] }> = [{ name: 'current', mod: current, times: [] }];
  if (base) timed.push({ name: AGAINST!, mod: base, times: [] });
  for (let p = 0; p < PASSES; p++) {
    // Alternate the order so that neither implementation always runs right after the other's garbage.
    const order = p % 2 ? [...timed].reverse() : timed;
    for (const t of order) {
      const times = timePass(t.mod, bgs);
      if (p > 0) t.times.push(...times);
    }
  }
  if (PASSES > 1) {
    console.log(`timing: ${bgs.name}, ${GRAY_W}x${bgs.frames[0]!.height}, ${PASSES - 1} passes after a warm-up pass:`);
    for (const t of timed) console.log(`  ${t.name.padEnd(10)} ${fmt(stats(t.times))}`);
  }
  if (failed) process.exitCode = 1;
}

await main();
