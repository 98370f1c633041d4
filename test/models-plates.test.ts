/**
 * Golden tests of the real plate models on a few shared images (../shared/data beside the checkout). Tolerant by
 * design: a handful of clear plates, most of which must be read exactly.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../models/image/rgb-image.js';
import { overlapOverSmaller } from '../models/plates/plate-box.selector.js';
import { combinePlateReads } from '../models/plates/plate-read.voter.js';
import { PlateReader } from '../models/plates/plate-reader.js';
import { releaseAllOnnxModels } from '../models/runtime/onnx-session.js';
import { replaceSection } from '../bench/accuracy.eval.js';
import { parseCombos } from '../bench/plates.eval.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.resolve(REPO, '..', 'shared', 'data');
const VN = path.join(DATA, 'plates_vn');
const ALPR = path.join(DATA, 'plates_openalpr');
const haveData = existsSync(path.join(VN, 'GROUND_TRUTH.csv')) && existsSync(path.join(ALPR, 'GROUND_TRUTH.csv'));

/** Clear crops: two-row motorbike plates, one-row car plates (incl. the LD special series), a small crop. */
const CLEAR_CROPS: Array<[string, string]> = [
  ['10xemay2215.jpg', '59T159973'],
  ['12xemay970.jpg', '71B207999'],
  ['3CarLongPlate485.jpg', '60A35981'],
  ['6CarLongPlate762.jpg', '50LD04411'],
  ['ndata419.jpg', '29K114488'],
];

/** Whole-car photos with a clear plate: [file, plate, labelled box]. */
const CLEAR_CARS: Array<[string, string, [number, number, number, number]]> = [
  ['eu_test_004.jpg', 'RK115AN', [234, 181, 134, 30]],
  ['eu_test_007.jpg', 'RK828AG', [160, 179, 148, 34]],
  ['br_AYO9034.jpg', 'AYO9034', [528, 412, 162, 52]],
  ['us_car13.jpg', 'EMR7094', [692, 470, 256, 128]],
  ['us_us7.jpg', '5VCF203', [344, 210, 293, 146]],
];

describe.skipIf(!haveData)('plate models on shared images', () => {
  let ppocr: PlateReader;

  beforeAll(async () => {
    ppocr = await PlateReader.create({ threads: 2 });
  });
  afterAll(async () => {
    await releaseAllOnnxModels();
  });

  it('default reader is the Apache-2.0 path', () => {
    expect(ppocr.options.detector).toBe('ppocr');
    expect(ppocr.options.reader).toBe('ppocr');
    expect(ppocr.options.mode).toBe('vn');
  });

  it('PP-OCR reads at least 4 of 5 clear Vietnamese crops exactly, with rows and format', async () => {
    const reads = [];
    for (const [file] of CLEAR_CROPS) reads.push((await ppocr.readImage(await decodeImage(path.join(VN, file)), { crop: true }))[0]);
    const exact = reads.filter((r, i) => r?.normalized === CLEAR_CROPS[i]![1]);
    expect(exact.length).toBeGreaterThanOrEqual(4);
    const moto = reads[0]!;
    if (moto.normalized === '59T159973') expect(moto).toMatchObject({ text: '59-T1/599.73', rows: 2, valid: true });
    const car = reads[2]!;
    if (car.normalized === '60A35981') expect(car).toMatchObject({ text: '60A-359.81', rows: 1, valid: true });
    for (const r of exact) expect(r!.confidence).toBeGreaterThan(0.5);
  });

  it('accepts encoded bytes and a plate region inside a larger image', async () => {
    const bytes = await readFile(path.join(VN, '3CarLongPlate664.jpg'));
    const [r] = await ppocr.readImage(bytes, { crop: true, region: { x: 0, y: 0, w: 780, h: 165 } });
    expect(r?.normalized).toBe('51A01204');
    expect(r?.box).toEqual({ x: 0, y: 0, w: 780, h: 165 });
  });

  it('the Vietnamese character detector reads at least 3 of 5 clear crops', async () => {
    const chars = await PlateReader.create({ reader: 'vn-chars', threads: 2 });
    let exact = 0;
    for (const [file, plate] of CLEAR_CROPS) {
      const [r] = await chars.readImage(await decodeImage(path.join(VN, file)), { crop: true });
      if (r?.normalized === plate) exact++;
      expect(r?.reader).toBe('vn-chars');
    }
    expect(exact).toBeGreaterThanOrEqual(3);
  });

  it('finds and reads plates on whole-car photos (generic rules): at least 3 of 5, boxes on the plate', async () => {
    const generic = await PlateReader.create({ mode: 'generic', threads: 2 });
    let good = 0;
    for (const [file, plate, [x, y, w, h]] of CLEAR_CARS) {
      const reads = await generic.readImage(await decodeImage(path.join(ALPR, file)));
      const hit = reads.find((r) => r.normalized === plate);
      if (hit && overlapOverSmaller(hit.box, { x, y, w, h }) > 0.5) good++;
    }
    expect(good).toBeGreaterThanOrEqual(3);
  });

  it('drops separator emblems read as characters (glyph check), on whole-car photos', async () => {
    // Plates with a separator between character groups: CZ coloured dots, a US state emblem, stacked small letters.
    const cases: Array<[string, string, [number, number, number, number]]> = [
      ['eu_test_070.jpg', '2T40211', [121, 131, 104, 24]],
      ['us_wts-lg-000043.jpg', 'FB8R4T', [682, 433, 90, 45]],
      ['us_wts-lg-000118.jpg', '853FL', [827, 208, 81, 40]],
    ];
    const readOn = async (reader: PlateReader, file: string, box: [number, number, number, number]): Promise<string | undefined> => {
      const reads = await reader.readImage(await decodeImage(path.join(ALPR, file)));
      const [x, y, w, h] = box;
      return reads.find((r) => overlapOverSmaller(r.box, { x, y, w, h }) > 0.5)?.normalized;
    };
    const checked = await PlateReader.create({ mode: 'generic', threads: 2 });
    const unchecked = await PlateReader.create({ mode: 'generic', threads: 2, glyphCheck: false });
    let exact = 0;
    let longerWithout = 0;
    for (const [file, plate, box] of cases) {
      const withCheck = await readOn(checked, file, box);
      const without = await readOn(unchecked, file, box);
      if (withCheck === plate) exact++;
      if (without && without.length > plate.length) longerWithout++;
    }
    expect(exact).toBeGreaterThanOrEqual(2);
    // Without the check the extra glyphs are read as characters: the check is what removes them.
    expect(longerWithout).toBeGreaterThanOrEqual(2);
  });

  it('looks only inside a vehicle region when given one', async () => {
    const generic = await PlateReader.create({ mode: 'generic', threads: 2 });
    const img = await decodeImage(path.join(ALPR, 'us_car13.jpg'));
    // A region away from the plate (top-left corner) must not yield the plate.
    const elsewhere = await generic.readImage(img, { region: { x: 0, y: 0, w: 300, h: 200 } });
    expect(elsewhere.find((r) => r.normalized === 'EMR7094')).toBeUndefined();
    const around = await generic.readImage(img, { region: { x: 600, y: 380, w: 450, h: 300 } });
    for (const r of around) {
      expect(r.box.x).toBeGreaterThanOrEqual(600);
      expect(r.box.y).toBeGreaterThanOrEqual(380);
    }
  });

  it('the Vietnamese YOLO detector finds the plate on at least 3 of 5 whole-car photos', async () => {
    const yolo = await PlateReader.create({ detector: 'vn-yolo', mode: 'generic', threads: 2, reportInvalid: true, minScore: 0 });
    let found = 0;
    for (const [file, , [x, y, w, h]] of CLEAR_CARS) {
      const reads = await yolo.readImage(await decodeImage(path.join(ALPR, file)));
      for (const r of reads) expect(r.detector).toBe('vn-yolo');
      if (reads.some((r) => overlapOverSmaller(r.box, { x, y, w, h }) > 0.5)) found++;
    }
    expect(found).toBeGreaterThanOrEqual(3);
  });

  it('votes several reads of one plate into one', async () => {
    const img = await decodeImage(path.join(VN, '1xemay1542.jpg'));
    const reads = [];
    for (const f of [1, 0.9, 0.8]) {
      // Three "frames": the same plate at different scales.
      const w = Math.round(img.width * f);
      const h = Math.round(img.height * f);
      const { resizeTo } = await import('../models/image/letterbox.js');
      reads.push(...(await ppocr.readImage(resizeTo(img, w, h), { crop: true })));
    }
    const voted = combinePlateReads(reads)!;
    expect(voted.normalized).toBe('59T100381');
    expect(voted.text).toBe('59-T1/003.81');
  });

  it('CLI: one JSON line per input, a coded error for a missing file, exit code 1', async () => {
    const run = promisify(execFile);
    const bin = path.join(REPO, 'bin', 'ioc-vision.mjs');
    const missing = path.join(REPO, 'var', 'does-not-exist.jpg');
    let stdout: string;
    let code = 0;
    try {
      ({ stdout } = await run(process.execPath, [bin, 'plates', 'read', path.join(VN, '10xemay2215.jpg'), missing, '--crop', '--json'], { cwd: REPO, timeout: 120_000 }));
    } catch (err) {
      const e = err as { code?: number; stdout?: string };
      code = e.code ?? -1;
      stdout = e.stdout ?? '';
    }
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ file: path.join(VN, '10xemay2215.jpg'), plates: [{ text: '59-T1/599.73', normalized: '59T159973', rows: 2 }] });
    expect((lines[0]!.plates as Array<{ box: number[] }>)[0]!.box).toEqual([0, 0, 760, 560]);
    expect(lines[1]).toMatchObject({ file: missing, error: { code: 'IOCV_FILE_NOT_FOUND' } });
    expect(stdout).not.toMatch(/at .*\.ts:\d+/);
  });

  it('CLI: --no-glyph-check reads detected lines as found (the separator dots of a CZ plate become a character)', async () => {
    const run = promisify(execFile);
    const bin = path.join(REPO, 'bin', 'ioc-vision.mjs');
    const file = path.join(ALPR, 'eu_test_070.jpg');
    const plateOf = async (extra: string[]): Promise<string | undefined> => {
      const { stdout } = await run(process.execPath, [bin, 'plates', 'read', file, '--generic', '--json', ...extra], { cwd: REPO, timeout: 120_000 });
      const out = JSON.parse(stdout.trim()) as { plates: Array<{ normalized: string; box: [number, number, number, number] }> };
      return out.plates.find((p) => overlapOverSmaller({ x: p.box[0], y: p.box[1], w: p.box[2], h: p.box[3] }, { x: 121, y: 131, w: 104, h: 24 }) > 0.5)?.normalized;
    };
    expect(await plateOf([])).toBe('2T40211');
    const unchecked = await plateOf(['--no-glyph-check']);
    expect(unchecked).not.toBe('2T40211');
    expect(unchecked?.length).toBeGreaterThan(7);
  });
});

describe('plate accuracy report (bench)', () => {
  const doc = ['# Model accuracy and speed (measured)', '', 'Generated by `npm run eval` on D1.', 'Data: ../shared/data.', '', '## Licence plates', '', 'old plates', '', '## Faces: verification', '', 'faces table', ''].join('\n');

  it('replaces only the plates section, keeps the faces section and notes the re-measurement', () => {
    const out = replaceSection(doc, 'plates', '## Licence plates\n\nnew plates\n', 'by `npm run eval -- --only plates` on D2.');
    expect(out).toContain('new plates');
    expect(out).not.toContain('old plates');
    expect(out).toContain('## Faces: verification\n\nfaces table');
    expect(out.indexOf('## Licence plates')).toBeLessThan(out.indexOf('## Faces'));
    expect(out).toContain('Data: ../shared/data.\nSection "plates" re-measured by `npm run eval -- --only plates` on D2.');
    // Re-running replaces the note instead of adding another.
    const again = replaceSection(out, 'plates', '## Licence plates\n\nnewer\n', 'on D3.');
    expect(again.match(/Section "plates" re-measured/g)).toHaveLength(1);
    expect(again).toContain('on D3.');
    expect(again).toContain('faces table');
  });

  it('appends a section the report does not have yet', () => {
    const noFaces = doc.slice(0, doc.indexOf('## Faces'));
    const out = replaceSection(noFaces, 'faces', '## Faces: verification\n\nfresh\n', 'on D2.');
    expect(out).toContain('old plates');
    expect(out.trimEnd().endsWith('fresh')).toBe(true);
  });

  it('parses --combos', () => {
    expect(parseCombos('ppocr/ppocr,vn-yolo/vn-chars')).toEqual([
      ['ppocr', 'ppocr'],
      ['vn-yolo', 'vn-chars'],
    ]);
    expect(parseCombos('all')).toHaveLength(4);
    expect(() => parseCombos('ppocr/tesseract')).toThrow(/--combos/);
  });
});
