import { describe, expect, it } from 'vitest';
import type { Box } from '../domain.types.js';
import { iou } from '../geometry/box.geometry.js';
import type { GrayImage } from './gray-frame.js';
import { boxBlur, connectedComponents, dilate, erode, MotionDetector, type MotionBlob } from './motion.detector.js';

const W = 160;
const H = 90;
/** Full frame the blobs are scaled to (720p: 8× the gray frame). */
const FW = 1280;
const FH = 720;
const STEP_MS = 200; // 5 fps

/** Deterministic PRNG (mulberry32) so that the tests are repeatable. */
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

/** A textured static scene (asphalt-like) with gray levels 60..140. */
function scene(seed = 1): Float32Array {
  const r = rng(seed);
  const s = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) s[y * W + x] = 80 + 30 * Math.sin(x / 9) * Math.cos(y / 7) + 20 * r();
  return s;
}

interface Square {
  x: number;
  y: number;
  size: number;
  value: number;
}

/** One frame: the scene through `transfer` (light changes), plus sensor noise (± noiseAmp), plus squares. */
function frame(base: Float32Array, r: () => number, opts: { squares?: Square[]; noiseAmp?: number; transfer?: (v: number) => number } = {}): GrayImage {
  const data = new Uint8Array(W * H);
  const amp = opts.noiseAmp ?? 2;
  const tf = opts.transfer ?? ((v: number) => v);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(tf(base[i]!) + (r() * 2 - 1) * amp)));
  for (const q of opts.squares ?? []) {
    for (let y = q.y; y < q.y + q.size; y++) {
      for (let x = q.x; x < q.x + q.size; x++) {
        if (x >= 0 && x < W && y >= 0 && y < H) data[y * W + x] = Math.max(0, Math.min(255, Math.round(tf(q.value) + (r() * 2 - 1) * amp)));
      }
    }
  }
  return { data, width: W, height: H };
}

/** The square's box in full-frame pixels. */
function fullBox(q: Square): Box {
  return { x: (q.x * FW) / W, y: (q.y * FH) / H, w: (q.size * FW) / W, h: (q.size * FH) / H };
}

function warmUp(md: MotionDetector, base: Float32Array, r: () => number, frames: number): { t: number; blobs: MotionBlob[][] } {
  const blobs: MotionBlob[][] = [];
  let t = 0;
  for (let i = 0; i < frames; i++, t += STEP_MS) blobs.push(md.update(frame(base, r), FW, FH, t));
  return { t, blobs };
}

describe('MotionDetector', () => {
  it('reports nothing while warming up, then one blob where a square moves, in full-frame pixels', () => {
    const base = scene();
    const r = rng(7);
    const md = new MotionDetector();
    const perFrame: MotionBlob[][] = [];
    let t = 0;
    // The square already moves during warm-up: the median start must not leave a ghost at its early positions.
    for (let i = 0; i < 40; i++, t += STEP_MS) {
      const q: Square = { x: 5 + 3 * i, y: 40, size: 12, value: 200 };
      const blobs = md.update(frame(base, r, { squares: [q] }), FW, FH, t);
      perFrame.push(blobs);
      if (t >= md.options.warmUpMs + STEP_MS) {
        expect(blobs).toHaveLength(1);
        const b = blobs[0]!;
        expect(iou(b.box, fullBox(q))).toBeGreaterThan(0.6);
        expect(b.area).toBeCloseTo((12 * 12) / (W * H), 2);
        expect(b.fill).toBeGreaterThan(0.8);
      }
    }
    const warm = perFrame.slice(0, Math.floor(md.options.warmUpMs / STEP_MS));
    expect(warm.every((b) => b.length === 0)).toBe(true);
    expect(md.diagnostics().state).toBe('running');
  });

  it('sees nothing in sensor noise alone', () => {
    const base = scene(2);
    const r = rng(3);
    const md = new MotionDetector();
    let total = 0;
    for (let i = 0, t = 0; i < 150; i++, t += STEP_MS) total += md.update(frame(base, r, { noiseAmp: 6 }), FW, FH, t).length;
    expect(total).toBe(0);
  });

  it('absorbs a global brightness step and a gain change without blobs, yet still sees a moving object', () => {
    const base = scene(4);
    const r = rng(5);
    const md = new MotionDetector();
    let { t } = warmUp(md, base, r, 15);
    // Auto-exposure step: +35 gray levels everywhere.
    for (let i = 0; i < 3; i++, t += STEP_MS) expect(md.update(frame(base, r, { transfer: (v) => v + 35 }), FW, FH, t)).toEqual([]);
    // Gain ×1.4 (bright pixels move more than dark ones).
    for (let i = 0; i < 3; i++, t += STEP_MS) expect(md.update(frame(base, r, { transfer: (v) => v * 1.4 }), FW, FH, t)).toEqual([]);
    expect(md.diagnostics().reinitCount).toBe(0);
    const q: Square = { x: 70, y: 30, size: 14, value: 20 };
    const blobs = md.update(frame(base, r, { transfer: (v) => v * 1.4, squares: [q] }), FW, FH, t);
    expect(blobs).toHaveLength(1);
    expect(iou(blobs[0]!.box, fullBox(q))).toBeGreaterThan(0.6);
  });

  it('re-initialises instead of reporting a giant blob when the whole scene changes (camera moved)', () => {
    const md = new MotionDetector();
    const r = rng(6);
    let { t } = warmUp(md, scene(8), r, 15);
    const other = scene(9).map((v, i) => (i % W < W / 2 ? 255 - v : v)); // a different view: no monotonic transfer
    const after: MotionBlob[][] = [];
    for (let i = 0; i < 5; i++, t += STEP_MS) after.push(md.update(frame(other, r), FW, FH, t));
    expect(after.flat()).toEqual([]);
    expect(md.diagnostics().reinitCount).toBe(1);
    // Once warmed up again on the new view, it is quiet there, and motion on it is found.
    for (let i = 0; i < 15; i++, t += STEP_MS) expect(md.update(frame(other, r), FW, FH, t)).toEqual([]);
    const q: Square = { x: 100, y: 60, size: 12, value: 250 };
    expect(md.update(frame(other, r, { squares: [q] }), FW, FH, t)).toHaveLength(1);
  });

  it('keeps a stopped object for a while, then fades it into the background after the configured time', () => {
    const stationaryTauS = 10;
    const md = new MotionDetector({ stationaryTauS });
    const base = scene(10);
    const r = rng(11);
    let { t } = warmUp(md, base, r, 15);
    const q: Square = { x: 60, y: 30, size: 14, value: 220 };
    const seenAt = (s: number) => {
      const until = t + s * 1000;
      let last: MotionBlob[] = [];
      for (; t < until; t += STEP_MS) last = md.update(frame(base, r, { squares: [q] }), FW, FH, t);
      return last;
    };
    // 0.3 τ after it stopped it is still there...
    const early = seenAt(0.3 * stationaryTauS);
    expect(early).toHaveLength(1);
    expect(iou(early[0]!.box, fullBox(q))).toBeGreaterThan(0.6);
    // ...and after 5 τ it is background.
    expect(seenAt(4.7 * stationaryTauS)).toEqual([]);
  });

  it('absorbs the ghost an object leaves when it departs after being part of the background', () => {
    const base = scene(20);
    const parked: Square = { x: 60, y: 30, size: 16, value: 230 };
    const run = (ghostEdgeRatio: number) => {
      const md = new MotionDetector({ ghostEdgeRatio });
      const r = rng(21);
      let t = 0;
      // Parked through the warm-up: it is background.
      for (let i = 0; i < 15; i++, t += STEP_MS) md.update(frame(base, r, { squares: [parked] }), FW, FH, t);
      const after: MotionBlob[][] = [];
      for (let i = 0; i < 5; i++, t += STEP_MS) after.push(md.update(frame(base, r), FW, FH, t));
      return { after, ghosts: md.diagnostics().ghostCount };
    };
    const withTest = run(0.5);
    expect(withTest.after.flat()).toEqual([]);
    expect(withTest.ghosts).toBeGreaterThan(0);
    // The test is what removes it: without it the empty place is reported where the object was.
    const without = run(0);
    expect(without.after[0]).toHaveLength(1);
    expect(iou(without.after[0]![0]!.box, fullBox(parked))).toBeGreaterThan(0.6);
  });

  it('learns that a region always flickers (leaves in wind) and stops reporting it, but still sees objects', () => {
    const md = new MotionDetector();
    const base = scene(22);
    const r = rng(23);
    const tree = { x0: 10, y0: 10, x1: 40, y1: 40 };
    const windy = (squares: Square[] = []) => {
      const f = frame(base, r, { squares });
      // Leaves move in patches: one random offset per 5×5 block, new every frame.
      for (let by = tree.y0; by < tree.y1; by += 5) {
        for (let bx = tree.x0; bx < tree.x1; bx += 5) {
          const off = (r() * 2 - 1) * 40;
          for (let y = by; y < by + 5; y++) for (let x = bx; x < bx + 5; x++) f.data[y * W + x] = Math.max(0, Math.min(255, Math.round(base[y * W + x]! + off)));
        }
      }
      return f;
    };
    let t = 0;
    const early: MotionBlob[][] = [];
    for (let i = 0; i < 25; i++, t += STEP_MS) early.push(md.update(windy(), FW, FH, t));
    expect(early.some((b) => b.length > 0)).toBe(true); // at first the flicker is motion
    for (; t < 120_000; t += STEP_MS) md.update(windy(), FW, FH, t);
    const late: MotionBlob[][] = [];
    for (let i = 0; i < 25; i++, t += STEP_MS) late.push(md.update(windy(), FW, FH, t));
    expect(late.flat()).toEqual([]);
    const q: Square = { x: 100, y: 50, size: 12, value: 240 };
    const seen = md.update(windy([q]), FW, FH, t);
    expect(seen).toHaveLength(1);
    expect(iou(seen[0]!.box, fullBox(q))).toBeGreaterThan(0.6);
  });

  it('restarts after a long gap in time, and on a frame size change', () => {
    const md = new MotionDetector({ maxGapMs: 5000 });
    const base = scene(12);
    const r = rng(13);
    let { t } = warmUp(md, base, r, 15);
    expect(md.diagnostics().state).toBe('running');
    t += 6000;
    const q: Square = { x: 20, y: 20, size: 12, value: 230 };
    expect(md.update(frame(base, r, { squares: [q] }), FW, FH, t)).toEqual([]);
    expect(md.diagnostics().state).toBe('reinitialised');
    const small: GrayImage = { data: new Uint8Array(80 * 45), width: 80, height: 45 };
    expect(md.update(small, FW, FH, t + STEP_MS)).toEqual([]);
    expect(md.diagnostics().state).toBe('reinitialised');
  });

  it('ignores motion inside ignoreRegions (e.g. a burned-in clock)', () => {
    const md = new MotionDetector({ ignoreRegions: [{ x: 0, y: 0, w: 0.3, h: 0.2 }] });
    const base = scene(14);
    const r = rng(15);
    let { t } = warmUp(md, base, r, 15);
    const inMask: Square = { x: 5, y: 2, size: 12, value: 250 };
    const outside: Square = { x: 100, y: 50, size: 12, value: 250 };
    for (let i = 0; i < 3; i++, t += STEP_MS) {
      const blobs = md.update(frame(base, r, { squares: [{ ...inMask, x: inMask.x + 2 * i }, outside] }), FW, FH, t);
      expect(blobs).toHaveLength(1);
      expect(iou(blobs[0]!.box, fullBox(outside))).toBeGreaterThan(0.6);
    }
  });

  it('drops blobs smaller than minAreaFraction and joins the parts of one object (closing)', () => {
    // 2×2 gray pixels become ≈ 4×4 after the blur: 16 px, below 0.004 × 160 × 90 = 58 px.
    const md = new MotionDetector({ minAreaFraction: 0.004 });
    const base = scene(16);
    const r = rng(17);
    const { t } = warmUp(md, base, r, 15);
    // A 2×2 speck, and one object made of two 10×10 halves with a 2 px seam of background colour between them.
    const data = frame(base, r).data;
    const set = (x0: number, y0: number, w: number, h: number, v: number) => {
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) data[y * W + x] = v;
    };
    set(10, 10, 2, 2, 255);
    set(80, 40, 10, 10, 240);
    set(92, 40, 10, 10, 240);
    const blobs = md.update({ data, width: W, height: H }, FW, FH, t);
    expect(blobs).toHaveLength(1);
    expect(iou(blobs[0]!.box, fullBox({ x: 80, y: 40, size: 22, value: 0 }))).toBeGreaterThan(0.35);
    expect(blobs[0]!.box.w).toBeGreaterThan((18 * FW) / W);
  });
});

describe('image helpers', () => {
  it('boxBlur keeps a flat image flat and averages a step', () => {
    const flat = new Uint8Array(25).fill(77);
    expect([...boxBlur(flat, 5, 5, 1)]).toEqual([...flat]);
    const step = new Uint8Array(9);
    step[4] = 90;
    expect(boxBlur(step, 3, 3, 1)[4]).toBe(10);
  });

  it('dilate/erode grow and shrink a square, erode keeps objects touching the border', () => {
    const w = 9;
    const m = new Uint8Array(w * w);
    m[4 * w + 4] = 1;
    const d = dilate(m, w, w, 1);
    expect(d.reduce((a, b) => a + b, 0)).toBe(9);
    expect([...erode(d, w, w, 1)]).toEqual([...m]);
    const border = new Uint8Array(w * w);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) border[y * w + x] = 1;
    expect(erode(border, w, w, 1)[0]).toBe(1);
  });

  it('connectedComponents finds 8-connected regions with their boxes', () => {
    const w = 6;
    const h = 4;
    // Two diagonal pixels (one component with 8-connectivity) and a separate bar.
    const m = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const comps = connectedComponents(m, w, h).sort((a, b) => a.x0 - b.x0);
    expect(comps).toEqual([
      { count: 2, x0: 0, y0: 0, x1: 1, y1: 1 },
      { count: 2, x0: 4, y0: 1, x1: 5, y1: 1 },
    ]);
    // A U shape: the two arms meet only at the bottom (labels merged by union-find).
    const u = new Uint8Array([1, 0, 1, 1, 0, 1, 1, 1, 1]);
    expect(connectedComponents(u, 3, 3)).toHaveLength(1);
  });
});
