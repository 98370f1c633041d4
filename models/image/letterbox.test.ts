import { describe, expect, it } from 'vitest';
import { letterbox, letterboxGeometry, letterboxInto, resizeTo, toTensor, unletterboxBox } from './letterbox.js';
import type { RgbImage } from './rgb-image.js';

function solid(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { data, width, height };
}

/** Horizontal ramp in R, vertical ramp in G, constant B. */
function ramp(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = x;
      data[i + 1] = y;
      data[i + 2] = 7;
    }
  }
  return { data, width, height };
}

const yoloxLike = { channelOrder: 'bgr', layout: 'nchw', align: 'top-left', padValue: 114 } as const;

describe('letterboxGeometry', () => {
  it('fits a 16:9 frame into a rectangular input at the top-left', () => {
    const g = letterboxGeometry(640, 360, { width: 416, height: 256, align: 'top-left' });
    expect(g.scale).toBeCloseTo(0.65, 10);
    expect(g.contentWidth).toBe(416);
    expect(g.contentHeight).toBe(234);
    expect([g.padX, g.padY]).toEqual([0, 0]);
  });

  it('centres the content when asked', () => {
    const g = letterboxGeometry(640, 360, { width: 640, height: 640, align: 'center' });
    expect(g.scale).toBe(1);
    expect(g.contentHeight).toBe(360);
    expect(g.padX).toBe(0);
    expect(g.padY).toBe(140);
  });

  it('upscales small images and limits by the tighter side', () => {
    const g = letterboxGeometry(100, 300, { width: 320, height: 320, align: 'center' });
    expect(g.scale).toBeCloseTo(320 / 300, 10);
    expect(g.contentWidth).toBe(107);
    expect(g.padX).toBe(Math.floor((320 - 107) / 2));
  });

  it('rejects empty sizes', () => {
    expect(() => letterboxGeometry(0, 10, { width: 32, height: 32, align: 'center' })).toThrow(RangeError);
    expect(() => letterboxGeometry(10, 10, { width: 0, height: 32, align: 'center' })).toThrow(RangeError);
  });
});

describe('letterbox', () => {
  it('pads with the pad value and fills content with resized pixels (BGR planes)', () => {
    const img = solid(64, 32, [200, 100, 50]);
    const lb = letterbox(img, { ...yoloxLike, width: 32, height: 32 });
    expect(lb.tensor.length).toBe(3 * 32 * 32);
    const plane = 32 * 32;
    // content occupies rows 0..15 (top-left), pad below.
    expect([lb.tensor[0], lb.tensor[plane], lb.tensor[2 * plane]]).toEqual([50, 100, 200]);
    const below = 20 * 32 + 5;
    expect([lb.tensor[below], lb.tensor[plane + below], lb.tensor[2 * plane + below]]).toEqual([114, 114, 114]);
    expect(lb.scale).toBe(0.5);
  });

  it('normalises pad and pixels with mean/std per tensor channel', () => {
    const img = solid(4, 2, [255, 0, 127.5]);
    const lb = letterbox(img, {
      channelOrder: 'rgb', layout: 'nhwc', align: 'center', padValue: 0, width: 4, height: 4,
      mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5],
    });
    // Rows 1..2 hold content (centred), rows 0 and 3 padding.
    expect(Array.from(lb.tensor.slice(0, 3))).toEqual([-1, -1, -1]);
    const row1 = 1 * 4 * 3;
    expect(lb.tensor[row1]).toBeCloseTo(1, 6);
    expect(lb.tensor[row1 + 1]).toBeCloseTo(-1, 6);
    expect(lb.tensor[row1 + 2]).toBeCloseTo(0, 2);
  });

  it('samples pixel centres: a 2× downscale of a ramp averages neighbours', () => {
    const lb = letterbox(ramp(8, 8), { channelOrder: 'rgb', layout: 'nchw', align: 'top-left', padValue: 0, width: 4, height: 4 });
    // Output x=0 ↔ source x=0.5 → R = 0.5; x=3 ↔ 6.5.
    expect(lb.tensor[0]).toBeCloseTo(0.5, 5);
    expect(lb.tensor[3]).toBeCloseTo(6.5, 5);
    // G plane: y=2 ↔ 4.5.
    expect(lb.tensor[16 + 2 * 4]).toBeCloseTo(4.5, 5);
  });

  it('letterboxInto copies an already-resized image exactly and keeps the source scale', () => {
    const g = letterboxGeometry(100, 50, { width: 64, height: 64, align: 'top-left' });
    const resized = ramp(g.contentWidth, g.contentHeight);
    const lb = letterboxInto(resized, g, { ...yoloxLike, width: 64, height: 64 });
    expect(lb.scale).toBeCloseTo(0.64, 10);
    const plane = 64 * 64;
    // R lands in the last (B,G,R) plane.
    expect(lb.tensor[2 * plane + 5 * 64 + 17]).toBe(17);
    expect(lb.tensor[plane + 5 * 64 + 17]).toBe(5);
    expect(lb.tensor[40 * 64]).toBe(114);
  });

  it('reuses a caller-supplied tensor and checks its length', () => {
    const buf = new Float32Array(3 * 32 * 32);
    const lb = letterbox(solid(10, 10, [1, 2, 3]), { ...yoloxLike, width: 32, height: 32 });
    expect(lb.tensor).not.toBe(buf);
    const g = letterboxGeometry(10, 10, { width: 32, height: 32, align: 'top-left' });
    expect(letterboxInto(solid(10, 10, [1, 2, 3]), g, { ...yoloxLike, width: 32, height: 32 }, buf).tensor).toBe(buf);
    expect(() => letterboxInto(solid(10, 10, [1, 2, 3]), g, { ...yoloxLike, width: 32, height: 32 }, new Float32Array(5))).toThrow(RangeError);
  });
});

describe('unletterboxBox', () => {
  it('round-trips a box through letterbox coordinates (top-left and centred)', () => {
    for (const align of ['top-left', 'center'] as const) {
      const g = letterboxGeometry(1920, 1080, { width: 640, height: 640, align });
      const src = { x: 100, y: 200, w: 300, h: 150 };
      const inTensor = { x: src.x * g.scale + g.padX, y: src.y * g.scale + g.padY, w: src.w * g.scale, h: src.h * g.scale };
      const back = unletterboxBox(inTensor, g, 1920, 1080);
      expect(back.x).toBeCloseTo(src.x, 6);
      expect(back.y).toBeCloseTo(src.y, 6);
      expect(back.w).toBeCloseTo(src.w, 6);
      expect(back.h).toBeCloseTo(src.h, 6);
    }
  });

  it('clamps boxes that reach into the padding or outside the image', () => {
    const lb = { scale: 0.5, padX: 0, padY: 20 };
    const b = unletterboxBox({ x: -10, y: 0, w: 400, h: 300 }, lb, 640, 360);
    expect(b).toEqual({ x: 0, y: 0, w: 640, h: 360 });
  });
});

describe('toTensor', () => {
  const img: RgbImage = { data: Uint8Array.from([10, 20, 30, 40, 50, 60]), width: 2, height: 1 };

  it('lays out NCHW planes in BGR order', () => {
    expect(Array.from(toTensor(img, { channelOrder: 'bgr', layout: 'nchw' }))).toEqual([30, 60, 20, 50, 10, 40]);
  });

  it('lays out NCHW planes in RGB order', () => {
    expect(Array.from(toTensor(img, { channelOrder: 'rgb', layout: 'nchw' }))).toEqual([10, 40, 20, 50, 30, 60]);
  });

  it('interleaves NHWC in RGB and BGR order', () => {
    expect(Array.from(toTensor(img, { channelOrder: 'rgb', layout: 'nhwc' }))).toEqual([10, 20, 30, 40, 50, 60]);
    expect(Array.from(toTensor(img, { channelOrder: 'bgr', layout: 'nhwc' }))).toEqual([30, 20, 10, 60, 50, 40]);
  });

  it('applies (v - mean) / std per tensor channel', () => {
    const t = toTensor(img, { channelOrder: 'bgr', layout: 'nhwc', mean: [30, 0, 10], std: [2, 1, 10] });
    expect(Array.from(t)).toEqual([0, 20, 0, 15, 50, 3]);
  });
});

describe('resizeTo', () => {
  it('keeps a solid colour solid and hits the requested size', () => {
    const r = resizeTo(solid(17, 9, [12, 34, 56]), 40, 3);
    expect([r.width, r.height, r.data.length]).toEqual([40, 3, 360]);
    for (let i = 0; i < r.data.length; i += 3) expect([r.data[i], r.data[i + 1], r.data[i + 2]]).toEqual([12, 34, 56]);
  });

  it('interpolates linearly when upscaling a ramp', () => {
    const r = resizeTo(ramp(4, 1), 8, 1);
    // Output x ↔ source (x + 0.5)/2 - 0.5, clamped: 0, 0.25, 0.75, 1.25, ...
    expect(Array.from({ length: 8 }, (_, x) => r.data[x * 3])).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });

  it('rejects images whose buffer does not hold width × height × 3 bytes (e.g. RGBA)', () => {
    const rgba = { data: new Uint8Array(2 * 2 * 4), width: 2, height: 2 };
    expect(() => resizeTo(rgba, 4, 4)).toThrow(/needs 12 bytes, has 16/);
    expect(() => toTensor(rgba, { channelOrder: 'rgb', layout: 'nchw' })).toThrow(RangeError);
  });

  it('rejects an empty target', () => {
    expect(() => resizeTo(solid(2, 2, [0, 0, 0]), 0, 2)).toThrow(RangeError);
  });
});
