import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeGraySmall, grayImage } from './gray-frame.js';

/** A 1280×720 JPEG: left half dark red, right half light gray. */
async function testJpeg(): Promise<Buffer> {
  const w = 1280;
  const h = 720;
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      if (x < w / 2) rgb.set([150, 20, 20], o);
      else rgb.set([200, 200, 200], o);
    }
  }
  return sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

describe('decodeGraySmall', () => {
  it('decodes a JPEG to a small single-channel image with the aspect ratio kept', async () => {
    const g = await decodeGraySmall(await testJpeg(), 192);
    expect(g.width).toBe(192);
    expect(g.height).toBe(108);
    expect(g.data).toBeInstanceOf(Uint8Array);
    expect(g.data.length).toBe(192 * 108);
    const left = g.data[54 * 192 + 40]!;
    const right = g.data[54 * 192 + 150]!;
    // Luma of (150,20,20) ≈ 58 and of (200,200,200) = 200.
    expect(left).toBeGreaterThan(40);
    expect(left).toBeLessThan(80);
    expect(Math.abs(right - 200)).toBeLessThan(6);
  });

  it('does not enlarge small frames and rejects a silly width', async () => {
    const small = await sharp({ create: { width: 100, height: 50, channels: 3, background: '#808080' } }).jpeg().toBuffer();
    const g = await decodeGraySmall(small, 192);
    expect([g.width, g.height]).toEqual([100, 50]);
    await expect(decodeGraySmall(small, 0)).rejects.toThrow(RangeError);
  });

  it('grayImage checks the buffer size', () => {
    expect(grayImage(new Uint8Array(6), 3, 2).width).toBe(3);
    expect(() => grayImage(new Uint8Array(5), 3, 2)).toThrow(RangeError);
  });
});
