/**
 * Motion detection for fixed cameras, used to assist the object detector (classic CCTV analytics, and what Frigate
 * does with a small grayscale frame per camera). The COCO detector barely knows vehicles seen from straight above
 * (high pole cameras looking steeply down); anything that moves is still found here, and
 * {@link ../motion-fusion.ts} turns the moving blobs nothing explains into `unknown` objects.
 *
 * Per frame (small gray image, e.g. 192 px wide):
 * 1. box blur (JPEG block noise, sensor noise);
 * 2. warm-up: the first `warmUpMs` of frames are collected and the background starts as their per-pixel MEDIAN, so
 *    an object moving during warm-up leaves no ghost (a plain first-frame or running-average start would burn it in);
 * 3. difference to the background minus the frame's median difference for pixels of that background brightness
 *    (16 bands): a global light change (auto-exposure, gain, a cloud over the whole scene) moves all pixels of one
 *    brightness alike and cancels out, whatever its curve;
 * 4. per-pixel threshold `max(minDiff, noiseFactor × noise)`, `noise` being a running mean absolute deviation of
 *    background pixels, so that pixels that always flicker (leaves, water, rain on the lens) need more to fire;
 * 5. global-change guard: when more than `globalChangeFraction` of the frame still differs (camera moved or
 *    re-aimed, lights switched, exposure change the offset cannot absorb) the model restarts its warm-up instead of
 *    reporting one giant blob; a gap in time longer than `maxGapMs` restarts it too (the scene may have changed);
 * 6. selective, TIME-based running average (frame rates vary from 1 to 25 fps): background pixels follow the scene
 *    with time constant `backgroundTauS`; foreground pixels are learned with the much longer `stationaryTauS`, so a
 *    moving object leaves no trail and a car waiting at a red light stays foreground for about
 *    `stationaryTauS × ln(contrast / threshold)` (≈ 40 s for a car 4× above the threshold with the 30 s default)
 *    before it becomes background;
 * 7. morphological opening (removes speckle) then closing (joins the parts of one vehicle: roof, windows, bonnet
 *    differ from the road by different amounts), 8-connected components, area filter;
 * 8. ghosts: a foreground pixel that matches again the background it had before it became foreground is taken back
 *    at once (a person who stood for a while, partly learned, then left); a blob whose outline is in the background
 *    image but not in the current frame is where an object WAS (a car parked since before the warm-up that left):
 *    it is absorbed at once;
 * 9. boxes scaled back to full-frame pixels.
 *
 * Known limits: moving cast shadows and headlight beams are part of the blob (they move with the vehicle);
 * vehicles touching each other form one blob; leaves in wind produce blobs until their noise is learned (tens of
 * seconds with `noiseTauS` 20 s; the unit test checks a flickering patch is quiet after 2 min); a slowly drifting or
 * zooming camera leaves small blobs on strong edges (road markings) — use `ignoreRegions` for burned-in text.
 */
import type { Box } from '../domain.types.js';
import type { GrayImage } from './gray-frame.js';

/** One connected moving region of a frame. */
export interface MotionBlob {
  /** Bounding box in FULL-FRAME pixels (the frame size given to {@link MotionDetector.update}). */
  box: Box;
  /** Foreground pixels of the blob as a fraction of the whole frame, 0..1. */
  area: number;
  /** Foreground fraction inside the box, 0..1 (a solid rectangle is 1). */
  fill: number;
}

export interface MotionDetectorOptions {
  /** Box-blur radius applied to the gray frame, pixels of the gray frame; 0 disables. @default 1 (3×3) */
  blurRadiusPx?: number;
  /**
   * Warm-up: frames of this first period (and after every re-initialisation) build the background and report no
   * blobs, ms. @default 2000
   */
  warmUpMs?: number;
  /** Warm-up lasts at least this many frames whatever the time (a median needs a few samples). @default 3 */
  minWarmUpFrames?: number;
  /** Most frames kept for the warm-up median (the latest ones). @default 15 */
  maxWarmUpFrames?: number;
  /** Time constant with which background pixels follow slow scene changes (light, shadows), s. @default 6 */
  backgroundTauS?: number;
  /**
   * Time constant with which FOREGROUND pixels are learned into the background, s: how slowly a stopped object
   * fades (it stays a blob for about `stationaryTauS × ln(contrast / threshold)`). @default 30
   */
  stationaryTauS?: number;
  /** Time constant of the per-pixel noise estimate (mean absolute deviation of background pixels), s. @default 20 */
  noiseTauS?: number;
  /** Smallest difference to the background that counts as motion, gray levels (0..255). @default 12 */
  minDiff?: number;
  /** A pixel moves when its difference exceeds this many times its noise (mean absolute deviation). @default 4 */
  noiseFactor?: number;
  /** Floor of the per-pixel noise estimate, gray levels. @default 1.5 */
  minNoise?: number;
  /** Fraction of the frame that may differ at once before the model re-initialises instead of reporting. @default 0.5 */
  globalChangeFraction?: number;
  /**
   * Brightness-transfer compensation: a band of background brightness (16 gray levels) needs this fraction of the
   * frame for its own median shift; thinner bands borrow the nearest band's. Not less: a band held mostly by one
   * object of the background (a parked white van) would follow that object's own change. @default 0.03
   */
  minBandFraction?: number;
  /** A gap between two frames longer than this re-initialises the model, ms. @default 10000 */
  maxGapMs?: number;
  /**
   * Regions where motion is ignored, as boxes normalised to 0..1 of the frame (burned-in timestamps and OSD text,
   * a flag, a tree that always moves), like Frigate's motion masks. @default [] (none)
   */
  ignoreRegions?: readonly Box[];
  /** Opening radius (speckle removal), pixels of the gray frame; 0 disables. @default 1 */
  openRadiusPx?: number;
  /**
   * Closing radius (joins parts of one object), as a fraction of the gray frame's width; scale-free so that 160 px
   * and 320 px gray frames behave alike. @default 0.012 (2 px at 192 px)
   */
  closeRadiusFraction?: number;
  /** Smallest blob kept, foreground pixels as a fraction of the frame. @default 0.0008 (≈ 27×27 px in 1280×720) */
  minAreaFraction?: number;
  /**
   * Ghost test: a blob whose contour shows less than this fraction of the edge strength in the current frame than
   * in the background is a ghost (an object left), absorbed into the background at once; 0 disables. @default 0.5
   */
  ghostEdgeRatio?: number;
  /** Largest blob kept, as a fraction of the frame (a bus or two cars passing close to the camera can fill 30–40 %; bigger is lighting). @default 0.5 */
  maxAreaFraction?: number;
}

type Resolved = Required<MotionDetectorOptions>;

const DEFAULTS: Resolved = {
  blurRadiusPx: 1,
  warmUpMs: 2000,
  minWarmUpFrames: 3,
  maxWarmUpFrames: 15,
  backgroundTauS: 6,
  stationaryTauS: 30,
  noiseTauS: 20,
  minDiff: 12,
  noiseFactor: 4,
  minNoise: 1.5,
  globalChangeFraction: 0.5,
  minBandFraction: 0.03,
  maxGapMs: 10_000,
  ignoreRegions: [],
  openRadiusPx: 1,
  closeRadiusFraction: 0.012,
  minAreaFraction: 0.0008,
  maxAreaFraction: 0.5,
  ghostEdgeRatio: 0.5,
};

/** What the detector did with the last frame, for diagnostics and tests. */
export type MotionFrameState = 'warming-up' | 'reinitialised' | 'running';

/**
 * Buffers of one detector for one gray-frame size, reused frame after frame so that the per-frame path allocates
 * (and the garbage collector frees) nothing but the returned blobs.
 */
class Scratch {
  /** The blurred frame. */
  readonly blurred: Uint8Array;
  readonly blurTmp: Uint16Array;
  blurCol: Int32Array | Float64Array | null = null;
  /** The foreground mask, packed to bits. */
  readonly bits: BitMask;
  readonly bitsTmp: BitMask;
  /** Brightness shift per band of background brightness, and its histograms. */
  readonly shift = new Float32Array(BANDS);
  readonly hist = new Uint32Array(BANDS * BINS);
  /** Connected-component labels of the final mask, and the labelling's scratch. */
  readonly labels: Int32Array;
  readonly parent: Int32Array;
  readonly compOf: Int32Array;

  constructor(
    readonly w: number,
    readonly h: number,
  ) {
    const n = w * h;
    this.blurred = new Uint8Array(n);
    this.blurTmp = new Uint16Array(n);
    this.labels = new Int32Array(n);
    this.parent = new Int32Array(n + 1);
    this.compOf = new Int32Array(n + 1);
    this.bits = new BitMask(w, h);
    this.bitsTmp = new BitMask(w, h);
  }
}

/** Background-subtraction motion detector for ONE camera; feed its frames in order. */
export class MotionDetector {
  private readonly o: Resolved;
  private w = 0;
  private h = 0;
  private bg: Float32Array | null = null;
  private noise: Float32Array | null = null;
  /** Per pixel, the background value from before it became foreground (the road under a car that stopped). */
  private home: Float32Array | null = null;
  private warm: Uint8Array[] = [];
  private warmStartMs = 0;
  private lastMs: number | null = null;
  private lastState: MotionFrameState = 'warming-up';
  private lastFgFraction = 0;
  private reinitCount = 0;
  private ghostCount = 0;
  private scratch: Scratch | null = null;

  constructor(opts: MotionDetectorOptions = {}) {
    const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as MotionDetectorOptions;
    this.o = { ...DEFAULTS, ...defined };
  }

  get options(): Readonly<Resolved> {
    return this.o;
  }

  /** State after the last update, the fraction of the frame found moving, and how often the model restarted. */
  diagnostics(): { state: MotionFrameState; foregroundFraction: number; reinitCount: number; ghostCount: number } {
    return { state: this.lastState, foregroundFraction: this.lastFgFraction, reinitCount: this.reinitCount, ghostCount: this.ghostCount };
  }

  /**
   * Feeds the next frame of the camera (frames IN ORDER, `tMs` not decreasing, e.g. the stream pts) and returns its
   * moving blobs, boxes in full-frame pixels (`frameW` × `frameH`, the size the detector's boxes use).
   */
  update(gray: GrayImage, frameW: number, frameH: number, tMs: number): MotionBlob[] {
    const o = this.o;
    if (gray.data.length !== gray.width * gray.height) {
      throw new RangeError(`MotionDetector: ${gray.width}x${gray.height} image needs ${gray.width * gray.height} bytes, got ${gray.data.length}`);
    }
    const sc = this.scratchFor(gray.width, gray.height);
    // The blurred frame lives in a reused buffer (the caller's own without blur, only read): whatever is kept beyond
    // this frame (the warm-up median's frames) is copied.
    let img = gray.data;
    if (o.blurRadiusPx > 0) {
      sc.blurCol ??= blurColumns(gray.width, o.blurRadiusPx);
      boxBlurInto(gray.data, gray.width, gray.height, o.blurRadiusPx, sc.blurred, sc.blurTmp, sc.blurCol);
      img = sc.blurred;
    }
    const prevMs = this.lastMs;
    this.lastMs = tMs;
    const sizeChanged = gray.width !== this.w || gray.height !== this.h;
    if (sizeChanged || prevMs === null || tMs < prevMs || tMs - prevMs > o.maxGapMs) {
      this.restart(img.slice(), gray.width, gray.height, tMs, prevMs !== null);
      return [];
    }
    if (!this.bg || !this.noise || !this.home) {
      this.warm.push(img.slice());
      if (this.warm.length > o.maxWarmUpFrames) this.warm.shift();
      if (tMs - this.warmStartMs >= o.warmUpMs && this.warm.length >= o.minWarmUpFrames) this.finishWarmUp();
      this.lastState = 'warming-up';
      this.lastFgFraction = 0;
      return [];
    }

    const n = this.w * this.h;
    const bg = this.bg;
    const noise = this.noise;
    const home = this.home;
    // Brightness transfer since the background: the median difference per background brightness band.
    const shift = sc.shift;
    brightnessShiftInto(img, bg, o.minBandFraction, sc.hist, shift);
    const dtS = (tMs - prevMs) / 1000;
    const aBg = 1 - Math.exp(-dtS / o.backgroundTauS);
    const aFg = 1 - Math.exp(-dtS / o.stationaryTauS);
    const aNoise = 1 - Math.exp(-dtS / o.noiseTauS);
    const bits = sc.bits;
    const fg = foregroundAndLearn(img, bg, home, noise, shift, bits, aBg, aFg, aNoise, o.minDiff, o.noiseFactor, o.minNoise);
    this.lastFgFraction = fg / n;
    if (fg > o.globalChangeFraction * n) {
      this.restart(img.slice(), this.w, this.h, tMs, true);
      return [];
    }
    this.lastState = 'running';

    for (const r of o.ignoreRegions) clearRegion(bits, r);
    // Opening then closing.
    if (o.openRadiusPx > 0) {
      morphBits(bits, sc.bitsTmp, o.openRadiusPx, true);
      morphBits(bits, sc.bitsTmp, o.openRadiusPx, false);
    }
    const closeR = Math.round(o.closeRadiusFraction * this.w);
    if (closeR > 0) {
      morphBits(bits, sc.bitsTmp, closeR, false);
      morphBits(bits, sc.bitsTmp, closeR, true);
    }
    return this.blobs(bits, img, frameW, frameH);
  }

  /** The reused buffers for a `w` × `h` gray frame (new ones when the size changes). */
  private scratchFor(w: number, h: number): Scratch {
    if (this.scratch?.w !== w || this.scratch.h !== h) this.scratch = new Scratch(w, h);
    return this.scratch;
  }

  private restart(img: Uint8Array, w: number, h: number, tMs: number, isReinit: boolean): void {
    this.w = w;
    this.h = h;
    this.bg = null;
    this.noise = null;
    this.home = null;
    this.warm = [img];
    this.warmStartMs = tMs;
    this.lastFgFraction = 0;
    this.lastState = isReinit ? 'reinitialised' : 'warming-up';
    if (isReinit) this.reinitCount++;
  }

  /** Background = per-pixel median of the warm-up frames; initial noise = the frame-wide median of their spread. */
  private finishWarmUp(): void {
    const n = this.w * this.h;
    const k = this.warm.length;
    const bg = new Float32Array(n);
    const spread = new Uint8Array(n);
    const vals = new Array<number>(k);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) vals[j] = this.warm[j]![i]!;
      vals.sort((a, b) => a - b);
      const med = k % 2 ? vals[(k - 1) >> 1]! : (vals[k / 2 - 1]! + vals[k / 2]!) / 2;
      bg[i] = med;
      // Mean absolute deviation from the median, without the largest one (a passing object).
      let s = 0;
      let mx = 0;
      for (let j = 0; j < k; j++) {
        const d = Math.abs(vals[j]! - med);
        s += d;
        if (d > mx) mx = d;
      }
      spread[i] = Math.min(255, Math.round(k > 1 ? (s - mx) / (k - 1) : 0));
    }
    const initNoise = Math.max(this.o.minNoise, medianOfBytes(spread));
    this.bg = bg;
    this.noise = new Float32Array(n).fill(initNoise);
    this.home = bg.slice();
    this.warm = [];
  }

  /**
   * Ghost test (as in Sakbot, Cucchiara et al. 2003, with edges instead of optical flow): a real object shows its
   * outline in the CURRENT frame along the blob's contour; a ghost (the place an object that had become background
   * has left, or a person who stood long enough to be partly learned) shows it only in the BACKGROUND. A ghost is
   * written into the background at once (it would otherwise stay for the slow `stationaryTauS`) and not reported.
   * A stopped car keeps its outline in the current frame, so it is not taken for a ghost.
   */
  private absorbIfGhost(c: Component, labels: Int32Array, img: Uint8Array): boolean {
    const w = this.w;
    const h = this.h;
    const bg = this.bg!;
    let edgeCur = 0;
    let edgeBg = 0;
    for (let y = c.y0; y <= c.y1; y++) {
      for (let x = c.x0; x <= c.x1; x++) {
        const i = y * w + x;
        if (labels[i] !== c.label) continue;
        const contour =
          x === 0 || y === 0 || x === w - 1 || y === h - 1 || labels[i - 1] !== c.label || labels[i + 1] !== c.label || labels[i - w] !== c.label || labels[i + w] !== c.label;
        if (!contour || x === 0 || y === 0 || x === w - 1 || y === h - 1) continue;
        edgeCur += Math.abs(img[i + 1]! - img[i - 1]!) + Math.abs(img[i + w]! - img[i - w]!);
        edgeBg += Math.abs(bg[i + 1]! - bg[i - 1]!) + Math.abs(bg[i + w]! - bg[i - w]!);
      }
    }
    if (edgeCur >= this.o.ghostEdgeRatio * edgeBg) return false;
    for (let y = c.y0; y <= c.y1; y++) {
      for (let x = c.x0; x <= c.x1; x++) {
        const i = y * w + x;
        if (labels[i] === c.label) bg[i] = img[i]!;
      }
    }
    this.ghostCount++;
    return true;
  }

  private blobs(mask: BitMask, img: Uint8Array, frameW: number, frameH: number): MotionBlob[] {
    const w = this.w;
    const h = this.h;
    const n = w * h;
    const sc = this.scratch!;
    const labels = sc.labels;
    const comps = labelBits(mask, labels, sc.parent, sc.compOf);
    const sx = frameW / w;
    const sy = frameH / h;
    const out: MotionBlob[] = [];
    for (const c of comps) {
      const area = c.count / n;
      if (area < this.o.minAreaFraction || area > this.o.maxAreaFraction) continue;
      if (this.o.ghostEdgeRatio > 0 && this.absorbIfGhost(c, labels, img)) continue;
      const bw = c.x1 - c.x0 + 1;
      const bh = c.y1 - c.y0 + 1;
      out.push({
        box: { x: c.x0 * sx, y: c.y0 * sy, w: bw * sx, h: bh * sy },
        area,
        fill: c.count / (bw * bh),
      });
    }
    return out.sort((a, b) => b.area - a.area);
  }
}

/**
 * Steps 3, 4 and 6 of {@link MotionDetector.update} in one pass: sets the moving pixels' bits in `bits` (all of
 * its words are written) and returns their number, updating background, home and noise. Each pixel's update reads
 * only its own values, so it follows its foreground test at once; when the frame turns out to be a global change the
 * caller discards the model anyway.
 */
function foregroundAndLearn(
  img: Uint8Array,
  bg: Float32Array,
  home: Float32Array,
  noise: Float32Array,
  shift: Float32Array,
  bits: BitMask,
  aBg: number,
  aFg: number,
  aNoise: number,
  minDiff: number,
  noiseFactor: number,
  minNoise: number,
): number {
  const { w, h, stride, words } = bits;
  let fg = 0;
  let i = 0;
  for (let y = 0; y < h; y++) {
    for (let k = 0; k < stride; k++) {
      const end = i + (w - (k << 5) < 32 ? w - (k << 5) : 32);
      let word = 0;
      for (let bit = 0; i < end; i++, bit++) {
        const v = img[i]!;
        let b = bg[i]!;
        let sh = shift[b >> BAND_SHIFT]!;
        const nz0 = noise[i]!;
        const nThr = noiseFactor * nz0;
        const thr = Math.max(minDiff, nThr);
        let d = Math.abs(v - b - sh);
        let moving = false;
        if (d > thr) {
          if (Math.abs(v - home[i]! - sh) <= thr) {
            // The old background is showing again (an object that stood long enough to be partly learned has left):
            // take it back at once instead of reporting the half-learned object's ghost for `stationaryTauS`. The
            // update below then starts from the stored (float32) value, in its own band.
            const tb = v - sh;
            b = Math.fround(tb < 0 ? 0 : tb > 255 ? 255 : tb);
            sh = shift[b >> BAND_SHIFT]!;
            d = Math.abs(v - b - sh);
          } else moving = true;
        }
        if (moving) {
          fg++;
          word |= 1 << bit;
          // Hidden by an object, the background still takes the scene-wide light change (else a ghost appears
          // when the object leaves after an exposure drift), and only slowly the object itself.
          const nb = b + aBg * sh + aFg * (v - sh - b);
          bg[i] = nb < 0 ? 0 : nb > 255 ? 255 : nb;
          home[i] = home[i]! + aBg * sh;
        } else {
          const nb = Math.fround(b + aBg * (v - b));
          bg[i] = nb;
          home[i] = nb;
          const nz = nz0 + aNoise * (d - nz0);
          // max(nz, minNoise) without a branch: the noise of most pixels hovers at the floor, so that a branch
          // (or Math.max, which V8 also compiles to branches) mispredicts about every other pixel, which cost more
          // than all the rest of the loop. `lo` is 0 or 1: one product is a value itself, the other an exact zero
          // (for any finite floor; nz is finite and not negative).
          const lo = +(nz < minNoise);
          noise[i] = lo * minNoise + (1 - lo) * nz;
        }
      }
      words[y * stride + k] = word;
    }
  }
  return fg;
}

/** Separable box blur with clamped edges; radius 0 returns the input. */
export function boxBlur(src: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return src;
  const out = new Uint8Array(w * h);
  boxBlurInto(src, w, h, r, out, new Uint16Array(w * h), blurColumns(w, r));
  return out;
}

/**
 * {@link boxBlur} (r > 0) into caller-owned buffers: `tmp` (w × h) holds the horizontal sums, `col` (w, from
 * {@link blurColumns}) the running vertical sum of each column. The vertical pass walks the image row by row, adding
 * the entering row to and removing the leaving row from `col`, instead of a strided column-by-column walk. `tmp` is
 * 16-bit as it always was (it wraps for r > 128, identically).
 */
function boxBlurInto(src: Uint8Array, w: number, h: number, r: number, out: Uint8Array, tmp: Uint16Array, col: Int32Array | Float64Array): void {
  const lastX = w - 1;
  for (let row = 0; row < w * h; row += w) {
    let s = 0;
    for (let k = -r; k <= r; k++) s += src[row + (k < 0 ? 0 : k > lastX ? lastX : k)]!;
    for (let x = 0; x < w; x++) {
      tmp[row + x] = s;
      const add = x + r + 1;
      const sub = x - r;
      s += src[row + (add > lastX ? lastX : add)]! - src[row + (sub < 0 ? 0 : sub)]!;
    }
  }
  const lastY = h - 1;
  col.fill(0);
  for (let k = -r; k <= r; k++) {
    const row = (k < 0 ? 0 : k > lastY ? lastY : k) * w;
    for (let x = 0; x < w; x++) col[x] = col[x]! + tmp[row + x]!;
  }
  const div = (2 * r + 1) * (2 * r + 1);
  const lut = roundLut(div, r);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const add = (y + r + 1 > lastY ? lastY : y + r + 1) * w;
    const sub = (y - r < 0 ? 0 : y - r) * w;
    if (lut) {
      for (let x = 0; x < w; x++) {
        const s = col[x]!;
        out[row + x] = lut[s]!;
        col[x] = s + tmp[add + x]! - tmp[sub + x]!;
      }
    } else {
      for (let x = 0; x < w; x++) {
        const s = col[x]!;
        out[row + x] = Math.round(s / div);
        col[x] = s + tmp[add + x]! - tmp[sub + x]!;
      }
    }
  }
}

/**
 * Column sums of a radius-r blur: 2r + 1 horizontal sums below 2^16, in int32 (an integer table index, about twice
 * as fast as a double) unless r is absurdly large.
 */
function blurColumns(w: number, r: number): Int32Array | Float64Array {
  return (2 * r + 1) * 0xffff < 2 ** 31 ? new Int32Array(w) : new Float64Array(w);
}

const roundLuts = new Map<number, Uint8Array>();

/**
 * `Math.round(s / div)` for every window sum s of a radius-r blur (0..255·div), as a table: a load instead of a
 * division and a rounding per pixel. Only for r ≤ 7 (a table of at most 57 KB; the 16-bit horizontal sums cannot
 * wrap below r = 128); larger radii divide.
 */
function roundLut(div: number, r: number): Uint8Array | null {
  if (r > 7) return null;
  let lut = roundLuts.get(div);
  if (!lut) {
    lut = new Uint8Array(255 * div + 1);
    for (let s = 0; s < lut.length; s++) lut[s] = Math.round(s / div);
    roundLuts.set(div, lut);
  }
  return lut;
}

/** Zeroes a region given as a box normalised to 0..1. */
function clearRegion(mask: BitMask, r: Box): void {
  const { w, h, stride, words } = mask;
  const x0 = clamp(Math.floor(r.x * w), 0, w);
  const x1 = clamp(Math.ceil((r.x + r.w) * w), 0, w);
  const y0 = clamp(Math.floor(r.y * h), 0, h);
  const y1 = clamp(Math.ceil((r.y + r.h) * h), 0, h);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) words[y * stride + (x >> 5)]! &= ~(1 << (x & 31));
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Background brightness bands of 16 gray levels: 16 bands. */
const BAND_SHIFT = 4;
const BANDS = 256 >> BAND_SHIFT;

/**
 * Median of (img − bg) per band of background brightness, rounded to whole gray levels. An exposure or gain change
 * moves bright and dark pixels by different amounts (a white road marking more than the asphalt), so one global
 * offset would leave the bright parts "moving"; one offset per brightness band follows any monotonic brightness
 * transfer. Bands with fewer than `minBandFraction` of the pixels take the nearest populated band's value (the
 * frame-wide median when none is populated).
 */
export function brightnessShift(img: Uint8Array, bg: Float32Array, minBandFraction: number): Float32Array {
  const out = new Float32Array(BANDS);
  brightnessShiftInto(img, bg, minBandFraction, new Uint32Array(BANDS * BINS), out);
  return out;
}

/** Differences −255..255 (+255), one histogram row of BINS per band (a power of two, to index by shifting). */
const DIFFS = 511;
const BINS_SHIFT = 9;
const BINS = 1 << BINS_SHIFT;

/**
 * {@link brightnessShift} into `out` (BANDS), with a caller-owned histogram (BANDS × BINS, any content). Each pixel
 * counts once, in its band's histogram: the band sizes and the frame-wide histogram are sums of those rows, the
 * latter needed only when no band is populated.
 */
function brightnessShiftInto(img: Uint8Array, bg: Float32Array, minBandFraction: number, hist: Uint32Array, out: Float32Array): void {
  const n = img.length;
  hist.fill(0);
  for (let i = 0; i < n; i++) {
    const b = bg[i]!;
    // round(img − bg) + 255 as a truncation of a positive number: V8's Math.round needs a correction branch that
    // mispredicts on random fractions. Exact for a float32 `bg` in 0..255: adding 255.5 could only round across an
    // integer if img − bg lay within 2^-45 of a half-integer without being one, but a `bg` with a fraction that
    // close to .5 is at least 0.25, hence a multiple of 2^-25, and img − bg + 255.5 then needs 35 bits (exact).
    const k = ((b >> BAND_SHIFT) << BINS_SHIFT) + ((img[i]! - b + 255.5) | 0);
    hist[k] = hist[k]! + 1;
  }
  const median = (h: Uint32Array, offset: number, count: number): number => {
    let acc = 0;
    for (let b = 0; b < DIFFS; b++) {
      acc += h[offset + b]!;
      if (acc >= count / 2) return b - 255;
    }
    return 0;
  };
  const minCount = Math.max(1, minBandFraction * n);
  const counts = new Array<number>(BANDS).fill(0);
  for (let band = 0; band < BANDS; band++) {
    let c = 0;
    for (let b = band << BINS_SHIFT, end = b + DIFFS; b < end; b++) c += hist[b]!;
    counts[band] = c;
    out[band] = c >= minCount ? median(hist, band << BINS_SHIFT, c) : Number.NaN;
  }
  let global = Number.NaN;
  for (let band = 0; band < BANDS; band++) {
    if (!Number.isNaN(out[band]!)) continue;
    let best = Number.NaN;
    for (let dist = 1; dist < BANDS && Number.isNaN(best); dist++) {
      const lo = band - dist;
      const hi = band + dist;
      if (lo >= 0 && counts[lo]! >= minCount) best = out[lo]!;
      else if (hi < BANDS && counts[hi]! >= minCount) best = out[hi]!;
    }
    if (Number.isNaN(best) && Number.isNaN(global)) {
      const all = new Uint32Array(DIFFS);
      for (let band2 = 0; band2 < BANDS; band2++) for (let b = 0; b < DIFFS; b++) all[b] = all[b]! + hist[(band2 << BINS_SHIFT) + b]!;
      global = median(all, 0, n);
    }
    out[band] = Number.isNaN(best) ? global : best;
  }
}

function medianOfBytes(a: Uint8Array): number {
  const hist = new Uint32Array(256);
  for (let i = 0; i < a.length; i++) hist[a[i]!] = hist[a[i]!]! + 1;
  let acc = 0;
  for (let b = 0; b < 256; b++) {
    acc += hist[b]!;
    if (acc >= a.length / 2) return b;
  }
  return 0;
}

/** Binary dilation with a (2r+1)² square (any non-zero byte is set); outside the image counts as 0. */
export function dilate(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  return morphBytes(mask, w, h, r, false);
}

/** Binary erosion with a (2r+1)² square; outside the image counts as 1 so that objects at the border survive. */
export function erode(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  return morphBytes(mask, w, h, r, true);
}

function morphBytes(mask: Uint8Array, w: number, h: number, r: number, erosion: boolean): Uint8Array {
  const bits = new BitMask(w, h);
  const tmp = new BitMask(w, h);
  bits.pack(mask);
  morphBits(bits, tmp, r, erosion);
  const out = new Uint8Array(w * h);
  bits.unpack(out);
  return out;
}

/**
 * A binary mask with one bit per pixel, rows padded to whole 32-bit words (bit x & 31 of word x >> 5 of its row;
 * the padding bits stay 0). Morphology on it handles 32 pixels per operation.
 */
class BitMask {
  /** Words per row. */
  readonly stride: number;
  readonly words: Int32Array;
  /** The valid bits of each row's last word. */
  readonly lastWordMask: number;

  constructor(
    readonly w: number,
    readonly h: number,
  ) {
    this.stride = (w + 31) >> 5;
    this.words = new Int32Array(this.stride * h);
    this.lastWordMask = w & 31 ? (1 << (w & 31)) - 1 : -1;
  }

  /** Any non-zero byte of `mask` (w × h) becomes a set bit. */
  pack(mask: Uint8Array): void {
    const { w, h, stride, words } = this;
    for (let y = 0; y < h; y++) {
      const row = y * w;
      const wrow = y * stride;
      for (let k = 0; k < stride; k++) {
        const x0 = k << 5;
        const x1 = x0 + 32 < w ? x0 + 32 : w;
        let word = 0;
        for (let x = x0; x < x1; x++) if (mask[row + x]) word |= 1 << (x - x0);
        words[wrow + k] = word;
      }
    }
  }

  /** Writes the mask as 0/1 bytes into `out` (w × h). */
  unpack(out: Uint8Array): void {
    const { w, h, stride, words } = this;
    for (let y = 0; y < h; y++) {
      const row = y * w;
      const wrow = y * stride;
      for (let k = 0; k < stride; k++) {
        const x0 = k << 5;
        const x1 = x0 + 32 < w ? x0 + 32 : w;
        const word = words[wrow + k]!;
        if (word === 0) out.fill(0, row + x0, row + x1);
        else for (let x = x0; x < x1; x++) out[row + x] = (word >>> (x - x0)) & 1;
      }
    }
  }
}

/**
 * Dilation (`erosion` false) or erosion with a (2r+1)² square of `m`, in place; `tmp` is a scratch mask of the same
 * size. Erosion is the dilation of the complement (outside the image counting as set for the erosion, as clear for
 * the dilation of the complement), the complement taken word-wise on the way in and out. Separable: horizontally,
 * r steps of "OR with both one-pixel shifts" (bits carried across words; the square of radius r is r squares of
 * radius 1 and, outside being clear, clipping to the row changes nothing); vertically, each output row is the OR of
 * the input rows within r.
 */
function morphBits(m: BitMask, tmp: BitMask, r: number, erosion: boolean): void {
  const { w, h, stride, lastWordMask } = m;
  const src = m.words;
  const t = tmp.words;
  const last = stride - 1;
  // Beyond w - 1 more steps a row is all set or all clear already.
  const rx = r < w - 1 ? r : w - 1;
  for (let y = 0; y < h; y++) {
    const row = y * stride;
    for (let k = 0; k < stride; k++) {
      let word = src[row + k]!;
      if (erosion) word = ~word & (k === last ? lastWordMask : -1);
      t[row + k] = word;
    }
    for (let step = 0; step < rx; step++) {
      // Left to right, `prev` is the word before k as it was before this step.
      let prev = 0;
      for (let k = 0; k < stride; k++) {
        const cur = t[row + k]!;
        const next = k < last ? t[row + k + 1]! : 0;
        let word = cur | (cur << 1) | (prev >>> 31) | (cur >>> 1) | (next << 31);
        if (k === last) word &= lastWordMask;
        t[row + k] = word;
        prev = cur;
      }
    }
  }
  for (let y = 0; y < h; y++) {
    const y0 = y - r < 0 ? 0 : y - r;
    const y1 = y + r > h - 1 ? h - 1 : y + r;
    const row = y * stride;
    for (let k = 0; k < stride; k++) {
      let word = 0;
      for (let yy = y0; yy <= y1; yy++) word |= t[yy * stride + k]!;
      src[row + k] = erosion ? ~word & (k === last ? lastWordMask : -1) : word;
    }
  }
}

interface Component {
  /** Label of the component's pixels in `labels` of {@link labelComponents}. */
  label: number;
  count: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** 8-connected components of a binary mask (two passes with union-find); returns each component's size and box. */
export function connectedComponents(mask: Uint8Array, w: number, h: number): Array<Omit<Component, 'label'>> {
  return labelComponents(mask, w, h).components.map(({ label: _label, ...c }) => c);
}

/** Like {@link connectedComponents}, with the final label image (0 = background). */
export function labelComponents(mask: Uint8Array, w: number, h: number): { labels: Int32Array; components: Component[] } {
  const bits = new BitMask(w, h);
  bits.pack(mask);
  const labels = new Int32Array(w * h);
  return { labels, components: labelBits(bits, labels, new Int32Array(w * h + 1), new Int32Array(w * h + 1)) };
}

/**
 * 8-connected components of a bit mask, two raster passes with union-find, visiting set pixels only (an empty word
 * skips 32 pixels). Writes the label image into `labels` (w × h; 0 = background) and uses `parent` and `compOf`
 * (w × h + 1 each, any content) as scratch. Pass 1 gives each set pixel a provisional label from its visited
 * neighbours (W, NW, N, NE), a new one when none is set; unions keep the smaller root, so the final label of a
 * component is its smallest provisional label. Components are listed in the order of their first pixel.
 */
function labelBits(bits: BitMask, labels: Int32Array, parent: Int32Array, compOf: Int32Array): Component[] {
  const { w, h, stride, words } = bits;
  const find = (a: number): number => {
    let r = a;
    while (parent[r]! !== r) r = parent[r]!;
    while (parent[a]! !== r) {
      const next = parent[a]!;
      parent[a] = r;
      a = next;
    }
    return r;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra < rb) parent[rb] = ra;
    else if (rb < ra) parent[ra] = rb;
  };
  labels.fill(0);
  let next = 1;
  for (let y = 0; y < h; y++) {
    for (let k = 0; k < stride; k++) {
      let word = words[y * stride + k]!;
      while (word !== 0) {
        const bit = 31 - Math.clz32(word & -word);
        word &= word - 1;
        const x = (k << 5) + bit;
        const i = y * w + x;
        // A set N is already joined with any set NW, NE (its row neighbours) and W (diagonal to N): each was joined
        // with N when the later of the two was labelled, so N alone decides. Without N, NW and W (one above the
        // other) are joined already, NE is joined with neither.
        const n = y > 0 ? labels[i - w]! : 0;
        let l: number;
        if (n) l = n;
        else {
          const nw = y > 0 && x > 0 ? labels[i - w - 1]! : 0;
          const ne = y > 0 && x < w - 1 ? labels[i - w + 1]! : 0;
          const west = x > 0 ? labels[i - 1]! : 0;
          if (ne) {
            l = ne;
            if (nw) union(nw, ne);
            else if (west) union(west, ne);
          } else if (nw) l = nw;
          else if (west) l = west;
          else {
            l = next++;
            parent[l] = l;
          }
        }
        labels[i] = l;
      }
    }
  }
  // Every parent is smaller than its child: in increasing order, one step makes each label point at its root.
  for (let l = 1; l < next; l++) parent[l] = parent[parent[l]!]!;
  compOf.fill(0, 0, next);
  const comps: Component[] = [];
  for (let y = 0; y < h; y++) {
    for (let k = 0; k < stride; k++) {
      let word = words[y * stride + k]!;
      while (word !== 0) {
        const x = (k << 5) + 31 - Math.clz32(word & -word);
        word &= word - 1;
        const i = y * w + x;
        const r = parent[labels[i]!]!;
        labels[i] = r;
        const ci = compOf[r]!;
        if (ci === 0) {
          comps.push({ label: r, count: 1, x0: x, y0: y, x1: x, y1: y });
          compOf[r] = comps.length;
        } else {
          const c = comps[ci - 1]!;
          c.count++;
          if (x < c.x0) c.x0 = x;
          if (x > c.x1) c.x1 = x;
          c.y1 = y;
        }
      }
    }
  }
  return comps;
}
