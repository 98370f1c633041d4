import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../image/rgb-image.js';
import { analyzeGlyphs, characterBand, characterHeight, grayThumbnail, inkComponents, inkMask, trimToGlyphs, type GrayImage } from './plate-glyphs.js';

/**
 * A synthetic plate line 120×40: light background (220), dark "characters" 8 px wide and 24 px tall (y 8..31)
 * at x = 10, 25, 40, 70, 85, 100, and a small separator dot 6×6 (y 17..22) at x = 55.
 */
function line(opts: { invert?: boolean; dot?: boolean; xs?: number[] } = {}): GrayImage {
  const width = 120;
  const height = 40;
  const data = new Uint8Array(width * height).fill(220);
  const rect = (x0: number, y0: number, w: number, h: number): void => {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) data[y * width + x] = 30;
  };
  for (const x of opts.xs ?? [10, 25, 40, 70, 85, 100]) rect(x, 8, 8, 24);
  if (opts.dot ?? true) rect(55, 17, 6, 6);
  if (opts.invert) for (let i = 0; i < data.length; i++) data[i] = 255 - data[i]!;
  return { data, width, height };
}

/** One character per glyph position, CTC steps of 5 px (step s covers x in [5s, 5s + 5)). */
const XPS = 5;
const at = (x: number, ch: string): { ch: string; stepStart: number; stepEnd: number } => ({ ch, stepStart: Math.floor((x + 3) / XPS), stepEnd: Math.floor((x + 4) / XPS) });

describe('glyph geometry of a plate line', () => {
  it('binarises with the minority as ink, for dark-on-light and light-on-dark lines', () => {
    for (const invert of [false, true]) {
      const g = line({ invert });
      const mask = inkMask(g.data, g.width, g.height);
      expect(mask[20 * g.width + 12]).toBe(1); // inside a character
      expect(mask[2 * g.width + 2]).toBe(0); // background
    }
  });

  it('finds one component per character and the character height', () => {
    const g = line();
    const comps = inkComponents(inkMask(g.data, g.width, g.height), g.width, g.height);
    expect(comps).toHaveLength(7);
    expect(comps.find((c) => c.x0 === 55)).toMatchObject({ x1: 60, y0: 17, y1: 22, area: 36 });
    expect(characterHeight(comps, g.height)).toBe(24);
  });

  it('gives the band of the characters', () => {
    expect(characterBand(analyzeGlyphs(line()))).toMatchObject({ y0: 8, y1: 31, x0: 10, x1: 107, heightPx: 24, count: 6 });
    // Two glyphs are too few to trust a band.
    expect(characterBand(analyzeGlyphs(line({ dot: false, xs: [10, 25] })))).toBeNull();
    expect(characterBand(analyzeGlyphs(line({ dot: false, xs: [10, 25, 40] })))).not.toBeNull();
  });

  it('drops a character read on the separator dot, keeps the others and punctuation', () => {
    const chars = [at(10, 'A'), at(25, 'B'), at(40, 'C'), at(55, '8'), at(56, '-'), at(70, '1'), at(85, '2'), at(100, '3')];
    const kept = trimToGlyphs(chars, analyzeGlyphs(line()), (s) => s * XPS, { keep: (c) => c.ch === '-' });
    expect(kept.map((c) => c.ch).join('')).toBe('ABC-123');
  });

  it('keeps characters read on glyphs merged into one wide component, drops one read beside them', () => {
    // Glyphs at 10, 25, 40, and four touching glyphs from 70 to 99 merged into one component wider than tall, as
    // blur or a frame edge merges neighbours.
    const g = line({ dot: false, xs: [10, 25, 40, 70, 78, 86, 92] });
    const a = analyzeGlyphs(g);
    expect(a.glyphs.some((c) => c.x0 === 70 && c.x1 === 99)).toBe(true);
    const chars = [at(10, 'A'), at(25, 'B'), at(40, 'C'), at(55, 'x'), at(70, '1'), at(84, '2'), at(95, '3')];
    expect(trimToGlyphs(chars, a, (s) => s * XPS).map((c) => c.ch).join('')).toBe('ABC123');
  });

  it('drops nothing when the glyphs do not explain most characters', () => {
    // Glyphs at 10, 50, 90; characters read on them and in the wide gaps between them.
    const sparse = analyzeGlyphs(line({ dot: false, xs: [10, 50, 90] }));
    const three = [at(10, 'A'), at(30, 'x'), at(50, 'B'), at(70, 'y'), at(90, 'C')];
    expect(trimToGlyphs(three, sparse, (s) => s * XPS).map((c) => c.ch).join('')).toBe('ABC'); // 3 of 5 explained
    // 3 of 6 explained (below 60 %): the geometry does not match the read, so it is not trusted.
    const chars = [...three, at(110, 'z')];
    expect(trimToGlyphs(chars, sparse, (s) => s * XPS)).toHaveLength(chars.length);
    // Fewer than 3 explained: not trusted either.
    expect(trimToGlyphs([at(10, 'A'), at(30, 'x'), at(50, 'B')], sparse, (s) => s * XPS)).toHaveLength(3);
    // A blank line has no character height: nothing to judge by.
    const blank: GrayImage = { data: new Uint8Array(120 * 40).fill(200), width: 120, height: 40 };
    expect(trimToGlyphs(chars, analyzeGlyphs(blank), (s) => s * XPS)).toHaveLength(chars.length);
  });

  it('makes an area-averaged grey thumbnail', () => {
    const img: RgbImage = { data: new Uint8Array(4 * 200 * 3), width: 4, height: 200 };
    // Top half white, bottom half black, in RGB.
    img.data.fill(255, 0, 4 * 100 * 3);
    const t = grayThumbnail(img, 64);
    expect(t.scale).toBeCloseTo(1 / 4);
    expect(t.height).toBe(50);
    expect(t.width).toBe(1);
    expect(t.data[0]).toBe(255);
    expect(t.data[49]).toBe(0);
    expect(grayThumbnail({ data: new Uint8Array(3 * 3 * 3).fill(100), width: 3, height: 3 }).data).toEqual(new Uint8Array(9).fill(100));
  });
});
