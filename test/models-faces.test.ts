/**
 * Golden tests of the real face models (YuNet, MobileFaceNet) on a few shared photos (../shared/data/faces, read at
 * test time, never copied). The face counts and boxes were checked by eye on drawn overlays.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iou } from '../models/detect/nms.js';
import { ARCFACE_TEMPLATE_112, applySimilarity, estimateSimilarity } from '../models/faces/face-alignment.js';
import { FACE_MATCH_THRESHOLD, FaceAnalyzer, NoUsableFaceError, cosineSimilarity } from '../models/faces/face-analyzer.js';
import { decodeImage, encodePng, type RgbImage } from '../models/image/rgb-image.js';
import { releaseAllOnnxModels } from '../models/runtime/onnx-session.js';
import { REPO_ROOT, SHARED_DATA } from './support/shared-paths.js';

const FACES = path.join(SHARED_DATA, 'faces');
const haveData = existsSync(path.join(FACES, 'GROUND_TRUTH_pairs.csv'));
const photo = (f: string) => path.join(FACES, f);

describe.skipIf(!haveData)('faces on real photos', () => {
  let analyzer: FaceAnalyzer;
  const images = new Map<string, RgbImage>();
  const load = async (f: string) => {
    let img = images.get(f);
    if (!img) {
      img = await decodeImage(photo(f));
      images.set(f, img);
    }
    return img;
  };

  beforeAll(async () => {
    analyzer = await FaceAnalyzer.create({ threads: 1 });
  });
  afterAll(async () => {
    await releaseAllOnnxModels();
  });

  it('detects exactly the faces seen by eye, largest first, with landmarks inside and in face order', async () => {
    // img20: one portrait. img62: the subject plus a second, smaller face at the bottom right (looking down).
    const one = await analyzer.detect(await load('img20.jpg'));
    expect(one).toHaveLength(1);
    expect(iou(one[0]!.box, { x: 315, y: 93, w: 273, h: 396 })).toBeGreaterThan(0.7);
    const two = await analyzer.detect(await load('img62.jpg'));
    expect(two).toHaveLength(2);
    expect(iou(two[0]!.box, { x: 243, y: 86, w: 189, h: 242 })).toBeGreaterThan(0.7);
    expect(iou(two[1]!.box, { x: 548, y: 312, w: 112, h: 128 })).toBeGreaterThan(0.6);
    expect(two[0]!.box.w * two[0]!.box.h).toBeGreaterThan(two[1]!.box.w * two[1]!.box.h);
    for (const f of [...one, ...two]) {
      expect(f.score).toBeGreaterThan(0.8);
      const [e1, e2, nose, m1, m2] = f.landmarks as [any, any, any, any, any];
      // The small face is cut by the bottom edge: its box is clamped there, its mouth landmarks lie just below.
      const tol = 0.15 * f.box.h;
      for (const p of f.landmarks) {
        expect(p.x).toBeGreaterThanOrEqual(f.box.x - tol);
        expect(p.x).toBeLessThanOrEqual(f.box.x + f.box.w + tol);
        expect(p.y).toBeGreaterThanOrEqual(f.box.y - tol);
        expect(p.y).toBeLessThanOrEqual(f.box.y + f.box.h + tol);
      }
      expect(e1.x).toBeLessThan(e2.x);
      expect(m1.x).toBeLessThan(m2.x);
      expect(nose.y).toBeGreaterThan(Math.min(e1.y, e2.y));
      expect(Math.min(m1.y, m2.y)).toBeGreaterThan(Math.min(e1.y, e2.y));
    }
  });

  it('finds no face in a licence-plate photo', async () => {
    const plate = path.join(SHARED_DATA, 'plates_vn', '10xemay2215.jpg');
    if (!existsSync(plate)) return;
    expect(await analyzer.detect(await decodeImage(plate))).toHaveLength(0);
  });

  it('aligns detected landmarks onto the ArcFace template', async () => {
    const img = await load('img20.jpg');
    const [face] = await analyzer.detect(img);
    const t = estimateSimilarity(face!.landmarks, ARCFACE_TEMPLATE_112);
    // A frontal face fits the template closely (a few crop pixels at most).
    face!.landmarks.forEach((p, i) => {
      const q = applySimilarity(t, p);
      expect(Math.hypot(q.x - ARCFACE_TEMPLATE_112[i]!.x, q.y - ARCFACE_TEMPLATE_112[i]!.y)).toBeLessThan(6);
    });
    const [emb] = await analyzer.embed(img, face, { keepAligned: true });
    expect(emb!.aligned!.width).toBe(112);
    expect(emb!.embedding).toHaveLength(192);
    const norm = Math.sqrt(emb!.embedding.reduce((s, v) => s + v * v, 0));
    expect(norm).toBeCloseTo(1, 4);
  });

  it('same person scores above different people (pairs chosen across 5 identities)', async () => {
    const main = async (f: string) => (await analyzer.mainFace(await load(f), { label: f })).embedding;
    const e = Object.fromEntries(await Promise.all(['img20.jpg', 'img21.jpg', 'img16.jpg', 'img17.jpg', 'img1.jpg', 'img2.jpg', 'img24.jpg', 'img25.jpg', 'img47.jpg', 'img51.jpg'].map(async (f) => [f, await main(f)] as const)));
    const same = [
      ['img20.jpg', 'img21.jpg'],
      ['img16.jpg', 'img17.jpg'],
      ['img1.jpg', 'img2.jpg'],
      ['img24.jpg', 'img25.jpg'],
      ['img47.jpg', 'img51.jpg'],
    ].map(([a, b]) => cosineSimilarity(e[a!]!, e[b!]!));
    const different = [
      ['img20.jpg', 'img16.jpg'],
      ['img1.jpg', 'img47.jpg'],
      ['img24.jpg', 'img17.jpg'],
      ['img21.jpg', 'img2.jpg'],
      ['img25.jpg', 'img51.jpg'],
    ].map(([a, b]) => cosineSimilarity(e[a!]!, e[b!]!));
    expect(Math.min(...same)).toBeGreaterThan(Math.max(...different));
    for (const s of same) expect(s).toBeGreaterThanOrEqual(FACE_MATCH_THRESHOLD);
    for (const d of different) expect(d).toBeLessThan(FACE_MATCH_THRESHOLD);
  });

  it('batching several faces gives the same embeddings as one at a time', async () => {
    const img = await load('img62.jpg');
    const faces = await analyzer.detect(img);
    const batched = await analyzer.embed(img, faces);
    for (let i = 0; i < faces.length; i++) {
      const [single] = await analyzer.embed(img, faces[i]);
      expect(cosineSimilarity(single!.embedding, batched[i]!.embedding)).toBeGreaterThan(0.9999);
    }
  });

  it('quality falls with blur and with size, and gates matching', async () => {
    const img = await load('img20.jpg');
    const png = await encodePng(img);
    const variant = async (op: (s: Sharp) => Sharp) => {
      const { data, info } = await op(sharp(png)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const v: RgbImage = { data: new Uint8Array(data), width: info.width, height: info.height };
      const [f] = await analyzer.embed(v);
      return f!;
    };
    const sharpFace = (await analyzer.embed(img))[0]!;
    const blur3 = await variant((s) => s.blur(3));
    const blur8 = await variant((s) => s.blur(8));
    expect(sharpFace.usableForMatching).toBe(true);
    expect(sharpFace.quality).toBeGreaterThan(0.8);
    expect(blur3.qualityDetail.laplacianVariance).toBeLessThan(sharpFace.qualityDetail.laplacianVariance);
    expect(blur8.qualityDetail.laplacianVariance).toBeLessThan(blur3.qualityDetail.laplacianVariance);
    expect(blur3.quality).toBeLessThanOrEqual(sharpFace.quality);
    expect(blur8.quality).toBeLessThan(blur3.quality);
    expect(blur8.usableForMatching).toBe(false);
    // Shrink the photo until the face is ~20 px: size quality nearly gone.
    const tiny = await variant((s) => s.resize(Math.round(img.width / 14)));
    expect(tiny.qualityDetail.faceSizePx).toBeLessThan(30);
    expect(tiny.qualityDetail.size).toBeLessThan(0.35);
    expect(tiny.usableForMatching).toBe(false);
  });

  it('mainFace reports a missing face with a code', async () => {
    const blank: RgbImage = { data: new Uint8Array(320 * 240 * 3).fill(128), width: 320, height: 240 };
    await expect(analyzer.mainFace(blank)).rejects.toMatchObject({ code: 'IOCV_FACE_NOT_FOUND' });
    await expect(analyzer.mainFace(blank)).rejects.toBeInstanceOf(NoUsableFaceError);
  });

  describe('CLI', () => {
    const run = promisify(execFile);
    const bin = path.join(REPO_ROOT, 'bin', 'ioc-vision.mjs');
    let tmp: string;
    beforeAll(async () => {
      tmp = await mkdtemp(path.join(os.tmpdir(), 'iocv-faces-'));
    });
    afterAll(async () => {
      await rm(tmp, { recursive: true, force: true });
    });
    const cli = async (args: string[]) => {
      try {
        const r = await run(process.execPath, [bin, ...args], { cwd: REPO_ROOT, timeout: 120_000, env: { ...process.env, IOCV_ORT_THREADS: '1', IOCV_FACE_MATCH_THRESHOLD: '' } });
        return { code: 0, stdout: r.stdout, stderr: r.stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    };

    it('faces compare: same person and different people, JSON', async () => {
      const same = await cli(['faces', 'compare', photo('img20.jpg'), photo('img21.jpg'), '--json']);
      expect(same.code).toBe(0);
      const s = JSON.parse(same.stdout.trim()) as { similarity: number; samePerson: boolean; threshold: number };
      expect(s).toMatchObject({ samePerson: true, threshold: FACE_MATCH_THRESHOLD });
      expect(s.similarity).toBeGreaterThan(FACE_MATCH_THRESHOLD);
      const diff = await cli(['faces', 'compare', photo('img20.jpg'), photo('img16.jpg'), '--json', '--threshold', '0.5']);
      expect(JSON.parse(diff.stdout.trim())).toMatchObject({ samePerson: false, threshold: 0.5 });
    });

    it('faces embed: one line per file, 192 numbers, largest face first; a bad file is a coded error, exit 1', async () => {
      const bad = path.join(tmp, 'not-an-image.jpg');
      await writeFile(bad, 'this is not a JPEG');
      const r = await cli(['faces', 'embed', photo('img62.jpg'), bad, '--json']);
      expect(r.code).toBe(1);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
      expect(lines).toHaveLength(2);
      expect(lines[0]!.file).toBe(photo('img62.jpg'));
      expect(lines[0]!.faces).toHaveLength(2);
      expect(lines[0]!.faces[0].embedding).toHaveLength(192);
      expect(lines[0]!.faces[0].box[2]).toBeGreaterThan(lines[0]!.faces[1].box[2]);
      expect(lines[0]!.faces[0].quality).toBeGreaterThan(0);
      expect(lines[1]).toMatchObject({ file: bad, error: { code: 'IOCV_IMAGE_INVALID' } });
      expect(r.stdout + r.stderr).not.toMatch(/at .*\.ts:\d+/);
    });

    it('faces compare without a face in one image: coded error, exit 1, no stack trace', async () => {
      const blank = path.join(tmp, 'blank.png');
      await sharp({ create: { width: 200, height: 200, channels: 3, background: '#888' } }).png().toFile(blank);
      const r = await cli(['faces', 'compare', photo('img20.jpg'), blank, '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout.trim())).toMatchObject({ file: blank, error: { code: 'IOCV_FACE_NOT_FOUND' } });
      expect(r.stdout + r.stderr).not.toMatch(/at .*\.ts:\d+/);
    });
  });
});
