import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ImageDecodeError,
  clampBoxToPixels,
  cropImage,
  decodeImage,
  decodeImageResized,
  encodeJpeg,
  encodePng,
  probeImageSize,
  type RgbImage,
} from './rgb-image.js';

/** 4×2 image: left half red, right half blue. */
function twoTone(): RgbImage {
  const width = 4;
  const height = 2;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(x < 2 ? [255, 0, 0] : [0, 0, 255], (y * width + x) * 3);
  }
  return { data, width, height };
}

function pixel(img: RgbImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return Array.from(img.data.subarray(i, i + 3));
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'iocv-rgb-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('decodeImage', () => {
  it('decodes PNG bytes and files to RGB', async () => {
    const png = await encodePng(twoTone());
    const img = await decodeImage(png);
    expect([img.width, img.height, img.data.length]).toEqual([4, 2, 24]);
    expect(pixel(img, 0, 0)).toEqual([255, 0, 0]);
    expect(pixel(img, 3, 1)).toEqual([0, 0, 255]);
    const file = path.join(dir, 'two.png');
    await writeFile(file, png);
    expect(pixel(await decodeImage(file), 3, 0)).toEqual([0, 0, 255]);
  });

  it('applies EXIF orientation (6 = rotate 90° clockwise)', async () => {
    const t = twoTone();
    const jpeg = await sharp(t.data, { raw: { width: 4, height: 2, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(jpeg);
    expect([img.width, img.height]).toEqual([2, 4]);
    expect(await probeImageSize(jpeg)).toEqual({ width: 2, height: 4 });
    // Rotated clockwise: the red left half becomes the top half.
    expect(pixel(img, 0, 0)[0]).toBeGreaterThan(200);
    expect(pixel(img, 1, 3)[2]).toBeGreaterThan(200);
  });

  it('expands greyscale and drops alpha', async () => {
    const grey = await sharp(Buffer.from([0, 128, 255, 64]), { raw: { width: 2, height: 2, channels: 1 } }).png().toBuffer();
    const g = await decodeImage(grey);
    expect(g.data.length).toBe(12);
    expect(pixel(g, 1, 0)).toEqual([128, 128, 128]);
    const rgba = await sharp(Buffer.from([10, 20, 30, 255, 40, 50, 60, 255]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    const c = await decodeImage(rgba);
    expect(Array.from(c.data)).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('throws ImageDecodeError with a stable code on bad bytes and missing files', async () => {
    const err = await decodeImage(Buffer.from('not an image at all')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect((err as ImageDecodeError).code).toBe('IOCV_IMAGE_INVALID');
    await expect(decodeImage(path.join(dir, 'missing.jpg'))).rejects.toMatchObject({ code: 'IOCV_IMAGE_INVALID' });
    await expect(decodeImageResized(Buffer.alloc(10), () => ({ width: 2, height: 2 }))).rejects.toBeInstanceOf(ImageDecodeError);
  });

  it('rejects a truncated JPEG instead of decoding half a frame', async () => {
    const big = { data: new Uint8Array(64 * 64 * 3).map((_, i) => (i * 37) % 256), width: 64, height: 64 };
    const jpeg = await encodeJpeg(big, 90);
    await expect(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2)))).rejects.toBeInstanceOf(ImageDecodeError);
  });
});

describe('decodeImageResized', () => {
  it('resizes while decoding and reports the source size', async () => {
    const src = { data: new Uint8Array(200 * 100 * 3).fill(90), width: 200, height: 100 };
    const jpeg = await encodeJpeg(src, 95);
    let seen: number[] = [];
    const r = await decodeImageResized(jpeg, (w, h) => {
      seen = [w, h];
      return { width: 50, height: 25 };
    });
    expect(seen).toEqual([200, 100]);
    expect([r.sourceWidth, r.sourceHeight, r.image.width, r.image.height]).toEqual([200, 100, 50, 25]);
    expect(Math.abs(r.image.data[0]! - 90)).toBeLessThanOrEqual(3);
  });
});

describe('cropImage', () => {
  it('copies the pixels under a box', () => {
    const c = cropImage(twoTone(), { x: 1, y: 0, w: 2, h: 2 });
    expect([c.width, c.height]).toEqual([2, 2]);
    expect(pixel(c, 0, 1)).toEqual([255, 0, 0]);
    expect(pixel(c, 1, 0)).toEqual([0, 0, 255]);
  });

  it('rounds outwards and clamps to the image', () => {
    expect(clampBoxToPixels({ x: 0.6, y: -3, w: 1.1, h: 100 }, 4, 2)).toEqual({ x: 0, y: 0, w: 2, h: 2 });
    const c = cropImage(twoTone(), { x: -5, y: -5, w: 100, h: 100 });
    expect([c.width, c.height]).toEqual([4, 2]);
  });

  it('never returns an empty image for a degenerate box', () => {
    const c = cropImage(twoTone(), { x: 50, y: 50, w: 0, h: 0 });
    expect([c.width, c.height]).toEqual([1, 1]);
    expect(pixel(c, 0, 0)).toEqual([0, 0, 255]);
  });
});

describe('encodeJpeg', () => {
  it('round-trips size and approximate colour', async () => {
    const src = { data: new Uint8Array(16 * 8 * 3).fill(200), width: 16, height: 8 };
    const jpeg = await encodeJpeg(src, 90);
    expect(jpeg[0]).toBe(0xff);
    expect(jpeg[1]).toBe(0xd8);
    const back = await decodeImage(jpeg);
    expect([back.width, back.height]).toEqual([16, 8]);
    expect(Math.abs(back.data[5]! - 200)).toBeLessThanOrEqual(3);
  });
});
