/**
 * Golden tests of MoveNet on a real PETS 2009 S2.L1 frame (../shared/data/people_pets09, extracted with ffmpeg at
 * test time into a temp dir). People are 70–90 px tall there; person boxes come from the MOT ground truth
 * (frame N of the labels = decoded frame N−1). Poses were checked by eye on a drawn overlay.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Box } from '../pipeline/domain.types.js';
import { iou } from '../models/detect/nms.js';
import { decodeImage, type RgbImage } from '../models/image/rgb-image.js';
import { PoseEstimator, type Pose } from '../models/pose/pose-estimator.js';
import { releaseAllOnnxModels } from '../models/runtime/onnx-session.js';
import { REPO_ROOT, SHARED_DATA } from './support/shared-paths.js';

const PETS = path.join(SHARED_DATA, 'people_pets09');
const VIDEO = path.join(PETS, 'pets09_s2l1_vtest.mp4');
const GT = path.join(PETS, 'gt_mot15_PETS09-S2L1.txt');
const haveData = existsSync(VIDEO) && existsSync(GT);
const LABEL_FRAME = 100;
const run = promisify(execFile);

/** MOT15 rows of one labelled frame: id → box. */
async function gtBoxes(frame: number): Promise<Map<number, Box>> {
  const rows = (await readFile(GT, 'utf8')).trim().split('\n').map((l) => l.split(',').map(Number));
  return new Map(rows.filter((r) => r[0] === frame).map((r) => [r[1]!, { x: r[2]!, y: r[3]!, w: r[4]!, h: r[5]! }]));
}

const kp = (p: Pose, name: string) => p.keypoints.find((k) => k.name === name)!;
const meanY = (p: Pose, names: string[]) => names.reduce((s, n) => s + kp(p, n).y, 0) / names.length;

/** Head above shoulders above hips above knees above ankles, and every confident keypoint near the person. */
function expectPlausible(p: Pose, box: Box): void {
  const head = meanY(p, ['nose', 'left_eye', 'right_eye']);
  const shoulders = meanY(p, ['left_shoulder', 'right_shoulder']);
  const hips = meanY(p, ['left_hip', 'right_hip']);
  const knees = meanY(p, ['left_knee', 'right_knee']);
  const ankles = meanY(p, ['left_ankle', 'right_ankle']);
  expect(head).toBeLessThan(shoulders);
  expect(shoulders).toBeLessThan(hips);
  expect(hips).toBeLessThan(knees);
  expect(knees).toBeLessThan(ankles);
  // The body spans most of the labelled box height.
  expect(ankles - head).toBeGreaterThan(0.6 * box.h);
  const tolX = 0.3 * box.w;
  const tolY = 0.15 * box.h;
  for (const k of p.keypoints.filter((q) => q.score >= 0.3)) {
    expect(k.x).toBeGreaterThan(box.x - tolX);
    expect(k.x).toBeLessThan(box.x + box.w + tolX);
    expect(k.y).toBeGreaterThan(box.y - tolY);
    expect(k.y).toBeLessThan(box.y + box.h + tolY);
  }
}

describe.skipIf(!haveData)('pose on a PETS09 frame', () => {
  let tmp: string;
  let frame: RgbImage;
  let boxes: Map<number, Box>;
  let estimator: PoseEstimator;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'iocv-pose-'));
    const png = path.join(tmp, `frame${LABEL_FRAME}.png`);
    await run('ffmpeg', ['-v', 'error', '-i', VIDEO, '-vf', `select=eq(n\\,${LABEL_FRAME - 1})`, '-vframes', '1', '-y', png]);
    frame = await decodeImage(png);
    boxes = await gtBoxes(LABEL_FRAME);
    estimator = await PoseEstimator.create({ threads: 1 });
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
    await releaseAllOnnxModels();
  });

  it('single pose on clear person crops: plausible skeletons in image pixels', async () => {
    expect(frame.width).toBe(768);
    // Persons 9 and 13 stand apart from others in this frame.
    for (const id of [9, 13]) {
      const box = boxes.get(id)!;
      const pose = await estimator.estimateSingle(frame, box);
      expect(pose.box).toEqual(box);
      expect(pose.keypoints.map((k) => k.name)).toHaveLength(17);
      expect(pose.score).toBeGreaterThan(0.4);
      expect(pose.inBoxFraction).toBeGreaterThan(0.9);
      expectPlausible(pose, box);
    }
  });

  it('flags a crop where the model followed a neighbour (person 15, behind a sign next to person 9)', async () => {
    // Seen on the overlay: the occluded person's crop yields person 9's skeleton, left of the labelled box.
    const pose = await estimator.estimateSingle(frame, boxes.get(15));
    expect(pose.inBoxFraction).toBeLessThan(0.5);
  });

  it('keypoints map back to the frame: the same person shifted in a larger canvas moves by the shift', async () => {
    const dx = 57;
    const dy = 23;
    const w = frame.width + 100;
    const h = frame.height + 60;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < frame.height; y++) data.set(frame.data.subarray(y * frame.width * 3, (y + 1) * frame.width * 3), ((y + dy) * w + dx) * 3);
    const box = boxes.get(9)!;
    const a = await estimator.estimateSingle(frame, box);
    const b = await estimator.estimateSingle({ data, width: w, height: h }, { ...box, x: box.x + dx, y: box.y + dy });
    a.keypoints.forEach((k, i) => {
      expect(b.keypoints[i]!.x - k.x).toBeCloseTo(dx, 3);
      expect(b.keypoints[i]!.y - k.y).toBeCloseTo(dy, 3);
      expect(b.keypoints[i]!.score).toBeCloseTo(k.score, 4);
    });
  });

  it('multi pose on the whole frame: people found match labelled people', async () => {
    // At the default 256 px these 80 px people are ~27 px tall and mostly missed; 768 px is the frame's own size.
    const big = await PoseEstimator.create({ threads: 1, multiLongSide: 768 });
    const poses = await big.estimateMulti(frame);
    expect(poses.length).toBeGreaterThanOrEqual(3);
    const gt = [...boxes.values()];
    let matched = 0;
    for (const p of poses) {
      const best = gt.reduce((m, g) => Math.max(m, iou(p.box, g)), 0);
      if (best >= 0.5) {
        matched++;
        const g = gt.find((q) => iou(p.box, q) === best)!;
        expectPlausible(p, g);
      }
    }
    expect(matched).toBeGreaterThanOrEqual(3);
    expect(matched / poses.length).toBeGreaterThanOrEqual(0.75);
  });

  it('CLI: pose --box --json gives 17 named keypoints; a missing file is a coded error', async () => {
    const png = path.join(tmp, `frame${LABEL_FRAME}.png`);
    const box = boxes.get(13)!;
    const missing = path.join(tmp, 'missing.png');
    let stdout: string;
    let code = 0;
    try {
      ({ stdout } = await run(process.execPath, [path.join(REPO_ROOT, 'bin', 'ioc-vision.mjs'), 'pose', png, missing, '--box', `${box.x},${box.y},${box.w},${box.h}`, '--json'], {
        cwd: REPO_ROOT,
        timeout: 120_000,
        env: { ...process.env, IOCV_ORT_THREADS: '1' },
      }));
    } catch (err) {
      const e = err as { code?: number; stdout?: string };
      code = e.code ?? -1;
      stdout = e.stdout ?? '';
    }
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines).toHaveLength(2);
    expect(lines[0]!.poses).toHaveLength(1);
    const keypoints = lines[0]!.poses[0].keypoints as Array<{ name: string }>;
    expect(keypoints.map((k) => k.name)).toEqual([
      'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
      'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
    ]);
    expect(lines[1]).toMatchObject({ file: missing, error: { code: 'IOCV_FILE_NOT_FOUND' } });
    expect(stdout).not.toMatch(/at .*\.ts:\d+/);
  });
});
