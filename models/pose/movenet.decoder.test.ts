import { describe, expect, it } from 'vitest';
import { COCO_KEYPOINT_NAMES, decodeMultiPose, decodeSinglePose, keypointsInBoxFraction, multiPoseInputShape, squareCropAround } from './movenet.decoder.js';

describe('squareCropAround', () => {
  it('centres a square of the long side plus margin on the box', () => {
    const c = squareCropAround({ x: 100, y: 50, w: 40, h: 100 }, 0.2);
    expect(c.w).toBe(120);
    expect(c.h).toBe(120);
    expect(c.x + c.w / 2).toBe(120);
    expect(c.y + c.h / 2).toBe(100);
  });
});

describe('decodeSinglePose', () => {
  it('maps normalised (y, x) in the crop back to image pixels', () => {
    const out = new Float32Array(51);
    out.set([0.1, 0.5, 0.9], 0); // nose: y 0.1, x 0.5
    out.set([0.75, 0.25, 0.4], 15 * 3); // left ankle
    const crop = { x: -20, y: 10, w: 200, h: 200 }; // crop partly outside the image on the left
    const kps = decodeSinglePose(out, crop);
    expect(kps).toHaveLength(17);
    expect(kps.map((k) => k.name)).toEqual([...COCO_KEYPOINT_NAMES]);
    expect(kps[0]!.name).toBe('nose');
    expect(kps[0]!.x).toBeCloseTo(-20 + 100, 4);
    expect(kps[0]!.y).toBeCloseTo(10 + 20, 4);
    expect(kps[0]!.score).toBeCloseTo(0.9, 6);
    expect(kps[15]!.x).toBeCloseTo(-20 + 50, 4);
    expect(kps[15]!.y).toBeCloseTo(10 + 150, 4);
    expect(kps[15]!.score).toBeCloseTo(0.4, 6);
  });

  it('rejects a short output', () => {
    expect(() => decodeSinglePose(new Float32Array(50), { x: 0, y: 0, w: 1, h: 1 })).toThrow(RangeError);
  });
});

describe('multi pose', () => {
  it('input shape: long side 256, short side rounded up to 32', () => {
    expect(multiPoseInputShape(768, 576)).toEqual({ tensorWidth: 256, tensorHeight: 192, scale: 256 / 768 });
    expect(multiPoseInputShape(1920, 1080)).toEqual({ tensorWidth: 256, tensorHeight: 160, scale: 256 / 1920 });
    expect(multiPoseInputShape(300, 1000).tensorWidth).toBe(96);
    expect(() => multiPoseInputShape(100, 100, 250)).toThrow(RangeError);
  });

  it('maps people back to source pixels through the padded tensor and filters by score', () => {
    const place = multiPoseInputShape(1920, 1080); // 256×160 tensor, image content 256×144
    const out = new Float32Array(6 * 56);
    // Person 0: score 0.6, box (ymin .1, xmin .2, ymax .8, xmax .4), nose at (y .2, x .3).
    out.set([0.2, 0.3, 0.95], 0);
    out.set([0.1, 0.2, 0.8, 0.4, 0.6], 51);
    // Person 1: below the threshold.
    out.set([0.1, 0.1, 0.5, 0.5, 0.1], 56 + 51);
    // Person 2: best score, box runs off the padded bottom (clamped to the image).
    out.set([0.5, 0.5, 1.0, 0.7, 0.8], 112 + 51);
    const poses = decodeMultiPose(out, place, 0.25, 1920, 1080);
    expect(poses.map((p) => p.score)).toEqual([expect.closeTo(0.8, 6), expect.closeTo(0.6, 6)]);
    const p0 = poses[1]!;
    // Tensor pixel / scale: x 0.3·256 / (256/1920) = 576; y 0.2·160 / (256/1920) = 240.
    expect(p0.keypoints[0]!.x).toBeCloseTo(576, 3);
    expect(p0.keypoints[0]!.y).toBeCloseTo(240, 3);
    expect(p0.box.x).toBeCloseTo(384, 3);
    expect(p0.box.y).toBeCloseTo(120, 3);
    expect(p0.box.w).toBeCloseTo(384, 3);
    expect(p0.box.h).toBeCloseTo(840, 3);
    expect(poses[0]!.box.y + poses[0]!.box.h).toBe(1080);
  });
});

describe('keypointsInBoxFraction', () => {
  const box = { x: 100, y: 100, w: 20, h: 100 };
  const kp = (x: number, y: number, score: number) => ({ name: 'nose' as const, x, y, score });
  it('counts confident keypoints inside the widened box', () => {
    // Margin: 3 px sideways, 15 px vertically.
    const pts = [kp(110, 150, 0.9), kp(98, 90, 0.8), kp(130, 150, 0.7), kp(50, 50, 0.1)];
    expect(keypointsInBoxFraction(pts, box)).toBeCloseTo(2 / 3, 9);
    expect(keypointsInBoxFraction([kp(0, 0, 0.1)], box)).toBe(1);
    expect(keypointsInBoxFraction([kp(0, 0, 0.9)], box)).toBe(0);
  });
});
