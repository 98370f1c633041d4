/**
 * Golden tests of the real YOLOX-nano model on real footage from ../shared/data (frames cut with ffmpeg at test time).
 * Expectations were derived by looking at the frames; tolerances are generous because the model, not the test, is
 * what varies between runtime versions and input sizes.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_CATALOGUE } from '../models/catalogue/model-catalogue.js';
import { iou } from '../models/detect/nms.js';
import { cropImage, decodeImage, type RgbImage } from '../models/image/rgb-image.js';
import { releaseAllOnnxModels } from '../models/runtime/onnx-session.js';
import { YoloxDetector } from '../models/vehicles/yolox.detector.js';
import type { Box, Detection } from '../pipeline/domain.types.js';
import { SHARED_DATA, SHARED_MODELS } from './support/shared-paths.js';

const run = promisify(execFile);
const HIGHWAY = path.join(SHARED_DATA, 'traffic', 'bgslibrary_video02_highway.avi');
const PARKING = path.join(SHARED_DATA, 'traffic', 'intel_car-detection.mp4');
const PETS = path.join(SHARED_DATA, 'people_pets09', 'pets09_s2l1_vtest.mp4');
const PETS_GT = path.join(SHARED_DATA, 'people_pets09', 'gt_mot15_PETS09-S2L1.txt');
const ALPR_DIR = path.join(SHARED_DATA, 'plates_openalpr');
const available = existsSync(path.join(SHARED_MODELS, MODEL_CATALOGUE['yolox-nano'].file)) && existsSync(HIGHWAY) && existsSync(PETS);

const VEHICLES = new Set(['car', 'truck', 'bus', 'motorcycle']);
const centre = (b: Box) => ({ x: b.x + b.w / 2, y: b.y + b.h / 2 });
const contains = (b: Box, p: { x: number; y: number }) => p.x >= b.x && p.x <= b.x + b.w && p.y >= b.y && p.y <= b.y + b.h;

let tmp: string;
let detector: YoloxDetector;

/** Decoded frame `index` (0-based) of a clip, written as `ext` (png = lossless, jpg = what cameras send). */
async function frame(clip: string, index: number, ext: 'png' | 'jpg' = 'png'): Promise<string> {
  const out = path.join(tmp, `${path.basename(clip)}-${index}.${ext}`);
  await run('ffmpeg', ['-loglevel', 'error', '-y', '-i', clip, '-vf', `select=eq(n\\,${index})`, '-frames:v', '1', ...(ext === 'jpg' ? ['-q:v', '3'] : []), out]);
  return out;
}

function sane(d: Detection, img: RgbImage): void {
  expect(d.score).toBeGreaterThan(0);
  expect(d.score).toBeLessThanOrEqual(1);
  expect(d.box.x).toBeGreaterThanOrEqual(0);
  expect(d.box.y).toBeGreaterThanOrEqual(0);
  expect(d.box.x + d.box.w).toBeLessThanOrEqual(img.width + 1e-6);
  expect(d.box.y + d.box.h).toBeLessThanOrEqual(img.height + 1e-6);
  expect(d.box.w).toBeGreaterThanOrEqual(1);
  expect(d.box.h).toBeGreaterThanOrEqual(1);
}

describe.skipIf(!available)('YOLOX-nano on real footage', () => {
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'iocv-yolox-'));
    detector = await YoloxDetector.create({ threads: 2 });
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
    await releaseAllOnnxModels();
  });

  it('shares one session between detectors with the same thread count', async () => {
    const other = await YoloxDetector.create({ threads: 2 });
    expect(other.model).toBe(detector.model);
  });

  it('finds the cars on a motorway CCTV frame (320x240, upscaled to the input)', async () => {
    // Frame 300 (12 s at 25 fps): ~8 cars on both carriageways; a silver hatchback in the near right lane.
    const img = await decodeImage(await frame(HIGHWAY, 300));
    for (const inputSize of [416, 640]) {
      const dets = await detector.detect(img, { inputSize });
      dets.forEach((d) => sane(d, img));
      const cars = dets.filter((d) => d.cls === 'car');
      expect(cars.length, `cars at ${inputSize}`).toBeGreaterThanOrEqual(5);
      expect(cars.length).toBeLessThanOrEqual(14);
      // Near silver car, by eye at about x 186–228, y 141–176.
      const near = { x: 186, y: 141, w: 42, h: 35 };
      expect(Math.max(...cars.map((c) => iou(c.box, near))), `near car at ${inputSize}`).toBeGreaterThan(0.5);
      // Sorted by score, no duplicate boxes of one class left after NMS.
      for (let i = 1; i < dets.length; i++) expect(dets[i - 1]!.score).toBeGreaterThanOrEqual(dets[i]!.score);
      for (const a of cars) for (const b of cars) if (a !== b) expect(iou(a.box, b.box)).toBeLessThanOrEqual(0.45);
    }
  });

  it('sees the cyclist on the hard shoulder (the clip\'s "person on road" anomaly)', async () => {
    // Frame 150 (6 s): a person on a bike at the right edge, x ≈ 258–274, y ≈ 160–195.
    const img = await decodeImage(await frame(HIGHWAY, 150));
    const people = (await detector.detect(img, { inputSize: 416, minScore: 0.25 })).filter((d) => d.cls === 'person');
    expect(people.some((p) => contains({ x: 240, y: 140, w: 60, h: 80 }, centre(p.box)))).toBe(true);
  });

  it('matches the PETS09 people ground truth (MOT boxes) on several frames', async () => {
    const gt = readFileSync(PETS_GT, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(',').map(Number));
    let gtTotal = 0;
    let gtFound = 0;
    let detTotal = 0;
    let detOnGt = 0;
    for (const n of [50, 200, 400, 600, 750]) {
      const img = await decodeImage(await frame(PETS, n));
      // MOT frame numbers are 1-based; boxes are 1-based left/top + size.
      const truth = gt.filter((r) => r[0] === n + 1).map((r) => ({ x: r[2]! - 1, y: r[3]! - 1, w: r[4]!, h: r[5]! }));
      const people = (await detector.detect(img, { inputSize: 416 })).filter((d) => d.cls === 'person');
      people.forEach((d) => sane(d, img));
      gtTotal += truth.length;
      gtFound += truth.filter((t) => people.some((p) => iou(p.box, t) >= 0.5)).length;
      detTotal += people.length;
      detOnGt += people.filter((p) => truth.some((t) => iou(p.box, t) >= 0.3)).length;
    }
    expect(gtTotal).toBeGreaterThan(20);
    expect(gtFound / gtTotal, `recall ${gtFound}/${gtTotal}`).toBeGreaterThanOrEqual(0.75);
    // The GT covers the tracked area only; a few people outside it are real but unlabelled.
    expect(detOnGt / detTotal, `precision ${detOnGt}/${detTotal}`).toBeGreaterThanOrEqual(0.7);
  });

  it('puts a vehicle box around the labelled plate in most OpenALPR car photos', async () => {
    const rows = readFileSync(path.join(ALPR_DIR, 'GROUND_TRUTH.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.length).toBeGreaterThan(50);
    let hits = 0;
    for (const r of rows) {
      const [x, y, w, h] = r.slice(3, 7).map(Number) as [number, number, number, number];
      const dets = await detector.detect(await readFile(path.join(ALPR_DIR, r[0]!)), { inputSize: 416 });
      if (dets.some((d) => VEHICLES.has(d.cls) && contains(d.box, { x: x + w / 2, y: y + h / 2 }))) hits++;
    }
    expect(hits / rows.length, `${hits}/${rows.length}`).toBeGreaterThanOrEqual(0.8);
  });

  it('reports nothing on an empty parking-lot aisle', async () => {
    // Frame 300 (10 s) of the overhead parking clip: bare asphalt and painted lines only.
    const img = await decodeImage(await frame(PARKING, 300));
    const dets = await detector.detect(img, { inputSize: 416 });
    expect(dets.filter((d) => d.score >= 0.5)).toEqual([]);
  });

  it('gives near-identical boxes for JPEG bytes and decoded RGB input', async () => {
    const jpgPath = await frame(HIGHWAY, 300, 'jpg');
    const jpeg = await readFile(jpgPath);
    const img = await decodeImage(jpeg);
    for (const inputSize of [416, 640]) {
      const fromRgb = await detector.detect(img, { inputSize });
      const fromJpeg = await detector.detect(jpeg, { inputSize });
      expect(detector.lastTimings.decodeMs).toBeGreaterThan(0);
      // Resampling differs slightly (libvips vs JS bilinear); confident boxes must agree.
      const strong = fromRgb.filter((d) => d.score >= 0.5);
      expect(strong.length).toBeGreaterThanOrEqual(4);
      for (const d of strong) {
        const best = Math.max(0, ...fromJpeg.filter((j) => j.cls === d.cls).map((j) => iou(j.box, d.box)));
        expect(best, `${d.cls} ${JSON.stringify(d.box)} at ${inputSize}`).toBeGreaterThan(0.8);
      }
      expect(Math.abs(fromJpeg.length - fromRgb.length)).toBeLessThanOrEqual(Math.max(2, fromRgb.length * 0.3));
    }
  });

  it('handles a portrait frame (rectangular input on the other axis) with boxes in frame pixels', async () => {
    const land = await decodeImage(await frame(PETS, 200));
    const full = (await detector.detect(land, { inputSize: 416 })).filter((d) => d.cls === 'person');
    // Right half of the frame, full height: 384x576 portrait → 288x416 input.
    const right = cropImage(land, { x: 384, y: 0, w: 384, h: 576 });
    const people = (await detector.detect(right, { inputSize: 416 })).filter((d) => d.cls === 'person');
    people.forEach((d) => sane(d, right));
    const expected = full.filter((d) => d.box.x >= 400 && d.score >= 0.5);
    expect(expected.length).toBeGreaterThanOrEqual(2);
    for (const e of expected) {
      const shifted = { ...e.box, x: e.box.x - 384 };
      expect(Math.max(0, ...people.map((p) => iou(p.box, shifted)))).toBeGreaterThan(0.6);
    }
  });
});
