/**
 * Face verification accuracy and speed on ../shared/data/faces (33 photos, 196 labelled pairs).
 *
 *   npx tsx bench/faces.eval.ts [--threads N] [--repeats N]   # prints the markdown section
 *   npm run eval                                              # writes it into docs/accuracy.md with the plates part
 *
 * Protocol: the largest face of each photo (the pair labels refer to the main subject), YuNet at 640 px →
 * ArcFace alignment → MobileFaceNet, cosine similarity. A photo without a face scores −1 in every pair (a reject).
 * Latency: median over `repeats` runs after a warm-up, per photo for detection (decoded image in memory → faces),
 * per face for alignment + quality + embedding (one face per run) and per face in a batch of 8.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { FaceAnalyzer, type FaceEmbedding } from '../models/faces/face-analyzer.js';
import { alignFace } from '../models/faces/face-alignment.js';
import {
  FACE_MATCH_THRESHOLD,
  calibrateThreshold,
  cosineSimilarity,
  equalErrorRate,
  rocAuc,
  thresholdAtFar,
  type ScoredPair,
} from '../models/faces/face-similarity.js';
import { MobileFaceNetEmbedder } from '../models/faces/mobilefacenet.embedder.js';
import { decodeImage, type RgbImage } from '../models/image/rgb-image.js';
import { releaseAllOnnxModels } from '../models/runtime/onnx-session.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FACES_DIR = path.resolve(REPO, '..', 'shared', 'data', 'faces');

export interface FacesEvalOptions {
  /** onnxruntime intra-op threads. Default 2. */
  threads?: number;
  /** Timed runs per measurement (after one warm-up). Default 5. */
  repeats?: number;
  /** Data folder. Default ../shared/data/faces. */
  dataDir?: string;
}

interface PhotoResult {
  file: string;
  identity: string;
  width: number;
  height: number;
  faces: number;
  main: FaceEmbedding | null;
  detectMs: number;
  embedMs: number;
  detectCpuMs: number;
  embedCpuMs: number;
}

interface PairResult extends ScoredPair {
  a: string;
  b: string;
}

function parseCsv(text: string): Array<Record<string, string>> {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0]!.split(',').map((h) => h.trim());
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(header.map((h, i) => [h, (cells[i] ?? '').trim()]));
  });
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function percentile(v: number[], p: number): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Median wall-clock ms per call, and CPU ms per call (user + system of this process, all threads, mean). */
async function timeIt<T>(repeats: number, fn: () => Promise<T>): Promise<{ result: T; ms: number; cpuMs: number }> {
  let result = await fn(); // warm-up (and the result we keep)
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    result = await fn();
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  return { result, ms: median(times), cpuMs: (cpu.user + cpu.system) / 1000 / Math.max(1, repeats) };
}

/** Face widths of the degraded copies, pixels. */
const DEGRADED_FACE_PX = [24, 32, 40, 64] as const;
const meanOf = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const f3 = (x: number) => x.toFixed(3);

export async function runFacesEval(opts: FacesEvalOptions = {}): Promise<{ markdown: string; summary: Record<string, unknown> }> {
  const dir = opts.dataDir ?? FACES_DIR;
  const threads = opts.threads ?? 2;
  const repeats = opts.repeats ?? 5;
  if (!existsSync(path.join(dir, 'GROUND_TRUTH_pairs.csv'))) throw new Error(`face data not found in ${dir}`);
  const identities = new Map(parseCsv(await readFile(path.join(dir, 'GROUND_TRUTH_identities.csv'), 'utf8')).map((r) => [r.file!, r.identity_cluster!]));
  const pairRows = parseCsv(await readFile(path.join(dir, 'GROUND_TRUTH_pairs.csv'), 'utf8'));
  const files = [...new Set(pairRows.flatMap((r) => [r.file_x!, r.file_y!]))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

  const analyzer = await FaceAnalyzer.create({ threads });
  const embedder = await MobileFaceNetEmbedder.create({ threads });
  const photos = new Map<string, PhotoResult>();
  const images = new Map<string, RgbImage>();
  for (const file of files) {
    const img = await decodeImage(path.join(dir, file));
    images.set(file, img);
    const det = await timeIt(repeats, () => analyzer.detect(img));
    let main: FaceEmbedding | null = null;
    let embedMs = NaN;
    let embedCpuMs = NaN;
    if (det.result.length > 0) {
      const emb = await timeIt(repeats, () => analyzer.embed(img, det.result[0]));
      main = emb.result[0]!;
      embedMs = emb.ms;
      embedCpuMs = emb.cpuMs;
    }
    photos.set(file, {
      file,
      identity: identities.get(file) ?? '?',
      width: img.width,
      height: img.height,
      faces: det.result.length,
      main,
      detectMs: det.ms,
      embedMs,
      detectCpuMs: det.cpuMs,
      embedCpuMs,
    });
  }

  // Batched embedding: 8 aligned faces per run, ms per face.
  const aligned = [...photos.values()]
    .filter((p) => p.main)
    .slice(0, 8)
    .map((p) => alignFace(images.get(p.file)!, p.main!.landmarks).image);
  const batch = aligned.length > 0 ? await timeIt(repeats, () => embedder.embedAligned(aligned)) : null;
  const batchMsPerFace = batch ? batch.ms / aligned.length : NaN;
  // Alignment + quality alone (pure JS), per face.
  const alignTimes: number[] = [];
  for (const p of photos.values()) {
    if (!p.main) continue;
    const img = images.get(p.file)!;
    const t0 = performance.now();
    for (let i = 0; i < repeats; i++) alignFace(img, p.main.landmarks);
    alignTimes.push((performance.now() - t0) / repeats);
  }

  const pairs: PairResult[] = pairRows.map((r) => {
    const a = photos.get(r.file_x!)!.main;
    const b = photos.get(r.file_y!)!.main;
    const score = a && b ? cosineSimilarity(a.embedding, b.embedding) : -1;
    return { a: r.file_x!, b: r.file_y!, same: r.same_person === 'Yes', score };
  });
  const genuine = pairs.filter((p) => p.same);
  const impostor = pairs.filter((p) => !p.same);
  const auc = rocAuc(pairs);
  const eer = equalErrorRate(pairs);
  const at1 = thresholdAtFar(pairs, 0.01);
  const at0 = thresholdAtFar(pairs, 0);
  const cal = calibrateThreshold(pairs, 0.01);
  const thr = FACE_MATCH_THRESHOLD;
  const falseRejects = genuine.filter((p) => p.score < thr).sort((x, y) => x.score - y.score);
  const falseAccepts = impostor.filter((p) => p.score >= thr).sort((x, y) => y.score - x.score);
  const tarAtThr = 1 - falseRejects.length / genuine.length;
  const farAtThr = falseAccepts.length / impostor.length;
  // Same figures on pairs where both main faces pass the quality gate.
  const usablePairs = pairs.filter((p) => photos.get(p.a)!.main?.usableForMatching && photos.get(p.b)!.main?.usableForMatching);
  const usableHasBoth = usablePairs.some((p) => p.same) && usablePairs.some((p) => !p.same);
  const usableAt1 = usableHasBoth ? thresholdAtFar(usablePairs, 0.01) : null;

  const all = [...photos.values()];
  const detected = all.filter((p) => p.main);
  const detectMs = all.map((p) => p.detectMs);
  const embedMs = detected.map((p) => p.embedMs);
  const detectCpu = median(all.map((p) => p.detectCpuMs));
  const embedCpu = median(detected.map((p) => p.embedCpuMs));
  const noFace = all.filter((p) => !p.main).map((p) => p.file);
  const lowQuality = detected.filter((p) => !p.main!.usableForMatching);
  const worstGenuine = [...genuine].sort((x, y) => x.score - y.score).slice(0, 5);
  const bestImpostor = [...impostor].sort((x, y) => y.score - x.score).slice(0, 5);

  const loadDuring = os.loadavg().map((l) => l.toFixed(1)).join(' / ');
  const tarGoal = 0.95;
  const latencyGoalMs = 10;
  const perFaceMs = median(embedMs);
  const lines: string[] = [
    '## Faces: verification on ../shared/data/faces',
    '',
    `Command: \`npx tsx bench/faces.eval.ts --threads ${threads} --repeats ${repeats}\` (also run by \`npm run eval\`). ` +
      `Pipeline: YuNet (long side ≤ 640 px, score ≥ 0.6) → largest face → ArcFace 5-point similarity alignment → MobileFaceNet 192-d, L2-normalised, cosine. ` +
      `${files.length} photos, ${pairs.length} pairs (${genuine.length} same person, ${impostor.length} different).`,
    '',
    '| measure | value | goal |',
    '|---|---|---|',
    `| TAR at FAR ≤ 1 % (empirical; ${impostor.length} impostor pairs, so ≤ ${Math.floor(impostor.length * 0.01)} false accept) | ${pct(at1.tar)} (threshold ${f3(at1.threshold)}, FAR ${pct(at1.far)}) | ≥ 95 % ${at1.tar >= tarGoal ? '✔' : `✘ (short by ${((tarGoal - at1.tar) * 100).toFixed(1)} points)`} |`,
    `| TAR at FAR 0 | ${pct(at0.tar)} (threshold ${f3(at0.threshold)}) | |`,
    `| ROC AUC | ${auc.toFixed(4)} | |`,
    eer.eer === 0
      ? `| EER | 0 %: every threshold in (${f3(cal.impostor.max)}, ${f3(cal.genuine.min)}] separates all pairs | |`
      : `| EER | ${pct(eer.eer)} (threshold ${f3(eer.threshold)}) | |`,
    `| shipped threshold \`FACE_MATCH_THRESHOLD\` | ${thr}: TAR ${pct(tarAtThr)}, FAR ${pct(farAtThr)} | |`,
    `| calibration: empirical FAR-1 % / normal-fit FAR-1 % / max impostor + 0.005 → recommended | ${f3(cal.empirical.threshold)} / ${f3(cal.gaussian)} / ${f3(cal.impostor.max + 0.005)} → **${f3(cal.recommended)}** | |`,
    `| normal fit of the impostor scores at FAR 0.1 % (for 1:N search) | ${f3(cal.gaussianStricter)} | |`,
    `| impostor cosine mean ± sd (max) | ${f3(cal.impostor.mean)} ± ${f3(cal.impostor.sd)} (${f3(cal.impostor.max)}) | |`,
    `| genuine cosine mean ± sd (min) | ${f3(cal.genuine.mean)} ± ${f3(cal.genuine.sd)} (${f3(cal.genuine.min)}) | |`,
    `| photos with a face found | ${detected.length} / ${all.length}${noFace.length ? ` (none in ${noFace.join(', ')})` : ''} | |`,
    `| main faces below the quality gate | ${lowQuality.length} / ${detected.length} | |`,
    usableAt1 ? `| TAR at FAR ≤ 1 %, pairs where both faces pass the gate (${usablePairs.length}) | ${pct(usableAt1.tar)} (threshold ${f3(usableAt1.threshold)}) | |` : null,
    `| detection latency per photo (decoded image → faces), median / p90 | ${median(detectMs).toFixed(1)} / ${percentile(detectMs, 90).toFixed(1)} ms | |`,
    `| alignment + quality + embedding per face (one per run), median / p90 | ${perFaceMs.toFixed(1)} / ${percentile(embedMs, 90).toFixed(1)} ms | ≤ 10 ms ${perFaceMs <= latencyGoalMs ? '✔' : `✘ (+${(perFaceMs - latencyGoalMs).toFixed(1)} ms)`} |`,
    `| CPU time per call (all threads of this process), median: detection / alignment + embedding | ${detectCpu.toFixed(1)} / ${embedCpu.toFixed(1)} ms | |`,
    `| of which alignment alone (JS), median | ${median(alignTimes).toFixed(2)} ms | |`,
    `| embedding in a batch of ${aligned.length}, per face | ${batchMsPerFace.toFixed(1)} ms | |`,
    '',
  ].filter((l): l is string => l !== null);
  lines.push(
    '',
    `Threshold choice: \`FACE_MATCH_THRESHOLD\` = ${thr} (models/faces/face-similarity.ts) is the conservative pick of the calibration above: ` +
      `with only ${impostor.length} impostor pairs the empirical FAR-1 % point hinges on a single pair, so the shipped value also clears a normal fit ` +
      'of the impostor scores and the highest impostor score seen. Override it with `IOCV_FACE_MATCH_THRESHOLD` or `FaceAnalyzer.create({ matchThreshold })`.',
    '',
  );
  lines.push(`Pairs that fail at the shipped threshold (${falseRejects.length} false rejects, ${falseAccepts.length} false accepts):`, '');
  if (falseRejects.length + falseAccepts.length === 0) lines.push('- none');
  for (const p of falseRejects) lines.push(`- false reject: ${p.a} – ${p.b} (${photos.get(p.a)!.identity}) cosine ${f3(p.score)}`);
  for (const p of falseAccepts) lines.push(`- false accept: ${p.a} (${photos.get(p.a)!.identity}) – ${p.b} (${photos.get(p.b)!.identity}) cosine ${f3(p.score)}`);
  lines.push('', 'Hardest pairs: lowest same-person scores ' + worstGenuine.map((p) => `${p.a}–${p.b} ${f3(p.score)}`).join(', ') + '; highest different-person scores ' + bestImpostor.map((p) => `${p.a}–${p.b} ${f3(p.score)}`).join(', ') + '.');
  lines.push('', 'Per photo (main face): faces found, box short side, detector score, quality = size × sharpness × pose, yaw/pitch estimate, latencies.', '');
  lines.push('| photo | identity | faces | face px | score | quality (size·sharp·pose) | yaw / pitch | detect ms | align+embed ms |', '|---|---|---|---|---|---|---|---|---|');
  for (const p of all) {
    const m = p.main;
    if (!m) {
      lines.push(`| ${p.file} | ${p.identity} | 0 | – | – | – | – | ${p.detectMs.toFixed(1)} | – |`);
      continue;
    }
    const q = m.qualityDetail;
    lines.push(
      `| ${p.file} | ${p.identity} | ${p.faces} | ${Math.round(q.faceSizePx)} | ${m.score.toFixed(2)} | ${q.quality.toFixed(2)} (${q.size.toFixed(2)}·${q.sharpness.toFixed(2)}·${q.pose.toFixed(2)})${m.usableForMatching ? '' : ' **low**'} | ${Math.round(q.headPose.yawDeg)}° / ${Math.round(q.headPose.pitchDeg)}° | ${p.detectMs.toFixed(1)} | ${p.embedMs.toFixed(1)} |`,
    );
  }
  const notes: string[] = [];
  if (at1.tar < tarGoal) notes.push(`TAR at FAR 1 % misses the 95 % goal by ${((tarGoal - at1.tar) * 100).toFixed(1)} points: see the false rejects above.`);
  if (perFaceMs > latencyGoalMs) {
    notes.push(
      `Per-face latency misses the 10 ms goal by ${(perFaceMs - latencyGoalMs).toFixed(1)} ms. Load average during the run: ${loadDuring}; the machine has 2 cores shared with other jobs, and ../shared/models/README.md lists the model alone at 5.6–7.8 ms on an idle machine. ` +
        (batchMsPerFace < perFaceMs ? `Batching ${aligned.length} faces per run gives ${batchMsPerFace.toFixed(1)} ms per face.` : ''),
    );
  }
  if (lowQuality.length) notes.push(`Main faces flagged low quality: ${lowQuality.map((p) => `${p.file} (${p.main!.quality.toFixed(2)})`).join(', ')}.`);
  if (notes.length) lines.push('', ...notes.map((n) => `- ${n}`));

  // Degraded copies: each photo shrunk so that its main face is N px wide, then JPEG quality 50, as a rough stand-in
  // for CCTV faces. Pairs compare degraded with degraded at the shipped threshold; this also shows what the quality
  // gate lets through.
  lines.push(
    '',
    '### Degraded copies: main face shrunk to N px wide, JPEG quality 50 (a rough stand-in for CCTV faces)',
    '',
    `| face width | found | usable (quality ≥ ${analyzer.minQuality}) | ROC AUC | TAR at FAR ≤ 1 % (threshold) | TAR / FAR at ${thr} | genuine mean (min) | impostor mean (max) |`,
    '|---|---|---|---|---|---|---|---|',
  );
  const degradedSummary: Array<Record<string, number>> = [];
  for (const facePx of DEGRADED_FACE_PX) {
    const degraded = new Map<string, FaceEmbedding | null>();
    for (const p of all) {
      if (!p.main) {
        degraded.set(p.file, null);
        continue;
      }
      const img = images.get(p.file)!;
      const w = Math.max(32, Math.round((img.width * facePx) / p.main.box.w));
      const jpeg = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).resize(w).jpeg({ quality: 50 }).toBuffer();
      const small = await decodeImage(jpeg);
      const faces = await analyzer.detect(small);
      degraded.set(p.file, faces.length ? (await analyzer.embed(small, faces[0]))[0]! : null);
    }
    const dPairs: PairResult[] = pairRows.map((r) => {
      const a = degraded.get(r.file_x!);
      const b = degraded.get(r.file_y!);
      return { a: r.file_x!, b: r.file_y!, same: r.same_person === 'Yes', score: a && b ? cosineSimilarity(a.embedding, b.embedding) : -1 };
    });
    const dGen = dPairs.filter((p) => p.same).map((p) => p.score);
    const dImp = dPairs.filter((p) => !p.same).map((p) => p.score);
    const dTar = dGen.filter((x) => x >= thr).length / dGen.length;
    const dFar = dImp.filter((x) => x >= thr).length / dImp.length;
    const dAt1 = thresholdAtFar(dPairs, 0.01);
    const dAuc = rocAuc(dPairs);
    const found = [...degraded.values()].filter((e) => e).length;
    const usable = [...degraded.values()].filter((e) => e?.usableForMatching).length;
    lines.push(
      `| ${facePx} px | ${found} / ${all.length} | ${usable} / ${found} | ${dAuc.toFixed(4)} | ${pct(dAt1.tar)} (${f3(dAt1.threshold)}) | ${pct(dTar)} / ${pct(dFar)} | ${f3(meanOf(dGen))} (${f3(Math.min(...dGen))}) | ${f3(meanOf(dImp))} (${f3(Math.max(...dImp))}) |`,
    );
    degradedSummary.push({ facePx, found, usable, rocAuc: dAuc, tarAtFar1: dAt1.tar, tarAtShipped: dTar, farAtShipped: dFar });
  }
  lines.push(
    '',
    'The quality gate (size ramp 16 → 64 px, sharpness, pose) is deliberately conservative: it errs towards not matching. ' +
      'The rows show where verification itself starts to break down (false accepts at the shipped threshold, lower AUC) as faces shrink.',
  );
  const summary = {
    photos: all.length,
    pairs: pairs.length,
    genuinePairs: genuine.length,
    impostorPairs: impostor.length,
    facesFound: detected.length,
    noFace,
    lowQualityMainFaces: lowQuality.map((p) => p.file),
    tarAtFar1: at1.tar,
    thresholdAtFar1: at1.threshold,
    tarAtFar0: at0.tar,
    rocAuc: auc,
    eer: eer.eer,
    eerThreshold: eer.threshold,
    shippedThreshold: thr,
    tarAtShipped: tarAtThr,
    farAtShipped: farAtThr,
    calibration: { empirical: cal.empirical.threshold, gaussian: cal.gaussian, recommended: cal.recommended, impostor: cal.impostor, genuine: cal.genuine },
    falseRejects: falseRejects.map((p) => ({ a: p.a, b: p.b, score: p.score })),
    falseAccepts: falseAccepts.map((p) => ({ a: p.a, b: p.b, score: p.score })),
    detectMsMedian: median(detectMs),
    alignEmbedMsMedian: perFaceMs,
    alignMsMedian: median(alignTimes),
    detectCpuMsMedian: detectCpu,
    alignEmbedCpuMsMedian: embedCpu,
    batchEmbedMsPerFace: batchMsPerFace,
    degraded: degradedSummary,
    threads,
    repeats,
  };
  return { markdown: lines.join('\n'), summary };
}

// Run alone: print the markdown (and the summary as JSON with --json).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { threads: { type: 'string' }, repeats: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  runFacesEval({ threads: values.threads ? Number(values.threads) : undefined, repeats: values.repeats ? Number(values.repeats) : undefined })
    .then(async (r) => {
      console.log(values.json ? JSON.stringify(r.summary, null, 2) : r.markdown);
      await releaseAllOnnxModels();
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
