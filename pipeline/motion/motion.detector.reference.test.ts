/**
 * The optimised image helpers of the motion detector (row-major running sums, bit-packed morphology, union-find
 * labelling, one-histogram brightness shift) against plain per-pixel implementations written from their definitions,
 * on random images and masks: edges, word boundaries of the bit-packed masks (31/32/33/65 px wide), r = 0, and r
 * larger than the image.
 */
import { describe, expect, it } from 'vitest';
import { boxBlur, brightnessShift, connectedComponents, dilate, erode, labelComponents } from './motion.detector.js';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clampI = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);

/** Mean of the (2r+1)² window, coordinates clamped to the image (the edge pixel repeats), rounded. */
function refBlur(src: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return src;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) s += src[clampI(y + dy, h - 1) * w + clampI(x + dx, w - 1)]!;
      out[y * w + x] = Math.round(s / ((2 * r + 1) * (2 * r + 1)));
    }
  }
  return out;
}

/** Dilation: any set pixel in the window; erosion: every pixel of the window that is inside the image set. */
function refMorph(mask: Uint8Array, w: number, h: number, r: number, erosion: boolean): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let any = false;
      let all = true;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
          if (mask[yy * w + xx]) any = true;
          else all = false;
        }
      }
      out[y * w + x] = (erosion ? all : any) ? 1 : 0;
    }
  }
  return out;
}

/**
 * 8-connected components by flood fill, in order of their first pixel (raster order). Each component's label is the
 * smallest number of its "seeds", the pixels with no set W, NW, N or NE neighbour numbered 1, 2, … in raster order:
 * the label a two-pass union-find that keeps the smallest label as root gives.
 */
function refLabels(mask: Uint8Array, w: number, h: number) {
  const set = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && mask[y * w + x] !== 0;
  const seed = new Int32Array(w * h);
  let next = 1;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (set(x, y) && !set(x - 1, y) && !set(x - 1, y - 1) && !set(x, y - 1) && !set(x + 1, y - 1)) seed[y * w + x] = next++;
  const labels = new Int32Array(w * h);
  const components: Array<{ label: number; count: number; x0: number; y0: number; x1: number; y1: number }> = [];
  const comp = new Int32Array(w * h).fill(-1);
  for (let i = 0; i < w * h; i++) {
    if (!mask[i] || comp[i]! >= 0) continue;
    const id = components.length;
    const c = { label: Number.MAX_SAFE_INTEGER, count: 0, x0: w, y0: h, x1: -1, y1: -1 };
    const members: number[] = [];
    const stack = [i];
    comp[i] = id;
    while (stack.length) {
      const j = stack.pop()!;
      members.push(j);
      const x = j % w;
      const y = (j - x) / w;
      c.count++;
      c.x0 = Math.min(c.x0, x);
      c.x1 = Math.max(c.x1, x);
      c.y0 = Math.min(c.y0, y);
      c.y1 = Math.max(c.y1, y);
      if (seed[j]) c.label = Math.min(c.label, seed[j]);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const k = (y + dy) * w + x + dx;
          if (set(x + dx, y + dy) && comp[k]! < 0) {
            comp[k] = id;
            stack.push(k);
          }
        }
      }
    }
    for (const j of members) labels[j] = c.label;
    components.push(c);
  }
  return { labels, components };
}

/** Per band of background brightness (16 levels), the lower median of round(img − bg); thin bands borrow. */
function refShift(img: Uint8Array, bg: Float32Array, minBandFraction: number): number[] {
  const n = img.length;
  const lowerMedian = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length / 2) - 1]!;
  const diffs: number[][] = Array.from({ length: 16 }, () => []);
  for (let i = 0; i < n; i++) diffs[Math.floor(bg[i]! / 16)]!.push(Math.round(img[i]! - bg[i]!));
  const minCount = Math.max(1, minBandFraction * n);
  const ok = (b: number) => b >= 0 && b < 16 && diffs[b]!.length >= minCount;
  const global = lowerMedian(diffs.flat());
  return diffs.map((_, band) => {
    for (let dist = 0; dist < 16; dist++) {
      if (ok(band - dist)) return lowerMedian(diffs[band - dist]!);
      if (ok(band + dist)) return lowerMedian(diffs[band + dist]!);
    }
    return global;
  });
}

/** Sizes around the 32-bit words of the packed masks, a single row and column, and a 192×108 gray frame. */
const SIZES: Array<[number, number]> = [
  [1, 1],
  [1, 9],
  [9, 1],
  [5, 4],
  [31, 7],
  [32, 6],
  [33, 5],
  [65, 9],
  [192, 108],
];

function randomMask(r: () => number, n: number, density: number, values = [1]): Uint8Array {
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (r() < density) m[i] = values[Math.floor(r() * values.length)]!;
  return m;
}

describe('motion image helpers equal their reference implementations', () => {
  it('boxBlur, radius 0..3, 7, 8 and larger than the image', () => {
    const r = rng(1);
    for (const [w, h] of SIZES) {
      const img = new Uint8Array(w * h);
      for (let i = 0; i < img.length; i++) img[i] = r() < 0.1 ? (r() < 0.5 ? 0 : 255) : Math.floor(r() * 256);
      for (const rad of [0, 1, 2, 3, 7, 8, Math.max(w, h) + 3]) {
        if (w * h > 10_000 && rad > 8) continue; // the reference is O(r²) per pixel
        expect([...boxBlur(img, w, h, rad)], `${w}x${h} r=${rad}`).toEqual([...refBlur(img, w, h, rad)]);
      }
    }
    expect(boxBlur(new Uint8Array(4), 2, 2, 0)).toBeInstanceOf(Uint8Array);
  });

  it('dilate and erode, radius 0..3, 31..33 and larger than the image, any non-zero byte being set', () => {
    const r = rng(2);
    for (const [w, h] of SIZES) {
      for (const density of [0.02, 0.3, 0.7, 0.98]) {
        const mask = randomMask(r, w * h, density, [1, 1, 1, 7, 255]);
        for (const rad of [0, 1, 2, 3, 31, 32, 33, w + 1, h + 1, w + h + 40]) {
          if (w * h > 10_000 && rad > 3) continue;
          expect([...dilate(mask, w, h, rad)], `dilate ${w}x${h} d=${density} r=${rad}`).toEqual([...refMorph(mask, w, h, rad, false)]);
          expect([...erode(mask, w, h, rad)], `erode ${w}x${h} d=${density} r=${rad}`).toEqual([...refMorph(mask, w, h, rad, true)]);
        }
      }
    }
    for (const [w, h] of [[5, 4], [33, 5]] as const) {
      expect([...erode(new Uint8Array(w * h).fill(1), w, h, 2)]).toEqual(new Array<number>(w * h).fill(1));
      expect([...dilate(new Uint8Array(w * h), w, h, 2)]).toEqual(new Array<number>(w * h).fill(0));
    }
  });

  it('labelComponents: labels, components and their order', () => {
    const r = rng(3);
    for (const [w, h] of SIZES) {
      for (const density of [0.05, 0.3, 0.45, 0.6, 0.95]) {
        const mask = randomMask(r, w * h, density, [1, 3]);
        const got = labelComponents(mask, w, h);
        const ref = refLabels(mask, w, h);
        expect([...got.labels], `${w}x${h} d=${density}`).toEqual([...ref.labels]);
        expect(got.components).toEqual(ref.components);
        expect(connectedComponents(mask, w, h)).toEqual(ref.components.map(({ label: _l, ...c }) => c));
      }
    }
  });

  it('brightnessShift: per-band median, nearest populated band, frame-wide median', () => {
    const r = rng(4);
    for (const [w, h] of SIZES) {
      for (const minBandFraction of [0, 0.03, 0.2, 2]) {
        const bg = new Float32Array(w * h);
        const img = new Uint8Array(w * h);
        // Backgrounds crowded into a few bands, with fractional values (.5 included: the rounding of img − bg).
        for (let i = 0; i < bg.length; i++) {
          bg[i] = Math.min(255, Math.floor(r() * 4) * 60 + r() * 40 + (r() < 0.2 ? 0.5 : 0));
          img[i] = Math.max(0, Math.min(255, Math.round(bg[i]! + (r() - 0.3) * 60 + (r() < 0.2 ? 0.5 : 0))));
        }
        expect([...brightnessShift(img, bg, minBandFraction)], `${w}x${h} f=${minBandFraction}`).toEqual(refShift(img, bg, minBandFraction));
      }
    }
  });

  it('brightnessShift rounds img − bg like Math.round, at and beside half-integers and for tiny backgrounds', () => {
    // float32 neighbours of a value, through its bits.
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const step = (v: number, by: number) => {
      f32[0] = v;
      u32[0] = u32[0]! + by;
      return f32[0];
    };
    const bgs = [0, 1e-30, 2 ** -26, 2 ** -24, 0.25, 0.49999997, 0.5, 254.5, 255];
    for (let k = 0; k < 255; k += 17) for (const v of [k + 0.5, k + 0.25, k + 0.75]) bgs.push(v, step(v, 1), step(v, -1), step(v, 2), step(v, -2));
    for (const b of bgs) {
      const bg = new Float32Array([b]);
      for (const v of [0, 1, 2, 100, 127, 128, 200, 254, 255]) {
        // One pixel: its band's shift is its own difference, rounded (+ 0 turns Math.round's −0 into the 0 stored).
        expect(brightnessShift(new Uint8Array([v]), bg, 0)[bg[0]! >> 4], `v=${v} bg=${bg[0]}`).toBe(Math.round(v - bg[0]!) + 0);
      }
    }
  });
});
