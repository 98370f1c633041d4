/**
 * Motion detection on real footage: bgslibrary_video.avi (overhead road, 640×360) sampled at 5 fps, the clip on which
 * the COCO detector finds almost no car. Car boxes below were located by eye on the sampled frames (index = frame
 * number at 5 fps); the checks ask only that a blob covers most of each car, so they survive parameter changes.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Box } from '../pipeline/domain.types.js';
import { decodeGraySmall } from '../pipeline/motion/gray-frame.js';
import { fuseMotion } from '../pipeline/motion/motion-fusion.js';
import { MotionDetector, type MotionBlob } from '../pipeline/motion/motion.detector.js';
import { FfmpegFrameSource } from '../pipeline/sources/ffmpeg-frame.source.js';
import { SHARED_DATA } from './support/shared-paths.js';

const CLIP = path.join(SHARED_DATA, 'traffic', 'bgslibrary_video.avi');
const FPS = 5;

/** Cars seen by eye: sampled-frame index → car boxes in 640×360 pixels. */
const CARS_BY_EYE: Record<number, Box[]> = {
  20: [
    { x: 292, y: 66, w: 124, h: 100 }, // white car, upper lane
    { x: 0, y: 203, w: 145, h: 157 }, // red car entering at the bottom left
  ],
  35: [{ x: 313, y: 69, w: 116, h: 94 }], // green car
  50: [{ x: 160, y: 43, w: 210, h: 150 }], // dark estate car
};

interface Sampled {
  index: number;
  ptsMs: number;
  width: number;
  height: number;
  blobs: MotionBlob[];
}

function coveredFraction(car: Box, b: Box): number {
  const w = Math.min(car.x + car.w, b.x + b.w) - Math.max(car.x, b.x);
  const h = Math.min(car.y + car.h, b.y + b.h) - Math.max(car.y, b.y);
  return w > 0 && h > 0 ? (w * h) / (car.w * car.h) : 0;
}

describe.skipIf(!existsSync(CLIP))('motion detector on bgslibrary_video.avi (real frames)', () => {
  const frames: Sampled[] = [];
  let md: MotionDetector;

  beforeAll(async () => {
    md = new MotionDetector();
    const src = new FfmpegFrameSource({ url: CLIP, fps: FPS });
    const ac = new AbortController();
    for await (const f of src.frames(ac.signal)) {
      const gray = await decodeGraySmall(f.jpeg, 192);
      frames.push({ index: f.index, ptsMs: f.ptsMs, width: f.width, height: f.height, blobs: md.update(gray, f.width, f.height, f.ptsMs) });
    }
  });

  it('reads the whole clip at the frame size the boxes use', () => {
    expect(frames.length).toBeGreaterThan(55);
    expect(frames[0]).toMatchObject({ width: 640, height: 360 });
  });

  it('reports no blob during the warm-up', () => {
    const warm = frames.filter((f) => f.ptsMs < md.options.warmUpMs);
    expect(warm.length).toBeGreaterThan(5);
    expect(warm.flatMap((f) => f.blobs)).toEqual([]);
  });

  it('a blob covers each car located by eye, and becomes a detection when the detector saw nothing', () => {
    for (const [index, cars] of Object.entries(CARS_BY_EYE)) {
      const f = frames.find((x) => x.index === Number(index));
      expect(f, `frame ${index}`).toBeDefined();
      for (const car of cars) {
        const best = Math.max(0, ...f!.blobs.map((b) => coveredFraction(car, b.box)));
        expect(best, `frame ${index}, car at ${car.x},${car.y}`).toBeGreaterThan(0.6);
      }
      // Without detections every kept blob becomes an object; each car is then covered by one.
      const fused = fuseMotion([], f!.blobs);
      for (const car of cars) expect(fused.some((d) => coveredFraction(car, d.box) > 0.6)).toBe(true);
    }
  });

  it('blobs are vehicle-sized, not the whole frame, and the empty road at the end is quiet', () => {
    for (const f of frames) for (const b of f.blobs) expect(b.area).toBeLessThan(0.25);
    // By eye: no vehicle on the road in the last two sampled frames (12.0 s and after).
    const tail = frames.filter((f) => f.ptsMs >= 12_000);
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.flatMap((f) => f.blobs)).toEqual([]);
  });
});
