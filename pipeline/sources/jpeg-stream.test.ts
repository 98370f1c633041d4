import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { JpegStreamSplitter, jpegSize } from './jpeg-stream.js';

async function jpeg(w: number, h: number, v: number): Promise<Buffer> {
  return sharp({ create: { width: w, height: h, channels: 3, background: { r: v, g: 255 - v, b: v / 2 } } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

describe('JpegStreamSplitter', () => {
  it('recovers every JPEG from arbitrarily chunked concatenated input', async () => {
    const images = await Promise.all([jpeg(64, 48, 10), jpeg(32, 16, 200), jpeg(100, 20, 90)]);
    const stream = Buffer.concat(images);
    for (const chunkSize of [1, 7, 100, stream.length]) {
      const s = new JpegStreamSplitter();
      const got: Buffer[] = [];
      for (let i = 0; i < stream.length; i += chunkSize) got.push(...s.push(stream.subarray(i, i + chunkSize)));
      expect(got.map((b) => b.length)).toEqual(images.map((b) => b.length));
      expect(Buffer.compare(got[1]!, images[1])).toBe(0);
    }
  });

  it('reads the size from the SOF marker', async () => {
    expect(jpegSize(await jpeg(64, 48, 10))).toEqual({ width: 64, height: 48 });
    expect(jpegSize(await jpeg(100, 20, 1))).toEqual({ width: 100, height: 20 });
    expect(jpegSize(Buffer.from([0xff, 0xd8, 0x00, 0x00]))).toBeNull();
  });
});
