import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../image/rgb-image.js';
import { decodeSinglePose, decodeMultiPose, multiPoseInputShape, squareCropAround } from './movenet.decoder.js';
import { MOVENET_SINGLE_INPUT, cropSquare, scaleInto } from './pose-estimator.js';

/** A black image with one white square of side `s` whose top-left pixel is (x, y). */
function dot(w: number, h: number, x: number, y: number, s: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let yy = y; yy < y + s; yy++) for (let xx = x; xx < x + s; xx++) data.fill(255, (yy * w + xx) * 3, (yy * w + xx) * 3 + 3);
  return { data, width: w, height: h };
}

/** Brightness-weighted centroid in continuous coordinates (pixel i covers [i, i+1)). */
function centroid(img: RgbImage): { x: number; y: number } {
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const v = img.data[(y * img.width + x) * 3]!;
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
      n += v;
    }
  }
  return { x: sx / n, y: sy / n };
}

describe('pose input geometry (no model)', () => {
  it('a point seen in the square crop maps back to where it is in the image', () => {
    // A 6×6 white square centred at (106, 83) in a 400×300 image; a person box around it.
    const img = dot(400, 300, 103, 80, 6);
    const crop = squareCropAround({ x: 80, y: 40, w: 50, h: 120 }, 0.25);
    const input = cropSquare(img, crop, MOVENET_SINGLE_INPUT);
    expect(input.width).toBe(MOVENET_SINGLE_INPUT);
    const c = centroid(input);
    // Pretend the model put the nose exactly there: normalised (y, x) in the crop.
    const out = new Float32Array(51);
    out.set([c.y / MOVENET_SINGLE_INPUT, c.x / MOVENET_SINGLE_INPUT, 1], 0);
    const nose = decodeSinglePose(out, crop)[0]!;
    expect(nose.x).toBeCloseTo(106, 0);
    expect(nose.y).toBeCloseTo(83, 0);
  });

  it('crops reaching outside the image are padded black', () => {
    const img: RgbImage = { data: new Uint8Array(100 * 100 * 3).fill(200), width: 100, height: 100 };
    const input = cropSquare(img, { x: -100, y: 0, w: 200, h: 200 }, 100);
    // Left half of the crop lies left of the image; bottom half below it.
    expect(input.data[(10 * 100 + 10) * 3]).toBe(0);
    expect(input.data[(25 * 100 + 75) * 3]).toBe(200);
    expect(input.data[(75 * 100 + 75) * 3]).toBe(0);
  });

  it('multi-pose: a point in the scaled frame maps back through decodeMultiPose', () => {
    const img = dot(1280, 720, 637, 357, 6); // centred at (640, 360)
    const place = multiPoseInputShape(img.width, img.height, 256);
    const input = scaleInto(img, place.scale, place.tensorWidth, place.tensorHeight);
    expect([input.width, input.height]).toEqual([256, 160]);
    // Rows below the scaled content (144 px) are padding.
    expect(input.data[(150 * 256 + 128) * 3]).toBe(0);
    const c = centroid(input);
    const out = new Float32Array(56);
    out.set([c.y / place.tensorHeight, c.x / place.tensorWidth, 1], 0);
    out.set([0, 0, 1, 1, 0.9], 51);
    const [pose] = decodeMultiPose(out, place, 0.5, img.width, img.height);
    expect(pose!.keypoints[0]!.x).toBeCloseTo(640, -0.5);
    expect(pose!.keypoints[0]!.y).toBeCloseTo(360, -0.5);
    expect(pose!.box).toEqual({ x: 0, y: 0, w: 1280, h: 720 });
  });
});
