import { describe, expect, it } from 'vitest';
import type { RecognizedRow } from './plate-text.types.js';
import { cleanRow, fitSlot, formatVnPlate, geometricMean, parseGenericPlate, parseVnPlate, VN_PROVINCE_CODES } from './vn-plate.format.js';

const row = (s: string, p = 0.95): RecognizedRow => [...s].map((ch) => ({ ch, p }));

describe('VN plate format rules', () => {
  it('reads a clean two-row motorbike plate', () => {
    const r = parseVnPlate([row('59-T1'), row('599.73')]);
    expect(r).toMatchObject({ text: '59-T1/599.73', normalized: '59T159973', rows: 2, valid: true, fixes: 0, formatScore: 1 });
    expect(r.confidence).toBeCloseTo(0.95, 5);
  });

  it('reads one-row car plates with 5 and 4 digits and a special series', () => {
    expect(parseVnPlate([row('51A-012.04')])).toMatchObject({ text: '51A-012.04', normalized: '51A01204', rows: 1, valid: true });
    expect(parseVnPlate([row('51A1234')])).toMatchObject({ text: '51A-1234', normalized: '51A1234', rows: 1, valid: true });
    expect(parseVnPlate([row('50LD-044.11')])).toMatchObject({ text: '50LD-044.11', normalized: '50LD04411', valid: true });
  });

  it('prints square car plates without a hyphen and old 4-digit motorbike plates without a dot', () => {
    expect(parseVnPlate([row('30F'), row('51010')]).text).toBe('30F/510.10');
    expect(parseVnPlate([row('54X4'), row('5969')]).text).toBe('54-X4/5969');
    expect(formatVnPlate('29', 'MD1', '91692', 2)).toBe('29-MD1/916.92');
  });

  it('fixes letter/digit confusions by position', () => {
    // series letter read as a digit (8→B), province and number digits read as letters (S→5, D→0, Z→2, G→6, I→1)
    const r = parseVnPlate([row('S9-81'), row('DZ6.GI')]);
    expect(r.normalized).toBe('59B102661');
    expect(r.fixes).toBe(6);
    expect(r.valid).toBe(true);
    expect(r.formatScore).toBeLessThan(1);
    expect(r.confidence).toBeLessThan(parseVnPlate([row('59-B1'), row('026.61')]).confidence);
    // O and A: 0↔O in a digit place, 4↔A in the series place
    expect(parseVnPlate([row('5O4-123.45')]).normalized).toBe('50A12345');
  });

  it("prefers the recogniser's own digit candidate over the confusion table", () => {
    const rows: RecognizedRow[] = [
      [{ ch: '6', p: 0.9 }, { ch: '0', p: 0.9 }, { ch: 'B', p: 0.9 }, { ch: '7', p: 0.9 }],
      [...row('36638')],
    ];
    // position 4 must be a digit (motorbike series letter+digit); position 3 a letter → B kept
    expect(parseVnPlate(rows).normalized).toBe('60B736638');
    const c = fitSlot({ ch: 'B', p: 0.6, alts: [{ ch: 'B', p: 0.6 }, { ch: '3', p: 0.3 }] }, 'D');
    expect(c).toEqual({ ch: '3', p: 0.3, fixed: true });
    expect(fitSlot({ ch: 'B', p: 0.6 }, 'D')).toEqual({ ch: '8', p: 0.3, fixed: true });
    expect(fitSlot({ ch: 'K', p: 0.6 }, 'D')).toBeNull();
  });

  it('marks unknown province codes and impossible layouts invalid', () => {
    const bad = parseVnPlate([row('13A-123.45')]);
    expect(bad.valid).toBe(false);
    expect(bad.normalized).toBe('13A12345');
    expect(VN_PROVINCE_CODES.has('13')).toBe(false);
    const junk = parseVnPlate([row('KKKK')]);
    expect(junk).toMatchObject({ valid: false, formatScore: 0, normalized: 'KKKK' });
    expect(junk.confidence).toBeLessThan(0.6);
  });

  it('recovers a two-row plate read as a single line', () => {
    expect(parseVnPlate([row('59T159973')])).toMatchObject({ normalized: '59T159973', rows: 2, text: '59-T1/599.73', valid: true });
  });

  it('uses the hyphen the reader saw to place the series boundary', () => {
    // "51A0-1204" could be series A0 + 1204; the hyphen after A says car series A + 5 digits — but here it sits after A0
    expect(parseVnPlate([row('51A-01204')]).normalized).toBe('51A01204');
    expect(parseVnPlate([row('51A-01204')]).rows).toBe(1);
  });

  it('normalises Đ and lower case, and drops foreign symbols', () => {
    expect(cleanRow([{ ch: 'đ', p: 1 }, { ch: '·', p: 1 }, { ch: 'x', p: 1 }]).chars.map((c) => c.ch).join('')).toBe('DX');
  });
});

describe('generic plate rules', () => {
  it('keeps A–Z0–9, joins rows with / and checks length and digits', () => {
    expect(parseGenericPlate([row('RK-857 AI')])).toMatchObject({ text: 'RK857AI', normalized: 'RK857AI', valid: true });
    expect(parseGenericPlate([row('AB'), row('1234')])).toMatchObject({ text: 'AB/1234', normalized: 'AB1234', rows: 2 });
    expect(parseGenericPlate([row('A1')]).valid).toBe(false);
    expect(parseGenericPlate([row('TEXAS')]).valid).toBe(false);
  });

  it('geometric mean is length independent', () => {
    expect(geometricMean([0.9, 0.9, 0.9])).toBeCloseTo(0.9, 6);
    expect(geometricMean([])).toBe(0);
  });
});
