/**
 * Plate accuracy and speed on the shared evaluation sets (never copied into the repo):
 * - ../shared/data/plates_vn: Vietnamese plate crops, exact match of the normalised text, per reader;
 * - ../shared/data/plates_openalpr: whole-car photos (US, EU, BR), end to end (detect + read, generic rules),
 *   per detector/reader combination. The read evaluated for an image is the one whose box overlaps the labelled
 *   plate box most; no overlapping read counts as a miss. Every error is listed.
 * Files with an even index were used while developing; odd ones were held out (both halves are reported).
 *
 *   npx tsx bench/plates.eval.ts                                # prints the Markdown section, writes bench/out/plates.json
 *   npx tsx bench/plates.eval.ts --threads 1 --combos ppocr/ppocr
 *   npm run eval -- --only plates                               # the same, written into docs/accuracy.md (faces kept)
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeImage, encodePng, type RgbImage } from '../models/image/rgb-image.js';
import { overlapOverSmaller } from '../models/plates/plate-box.selector.js';
import { PlateReader, type PlateDetectorKind, type PlateRead, type PlateReaderKind } from '../models/plates/plate-reader.js';
import { PpocrLineRecognizer, PPOCR_REC_HEIGHT } from '../models/plates/ppocr-line.recognizer.js';
import { parseVnPlate } from '../models/plates/vn-plate.format.js';
import type { Box } from '../pipeline/domain.types.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface PlatesEvalOptions {
  /** Shared data root. @default <repo>/../shared/data */
  dataDir?: string;
  /** ONNX Runtime threads. @default 2 */
  threads?: number;
  /** Write progress lines to stderr. @default true */
  progress?: boolean;
  /** End-to-end detector/reader pairs to run on plates_openalpr. @default all four */
  combos?: ReadonlyArray<readonly [PlateDetectorKind, PlateReaderKind]>;
}

/** Every end-to-end pair, the Apache-2.0 default first. */
export const ALL_COMBOS: ReadonlyArray<readonly [PlateDetectorKind, PlateReaderKind]> = [
  ['ppocr', 'ppocr'],
  ['vn-yolo', 'ppocr'],
  ['ppocr', 'vn-chars'],
  ['vn-yolo', 'vn-chars'],
];

interface VnRow {
  file: string;
  text: string;
  normalized: string;
}

interface AlprRow {
  file: string;
  region: string;
  plate: string;
  box: Box;
}

function csv(text: string): string[][] {
  return text.trim().split(/\r?\n/).slice(1).map((l) => l.split(','));
}

function stats(ms: number[]): { median: number; p90: number; mean: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { median: round1(at(0.5)), p90: round1(at(0.9)), mean: round1(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)) };
}
const round1 = (v: number): number => Math.round(v * 10) / 10;
const pct = (a: number, b: number): string => (b ? `${((100 * a) / b).toFixed(1)} %` : 'n/a');
/** O and 0 (and I and 1) are the same glyph on many plate fonts; this relaxed match is reported beside the strict one. */
const relaxed = (s: string): string => s.replace(/O/g, '0').replace(/I/g, '1');

function log(on: boolean, msg: string): void {
  if (on) process.stderr.write(`${msg}\n`);
}

interface CropResult {
  reader: string;
  correct: number;
  total: number;
  heldOutCorrect: number;
  heldOutTotal: number;
  latency: { median: number; p90: number; mean: number };
  /** CPU time (user + system, all threads of the process) per plate: less sensitive than wall time to other load. */
  cpu: { median: number; p90: number; mean: number };
  threads: number;
  errors: Array<{ file: string; truth: string; read: string; confidence: number | null }>;
}

async function evalCrops(rows: VnRow[], images: RgbImage[], reader: PlateReaderKind, threads: number, progress: boolean): Promise<CropResult> {
  const pr = await PlateReader.create({ reader, threads });
  await pr.readImage(images[0]!, { crop: true }); // warm-up: first runs allocate and optimise
  const ms: number[] = [];
  const cpu: number[] = [];
  const res: CropResult = { reader, correct: 0, total: rows.length, heldOutCorrect: 0, heldOutTotal: 0, latency: { median: 0, p90: 0, mean: 0 }, cpu: { median: 0, p90: 0, mean: 0 }, threads, errors: [] };
  for (let i = 0; i < rows.length; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const [read] = await pr.readImage(images[i]!, { crop: true });
    const c1 = process.cpuUsage(c0);
    ms.push(performance.now() - t0);
    cpu.push((c1.user + c1.system) / 1000);
    const ok = read?.normalized === rows[i]!.normalized;
    if (i % 2 === 1) res.heldOutTotal++;
    if (ok) {
      res.correct++;
      if (i % 2 === 1) res.heldOutCorrect++;
    } else res.errors.push({ file: rows[i]!.file, truth: rows[i]!.text, read: read?.text ?? '(nothing)', confidence: read?.confidence ?? null });
  }
  res.latency = stats(ms);
  res.cpu = stats(cpu);
  log(progress, `plates_vn ${reader} (${threads} threads): ${res.correct}/${res.total}, median ${res.latency.median} ms`);
  return res;
}

/** tesseract.js on the same row crops, with the same VN rules: only measured when Debian's English data is installed. */
async function evalTesseract(rows: VnRow[], images: RgbImage[], progress: boolean): Promise<{ correct: number; total: number; latency: { median: number; p90: number; mean: number } } | { skipped: string }> {
  const langPath = '/usr/share/tesseract-ocr/5/tessdata';
  if (!existsSync(path.join(langPath, 'eng.traineddata'))) return { skipped: `no ${langPath}/eng.traineddata (apt-get install tesseract-ocr-eng)` };
  const { createWorker, PSM } = await import('tesseract.js');
  const splitter = await PlateReader.create({ reader: 'ppocr' });
  const worker = await createWorker('eng', 1, { langPath, gzip: false, cacheMethod: 'none', logger: () => undefined, errorHandler: () => undefined });
  try {
    await worker.setParameters({ tessedit_char_whitelist: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.', tessedit_pageseg_mode: PSM.SINGLE_LINE, user_defined_dpi: '300' });
    let correct = 0;
    const ms: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const rowImgs = await splitter.rowsOfCrop(images[i]!);
      const t0 = performance.now();
      const texts: string[] = [];
      for (const r of rowImgs) texts.push((await worker.recognize(await encodePng(r))).data.text.trim());
      ms.push(performance.now() - t0);
      const parsed = parseVnPlate(texts.map((t) => [...t].map((ch) => ({ ch, p: 0.9 }))));
      if (parsed.normalized === rows[i]!.normalized) correct++;
    }
    log(progress, `plates_vn tesseract: ${correct}/${rows.length}`);
    return { correct, total: rows.length, latency: stats(ms) };
  } finally {
    await worker.terminate();
  }
}

interface RecCost {
  /** Line widths at 48 px height, one entry per line of the run. */
  widths: number[];
  cpu: { median: number; p90: number; mean: number };
}

/**
 * CPU time of one PP-OCR recogniser run on synthetic lines of given widths (1 thread): where a plate crop's time goes.
 * The content does not matter to the network's cost, only the input size.
 */
async function recognizerCost(progress: boolean): Promise<RecCost[]> {
  const rec = await PpocrLineRecognizer.create({ threads: 1 });
  const line = (w: number): RgbImage => ({ data: Uint8Array.from({ length: w * PPOCR_REC_HEIGHT * 3 }, (_, i) => (i * 7919) % 251), width: w, height: PPOCR_REC_HEIGHT });
  const out: RecCost[] = [];
  for (const widths of [[64], [96], [136], [232], [320], [136, 136]]) {
    const lines = widths.map(line);
    await rec.recognize(lines);
    const cpu: number[] = [];
    for (let i = 0; i < 15; i++) {
      const c0 = process.cpuUsage();
      await rec.recognize(lines);
      const c1 = process.cpuUsage(c0);
      cpu.push((c1.user + c1.system) / 1000);
    }
    out.push({ widths, cpu: stats(cpu) });
  }
  log(progress, `recogniser cost: ${out.map((c) => `${c.widths.join('+')} px ${c.cpu.median} ms`).join(', ')}`);
  return out;
}

interface E2eResult {
  detector: PlateDetectorKind;
  reader: PlateReaderKind;
  correct: number;
  relaxedCorrect: number;
  found: number;
  total: number;
  heldOutCorrect: number;
  heldOutTotal: number;
  byRegion: Record<string, { correct: number; total: number }>;
  /** Per region, development (even-indexed) and held-out (odd-indexed) files apart. */
  byRegionHalf: Record<string, { dev: { correct: number; total: number }; heldOut: { correct: number; total: number } }>;
  extraReads: number;
  latency: { median: number; p90: number; mean: number };
  /** CPU time (user + system, all threads of the process) per image. */
  cpu: { median: number; p90: number; mean: number };
  errors: Array<{ file: string; truth: string; read: string; confidence: number | null; half: 'dev' | 'held-out' }>;
}

function matchRead(reads: PlateRead[], truth: Box): PlateRead | undefined {
  let best: PlateRead | undefined;
  let bestOv = 0.3;
  for (const r of reads) {
    const ov = overlapOverSmaller(r.box, truth);
    if (ov > bestOv) {
      bestOv = ov;
      best = r;
    }
  }
  return best;
}

async function evalEndToEnd(rows: AlprRow[], dir: string, detector: PlateDetectorKind, reader: PlateReaderKind, threads: number, progress: boolean): Promise<E2eResult> {
  const pr = await PlateReader.create({ detector, reader, mode: 'generic', threads });
  const res: E2eResult = { detector, reader, correct: 0, relaxedCorrect: 0, found: 0, total: rows.length, heldOutCorrect: 0, heldOutTotal: 0, byRegion: {}, byRegionHalf: {}, extraReads: 0, latency: { median: 0, p90: 0, mean: 0 }, cpu: { median: 0, p90: 0, mean: 0 }, errors: [] };
  const ms: number[] = [];
  const cpu: number[] = [];
  let warm = false;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const img = await decodeImage(path.join(dir, row.file));
    if (!warm) {
      await pr.readImage(img);
      warm = true;
    }
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const reads = await pr.readImage(img);
    const c1 = process.cpuUsage(c0);
    ms.push(performance.now() - t0);
    cpu.push((c1.user + c1.system) / 1000);
    const hit = matchRead(reads, row.box);
    res.extraReads += reads.filter((r) => r !== hit).length;
    const region = (res.byRegion[row.region] ??= { correct: 0, total: 0 });
    const halves = (res.byRegionHalf[row.region] ??= { dev: { correct: 0, total: 0 }, heldOut: { correct: 0, total: 0 } });
    const half = i % 2 === 1 ? halves.heldOut : halves.dev;
    region.total++;
    half.total++;
    if (i % 2 === 1) res.heldOutTotal++;
    if (hit) res.found++;
    if (hit && relaxed(hit.normalized) === relaxed(row.plate)) res.relaxedCorrect++;
    if (hit?.normalized === row.plate) {
      res.correct++;
      region.correct++;
      half.correct++;
      if (i % 2 === 1) res.heldOutCorrect++;
    } else {
      const read = hit ? hit.normalized : reads.length ? `(no read on the plate; elsewhere: ${reads.map((r) => r.normalized).join(' ')})` : '(no plate found)';
      res.errors.push({ file: row.file, truth: row.plate, read, confidence: hit?.confidence ?? null, half: i % 2 === 1 ? 'held-out' : 'dev' });
    }
  }
  res.latency = stats(ms);
  res.cpu = stats(cpu);
  log(progress, `plates_openalpr ${detector}/${reader}: ${res.correct}/${res.total}, median ${res.latency.median} ms`);
  return res;
}

function errorTable(errors: Array<{ file: string; truth: string; read: string; confidence: number | null; half?: string }>): string[] {
  if (errors.length === 0) return ['No errors.'];
  if (errors.some((e) => e.half)) {
    return ['| file | half | truth | read | kind | confidence |', '|---|---|---|---|---|---|', ...errors.map((e) => `| ${e.file} | ${e.half ?? ''} | ${e.truth} | ${e.read} | ${classifyError(e.truth, e.read.startsWith('(') ? null : e.read)} | ${e.confidence ?? '–'} |`)];
  }
  return ['| file | truth | read | confidence |', '|---|---|---|---|', ...errors.map((e) => `| ${e.file} | ${e.truth} | ${e.read} | ${e.confidence ?? '–'} |`)];
}

/** Kinds of end-to-end error, counted so the report says why a goal is missed. */
export function classifyError(truth: string, read: string | null): 'not found' | 'O/0 or I/1 only' | 'character dropped or added' | 'character misread' {
  if (read === null) return 'not found';
  if (relaxed(read) === relaxed(truth)) return 'O/0 or I/1 only';
  if (read.length !== truth.length) return 'character dropped or added';
  return 'character misread';
}

function goalsSection(crops: CropResult[], speed1: CropResult[], e2e: E2eResult[], loadDuringSpeed: number): string[] {
  const out = ['### Goals', ''];
  const points = (v: number, goal: number): string => `${v >= goal ? 'met' : `missed by ${(100 * (goal - v)).toFixed(1)} points`}`;
  for (const c of crops) {
    const v = c.correct / c.total;
    // Đ (a letter of the Vietnamese alphabet used in series like MĐ) is printed with a bar; readers give D, some labels 0.
    const dBar = c.errors.filter((e) => e.read.replace(/[^A-Z0-9]/g, '').replace(/D/g, '0') === e.truth.replace(/[^A-Z0-9]/g, '').replace(/D/g, '0')).length;
    out.push(`- plates_vn, reader ${c.reader}: ${(100 * v).toFixed(1)} % vs goal 95 %: ${points(v, 0.95)}.` + (dBar ? ` ${dBar} of its ${c.errors.length} errors differ from the label only by D↔0: the plate shows the letter Đ (series MĐ, electric motorbikes), which the label writes as 0 and the reader as D.` : ''));
  }
  for (const e of e2e) {
    const v = e.correct / e.total;
    const kinds = new Map<string, number>();
    for (const err of e.errors) {
      const read = err.read.startsWith('(') ? null : err.read;
      const k = classifyError(err.truth, read);
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    const short = Math.max(0, Math.ceil(0.85 * e.total - 1e-9) - e.correct);
    const halves = `development half ${e.correct - e.heldOutCorrect}/${e.total - e.heldOutTotal}, held-out half ${e.heldOutCorrect}/${e.heldOutTotal}`;
    out.push(`- plates_openalpr, ${e.detector} / ${e.reader}: ${(100 * v).toFixed(1)} % vs goal 85 %: ${points(v, 0.85)}${short ? ` (${short} more plates of ${e.total} needed)` : ''}; ${halves}. Errors: ${[...kinds.entries()].map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}.`);
  }
  const pp = [...speed1, ...crops].find((c) => c.reader === 'ppocr' && c.threads === 1) ?? crops.find((c) => c.reader === 'ppocr');
  if (pp) out.push(`- Speed, PP-OCR reader, ${pp.threads} thread(s): CPU ${pp.cpu.median} ms per plate (median), wall ${pp.latency.median} ms, p90 CPU ${pp.cpu.p90} ms, vs goal 15 ms: ${pp.cpu.median <= 15 ? 'median met on CPU time' : `missed by ${round1(pp.cpu.median - 15)} ms of CPU time`} (1-minute load average ${loadDuringSpeed.toFixed(2)} on ${os.cpus().length} cores).`);
  out.push(
    '',
    'Why: the PP-OCRv4 recogniser is a general Chinese/Latin text model, not a plate model. On Vietnamese plates the format rules',
    '(province, series, number; letter/digit fixes by position) make it nearly exact. Foreign plates get no such rules (generic mode), so its',
    'confusions on small US plates (M/N, F/E, L/J, T/I, 4/A, W/M in the lists above) and the O/0, I/1 look-alikes stay: a US plate in a 1280 px',
    'photo has characters about 20 px tall, 2–3 CTC steps each. The glyph check drops separators and small marks that stand apart from the',
    'characters; one of character size (the EU country band on a plate 16 px high, a frame edge touching the first character) still reads as',
    'a character. Not found: plates without any digit (vanity plates) are not reported in generic mode by design (other text on a car has no',
    'digits either), and some small or low-contrast plates are read as garbage or framed partly by the text detector (a second detection at',
    'higher resolution found some of them but read none exactly, see Development). Speed: the recogniser costs about 2 ms per run plus',
    'about 0.04–0.05 ms per pixel of line width (table above): a two-row plate (two rows of about 136 px) spends about 13 ms in the ONNX run',
    'and 1–3 ms in the row split, tensor fill and CTC decode, 14–17 ms of CPU per plate at a 1-minute load under 2 (medians of runs on',
    '2026-12-02), more on a loaded machine (the previous report: 25.9 ms at load 8). The goal sits inside that spread: it is met or missed by about 1 ms depending',
    'on the load; only a narrower recogniser input would give a margin (lines squeezed to 0.85 of their width read the 37 crops the same at',
    'about 15 % less CPU, to 0.75 lost one; not adopted, as it was measured on these crops only). 2 threads cost more CPU for about the same',
    'wall time on a crop; onnxruntime graph and memory options changed nothing measurable. The Vietnamese YOLO models (no licence) were trained on Vietnamese',
    'plates only: the plate detector misses or mis-frames many foreign plates, and the character detector has no I, J, O, Q, R, W class,',
    'hence their end-to-end figures on foreign plates.',
  );
  return out;
}

/** Run the plate evaluation; returns a Markdown section and a JSON summary. */
export async function runPlatesEval(opts: PlatesEvalOptions = {}): Promise<{ markdown: string; summary: Record<string, unknown> }> {
  const dataDir = opts.dataDir ?? path.resolve(REPO, '..', 'shared', 'data');
  const threads = opts.threads ?? 2;
  const progress = opts.progress ?? true;
  const vnDir = path.join(dataDir, 'plates_vn');
  const alprDir = path.join(dataDir, 'plates_openalpr');
  const vnRows: VnRow[] = csv(await readFile(path.join(vnDir, 'GROUND_TRUTH.csv'), 'utf8')).map((c) => ({ file: c[0]!, text: c[1]!, normalized: c[2]! }));
  const alprRows: AlprRow[] = csv(await readFile(path.join(alprDir, 'GROUND_TRUTH.csv'), 'utf8')).map((c) => ({
    file: c[0]!,
    region: c[1]!,
    plate: c[2]!,
    box: { x: Number(c[3]), y: Number(c[4]), w: Number(c[5]), h: Number(c[6]) },
  }));
  const vnImages = await Promise.all(vnRows.map((r) => decodeImage(path.join(vnDir, r.file))));

  const crops: CropResult[] = [];
  for (const reader of ['ppocr', 'vn-chars'] as const) crops.push(await evalCrops(vnRows, vnImages, reader, threads, progress));
  // Speed with one thread per model: the CPU time per plate is the work itself, whatever else runs on the machine.
  const speed1: CropResult[] = [];
  if (threads !== 1) for (const reader of ['ppocr', 'vn-chars'] as const) speed1.push(await evalCrops(vnRows, vnImages, reader, 1, progress));
  const recCost = await recognizerCost(progress);
  const loadDuringSpeed = os.loadavg()[0]!;
  const tess = await evalTesseract(vnRows, vnImages, progress);
  const e2e: E2eResult[] = [];
  for (const [detector, reader] of opts.combos ?? ALL_COMBOS) e2e.push(await evalEndToEnd(alprRows, alprDir, detector, reader, threads, progress));

  const md: string[] = [];
  md.push('## Licence plates', '');
  md.push(`Threads per model: ${threads}. Latency = wall time of \`PlateReader.readImage\` on a decoded image (after one warm-up read), on a 2-core machine shared with other work.`, '');
  md.push(
    'Development: thresholds come from PaddleOCR\'s defaults (DB 0.3 / 0.6 / unclip 1.5), plate geometry and the published Vietnamese format. ' +
      'On plates_openalpr, every change was tried on the even-indexed files only (their images, text lines and per-character reads were looked at); ' +
      'the odd-indexed half was not looked at and is reported separately as held out. ' +
      'The glyph check of detected lines (models/plates/plate-glyphs.ts: each line cut to the band of its characters with a margin of 0.3 × the ' +
      'character height, then read characters that sit on no glyph of character height dropped) took the development half from 42 to 46 of 61, ' +
      'and to 47 once a component wider than tall was taken as merged characters (a first character touching its neighbour had been dropped); ' +
      'margins from 0.2 to 0.45 gave 46–48, the middle was taken. The held-out half: 42 of 61 before, 46 when first measured with the check fixed, ' +
      '46 again after the merged-glyph rule. ' +
      'Tried on the development half and not kept (no gain or a loss there): restricting CTC decoding to A–Z, 0–9 and - . (separator emblems then ' +
      'decode as letters instead of symbols the rules drop; −1 to −2), stretching lines horizontally ×1.25–2 (−7 to +2 depending on the factor and the other steps), one line per ' +
      'recogniser run, or every line padded to 320 px as PaddleOCR does (−3 to 0, slower), contrast stretching of the line (−2 to −4), a second text ' +
      'detection at 3× around weakly read candidates (+2 plates found, 0 more exact, 60 % more time), reading inside YOLOX vehicle boxes ' +
      '(close-ups have no vehicle box; no gain), erasing long ink runs (frames) before measuring glyphs (0, 3 reads lost), and reading each line at ' +
      'several band margins (best confidence of two: 0 to +3, of three: +1, vote of three: 0 to +1; taken as noise, at 1.5–3× the recogniser cost), ' +
      'and a wider line padding (0.06–0.1 of the width or 0.15 of the height: −3 to −5; reads change with the framing). ' +
      'On plates_vn, the row-splitting fixes (threshold and polarity from the plate centre, solid rows ignored, text-detector fallback) were made after ' +
      'looking at four failures anywhere in the set, so its held-out figure is not independent; the glyph check is not applied to given crops ' +
      '(it changed no read there and the band cut widens the recogniser input).',
    '',
  );
  md.push(`### Plate crops: ../shared/data/plates_vn (${vnRows.length} crops, exact match of the normalised text; goal ≥ 95 %)`, '');
  md.push('| reader | exact | held-out half | latency per plate median / p90 (ms) | licence |', '|---|---|---|---|---|');
  for (const c of crops) md.push(`| ${c.reader} | ${c.correct}/${c.total} = ${pct(c.correct, c.total)} | ${c.heldOutCorrect}/${c.heldOutTotal} | ${c.latency.median} / ${c.latency.p90} | ${c.reader === 'ppocr' ? 'Apache-2.0' : 'none (evaluation only)'} |`);
  if ('skipped' in tess) md.push(`| tesseract.js (eng) | skipped: ${tess.skipped} | | | Apache-2.0 |`);
  else md.push(`| tesseract.js (eng, same row split and VN rules) | ${tess.correct}/${tess.total} = ${pct(tess.correct, tess.total)} | | ${tess.latency.median} / ${tess.latency.p90} | Apache-2.0 |`);
  md.push('');
  md.push('Speed per plate crop (goal ≤ 15 ms), wall time and CPU time (user + system of the whole process):', '');
  md.push('| reader | threads | wall median / p90 (ms) | CPU median / p90 (ms) |', '|---|---|---|---|');
  for (const c of [...crops, ...speed1]) md.push(`| ${c.reader} | ${c.threads} | ${c.latency.median} / ${c.latency.p90} | ${c.cpu.median} / ${c.cpu.p90} |`);
  md.push('', `1-minute load average right after these runs: ${loadDuringSpeed.toFixed(2)} on ${os.cpus().length} cores (above the core count, wall times include waiting for the CPU, and CPU times grow too: shared caches and cores).`, '');
  md.push('Where the time of a crop goes: one PP-OCR recogniser run on synthetic lines at 48 px height, 1 thread, CPU median of 15 runs. ' + 'A two-row Vietnamese plate is two rows of about 136 px in one run, a one-row plate one line of about 232 px.', '');
  md.push('| line widths (px) | ' + recCost.map((c) => c.widths.join(' + ')).join(' | ') + ' |', '|---|' + recCost.map(() => '---|').join(''));
  md.push('| CPU (ms) | ' + recCost.map((c) => `${c.cpu.median}`).join(' | ') + ' |', '');
  for (const c of crops) md.push(`Errors, reader ${c.reader}:`, '', ...errorTable(c.errors), '');
  md.push(`### End to end: ../shared/data/plates_openalpr (${alprRows.length} whole-car photos; generic rules; goal ≥ 85 %)`, '');
  md.push('Correct = the read overlapping the labelled plate box equals the label exactly. "O≡0, I≡1" counts reads equal after merging those look-alike glyphs (no rule can tell them apart on many US/EU fonts).', '');
  md.push('| detector / reader | exact | O≡0, I≡1 | plate found | development half (even) | held-out half (odd) | by region | other text reported | wall per image median / p90 (ms) | CPU per image median (ms) |', '|---|---|---|---|---|---|---|---|---|---|');
  for (const e of e2e) {
    const regions = Object.entries(e.byRegion).map(([k, v]) => `${k} ${v.correct}/${v.total}`).join(', ');
    const devC = e.correct - e.heldOutCorrect;
    const devT = e.total - e.heldOutTotal;
    md.push(`| ${e.detector} / ${e.reader} | ${e.correct}/${e.total} = ${pct(e.correct, e.total)} | ${pct(e.relaxedCorrect, e.total)} | ${e.found}/${e.total} | ${devC}/${devT} = ${pct(devC, devT)} | ${e.heldOutCorrect}/${e.heldOutTotal} = ${pct(e.heldOutCorrect, e.heldOutTotal)} | ${regions} | ${e.extraReads} | ${e.latency.median} / ${e.latency.p90} | ${e.cpu.median} |`);
  }
  md.push('', 'By region and half (development / held out):', '', '| detector / reader | ' + Object.keys(e2e[0]?.byRegionHalf ?? {}).join(' | ') + ' |', '|---|' + Object.keys(e2e[0]?.byRegionHalf ?? {}).map(() => '---|').join(''));
  for (const e of e2e) md.push(`| ${e.detector} / ${e.reader} | ${Object.values(e.byRegionHalf).map((h) => `${h.dev.correct}/${h.dev.total} / ${h.heldOut.correct}/${h.heldOut.total}`).join(' | ')} |`);
  md.push('');
  for (const e of e2e) md.push(`Errors, ${e.detector} / ${e.reader}:`, '', ...errorTable(e.errors), '');

  md.push(...goalsSection(crops, speed1, e2e, loadDuringSpeed), '');

  const summary: Record<string, unknown> = {
    platesVn: crops.map((c) => ({ reader: c.reader, exact: c.correct / c.total, correct: c.correct, total: c.total, heldOut: `${c.heldOutCorrect}/${c.heldOutTotal}`, latencyMs: c.latency, cpuMs: c.cpu, errors: c.errors })),
    speedOneThread: speed1.map((c) => ({ reader: c.reader, latencyMs: c.latency, cpuMs: c.cpu })),
    recognizerCpuMsByWidth: recCost,
    loadAverageDuringSpeed: loadDuringSpeed,
    tesseract: tess,
    platesOpenalpr: e2e.map((e) => ({
      detector: e.detector,
      reader: e.reader,
      exact: e.correct / e.total,
      relaxedOI: e.relaxedCorrect / e.total,
      found: e.found,
      total: e.total,
      heldOut: `${e.heldOutCorrect}/${e.heldOutTotal}`,
      byRegion: e.byRegion,
      byRegionHalf: e.byRegionHalf,
      extraReads: e.extraReads,
      latencyMs: e.latency,
      cpuMs: e.cpu,
      errors: e.errors,
    })),
  };
  return { markdown: md.join('\n'), summary };
}

/** `--combos ppocr/ppocr,vn-yolo/ppocr` (or `all`) into detector/reader pairs. */
export function parseCombos(text: string): Array<readonly [PlateDetectorKind, PlateReaderKind]> {
  if (text === 'all') return [...ALL_COMBOS];
  return text.split(',').map((c) => {
    const found = ALL_COMBOS.find(([d, r]) => `${d}/${r}` === c.trim());
    if (!found) throw new Error(`--combos "${c}": expected one of ${ALL_COMBOS.map(([d, r]) => `${d}/${r}`).join(', ')} or all`);
    return found;
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { threads: { type: 'string' }, combos: { type: 'string' } }, strict: true });
  const threads = values.threads ? Number(values.threads) : 2;
  if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`--threads "${values.threads}": expected an integer ≥ 1`);
  const { markdown, summary } = await runPlatesEval({ threads, combos: values.combos ? parseCombos(values.combos) : undefined });
  await mkdir(path.join(REPO, 'bench', 'out'), { recursive: true });
  await writeFile(path.join(REPO, 'bench', 'out', 'plates.json'), JSON.stringify(summary, null, 2));
  process.stdout.write(markdown + '\n');
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
