/**
 * Glyph geometry of a recognised plate line, to drop characters that are not plate characters.
 *
 * The line recogniser reads everything on the line: the separator emblems many plates carry between character
 * groups (coloured dots, coats of arms, state shapes, a raised dot), small stacked letters beside the number
 * (disabled-person or dealer marks) and frame text come out as extra characters (`FB8R4T` read `FB80R4T`,
 * `853FL` read `P853FL`). The characters of one plate share one height, and those extras do not have it. So the
 * line crop is binarised (Otsu from its centre; the ink is the minority class there), its connected ink components
 * are found, the character height is taken from the tall ones, and a recognised character whose position (its CTC
 * time steps mapped back to the crop) falls on no component of that height is dropped. Nothing is dropped when the
 * components do not explain most of the characters (a broken binarisation must not eat a plate).
 */
import type { RgbImage } from '../image/rgb-image.js';
import { centralInkLevel } from './plate-rows.splitter.js';

/** A connected ink component, bounds inclusive, in crop pixels. */
export interface GlyphBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Ink pixels. */
  area: number;
}

/** A recognised character with its place along the recogniser's input (CTC steps; ctc.decoder's CtcChar fits). */
export interface PlacedChar {
  stepStart: number;
  stepEnd: number;
}

export interface GlyphTrimOptions {
  /** A character needs a component at least this share of the character height. @default 0.75 */
  minHeightShare?: number;
  /** Trimming only runs when at least this many characters sit on character-height components. @default 3 */
  minSupported?: number;
  /** …and when at least this share of the characters does. @default 0.6 */
  minSupportedShare?: number;
  /** Tolerance around a character's step range, in steps. @default 0.5 */
  toleranceSteps?: number;
}

export interface TrimOptions<T> extends GlyphTrimOptions {
  /** Characters never dropped nor counted, e.g. punctuation the format rules use as layout hints. @default none */
  keep?: (c: T) => boolean;
}

/** An 8-bit grey image. */
export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Grey (BT.601 luma) copy of an RGB image, shrunk by area averaging so that it is at most `maxHeightPx` tall
 * (glyph geometry needs a few pixels per stroke, not the full resolution of a large crop). `scale` = copy px per
 * source px (≤ 1).
 */
export function grayThumbnail(img: RgbImage, maxHeightPx = 64): GrayImage & { scale: number } {
  const f = Math.max(1, Math.ceil(img.height / maxHeightPx));
  const w = Math.max(1, Math.floor(img.width / f));
  const h = Math.max(1, Math.floor(img.height / f));
  const out = new Uint8Array(w * h);
  const d = img.data;
  const n = f * f;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let yy = y * f; yy < (y + 1) * f; yy++) {
        let i = (yy * img.width + x * f) * 3;
        for (let xx = 0; xx < f; xx++, i += 3) sum += d[i]! * 299 + d[i + 1]! * 587 + d[i + 2]! * 114;
      }
      out[y * w + x] = Math.round(sum / (1000 * n));
    }
  }
  return { data: out, width: w, height: h, scale: 1 / f };
}

/** Ink components of a line and the plate-character height derived from them. */
export interface GlyphAnalysis {
  glyphs: GlyphBox[];
  /** Plate-character height in the analysed image's pixels; 0 when no component can be a character. */
  charHeightPx: number;
  width: number;
  height: number;
}

/** Binarise a grey line crop and measure its glyphs. */
export function analyzeGlyphs(gray: GrayImage): GlyphAnalysis {
  const { data, width, height } = gray;
  if (width < 4 || height < 6) return { glyphs: [], charHeightPx: 0, width, height };
  const glyphs = inkComponents(inkMask(data, width, height), width, height);
  return { glyphs, charHeightPx: characterHeight(glyphs, height), width, height };
}

/**
 * Ink mask (1 = ink) of a text line. Threshold and polarity come from the central area (the crop's border may
 * be the vehicle or the plate frame): Otsu's level, and the class with fewer pixels is the ink.
 */
export function inkMask(gray: ArrayLike<number>, width: number, height: number): Uint8Array {
  const { thr, inkIsDark } = centralInkLevel(gray, width, height, 0.1);
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = gray[i]! <= thr === inkIsDark ? 1 : 0;
  return mask;
}

/** 8-connected components of a 0/1 mask. */
export function inkComponents(mask: ArrayLike<number>, width: number, height: number): GlyphBox[] {
  const label = new Int32Array(width * height);
  const out: GlyphBox[] = [];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start]) continue;
    const id = out.length + 1;
    const g: GlyphBox = { x0: width, y0: height, x1: -1, y1: -1, area: 0 };
    label[start] = id;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % width;
      const y = (i - x) / width;
      g.area++;
      if (x < g.x0) g.x0 = x;
      if (x > g.x1) g.x1 = x;
      if (y < g.y0) g.y0 = y;
      if (y > g.y1) g.y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const j = yy * width + xx;
          if (mask[j] && !label[j]) {
            label[j] = id;
            stack.push(j);
          }
        }
      }
    }
    out.push(g);
  }
  return out;
}

const glyphH = (g: GlyphBox): number => g.y1 - g.y0 + 1;
const glyphW = (g: GlyphBox): number => g.x1 - g.x0 + 1;

/**
 * The plate-character height of a line: the median height of the components that can be characters (taller than
 * a quarter of the crop, not spanning nearly all of it, not much wider than tall: frames and bars are), counting
 * only those at least half as tall as the tallest such one. 0 when there are none.
 */
export function characterHeight(glyphs: readonly GlyphBox[], cropHeight: number): number {
  const cands = glyphs.filter((g) => glyphH(g) >= cropHeight * 0.25 && glyphH(g) < cropHeight * 0.97 && glyphW(g) <= glyphH(g) * 1.5 && g.area >= 4);
  if (cands.length === 0) return 0;
  const tallest = Math.max(...cands.map(glyphH));
  const hs = cands.map(glyphH).filter((h) => h >= tallest * 0.5).sort((a, b) => a - b);
  return hs[Math.floor(hs.length / 2)]!;
}

/**
 * Which characters sit on a character-height component: `supported[i]` for `chars[i]`. `stepToX` maps a CTC step
 * boundary to a crop x (step s covers [stepToX(s), stepToX(s + 1))).
 */
export function glyphSupport(chars: readonly PlacedChar[], glyphs: readonly GlyphBox[], charHeightPx: number, stepToX: (step: number) => number, opts: GlyphTrimOptions = {}): boolean[] {
  const minShare = opts.minHeightShare ?? 0.75;
  const tol = opts.toleranceSteps ?? 0.5;
  // A character glyph may be wider than tall when neighbours touch (blur): only its height is checked.
  const tall = glyphs.filter((g) => glyphH(g) >= charHeightPx * minShare);
  return chars.map((c) => {
    const xa = stepToX(c.stepStart - tol);
    const xb = stepToX(c.stepEnd + 1 + tol);
    return tall.some((g) => g.x1 >= xa && g.x0 <= xb && (glyphW(g) > charHeightPx ? overlapPx(g, xa, xb) >= charHeightPx * 0.2 : overlapCentre(g, xa, xb)));
  });
}

/** Horizontal overlap of a component with a character's range, pixels. */
function overlapPx(g: GlyphBox, xa: number, xb: number): number {
  return Math.min(xb, g.x1 + 1) - Math.max(xa, g.x0);
}

/**
 * A component no wider than tall is one glyph: the character's step range must reach its central half (not only
 * graze its edge, as a separator's range grazes its neighbours). A wider one is several glyphs merged (blur, a
 * frame): there the range must overlap it by a fifth of the character height, a part of a glyph.
 */
function overlapCentre(g: GlyphBox, xa: number, xb: number): boolean {
  const q = glyphW(g) / 4;
  return xb >= g.x0 + q && xa <= g.x1 - q;
}

/**
 * Drop the characters not on a character-height glyph, when the glyphs explain enough of the line (see
 * {@link GlyphTrimOptions}); otherwise the characters come back unchanged. `stepToX` maps a CTC step boundary to
 * an x of the analysed image. Returns the kept characters, in order.
 */
export function trimToGlyphs<T extends PlacedChar>(chars: readonly T[], analysis: GlyphAnalysis, stepToX: (step: number) => number, opts: TrimOptions<T> = {}): T[] {
  const keep = opts.keep ?? (() => false);
  const judged = chars.filter((c) => !keep(c));
  if (judged.length === 0 || analysis.charHeightPx === 0) return [...chars];
  const support = glyphSupport(judged, analysis.glyphs, analysis.charHeightPx, stepToX, opts);
  const n = support.filter(Boolean).length;
  if (n === judged.length || n < (opts.minSupported ?? 3) || n < judged.length * (opts.minSupportedShare ?? 0.6)) return [...chars];
  const dropped = new Set(judged.filter((_, i) => !support[i]));
  return chars.filter((c) => !dropped.has(c));
}

/** Vertical extent of the plate characters: median top and bottom of the character-height components. */
export interface CharacterBand {
  y0: number;
  y1: number;
  /** Leftmost and rightmost x of those components. */
  x0: number;
  x1: number;
  heightPx: number;
  /** Components that agree with the band. */
  count: number;
}

/**
 * The band the plate characters occupy in a line, or null when fewer than `minCount` components of character
 * height and width are found (the line is not understood well enough to be cut).
 */
export function characterBand(analysis: GlyphAnalysis, minCount = 3): CharacterBand | null {
  const charH = analysis.charHeightPx;
  if (charH === 0) return null;
  const chars = analysis.glyphs.filter((g) => glyphH(g) >= charH * 0.75 && glyphH(g) <= charH * 1.3 && glyphW(g) <= charH * 1.5);
  if (chars.length < minCount) return null;
  const med = (v: number[]): number => v.sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  return {
    y0: med(chars.map((g) => g.y0)),
    y1: med(chars.map((g) => g.y1)),
    x0: Math.min(...chars.map((g) => g.x0)),
    x1: Math.max(...chars.map((g) => g.x1)),
    heightPx: charH,
    count: chars.length,
  };
}
