import { describe, expect, it } from 'vitest';
import { groupIntoRows, otsuThreshold, splitRowsByProfile } from './plate-rows.splitter.js';

/** A light plate with dark bars where characters would be. */
function synthPlate(width: number, height: number, rows: Array<[number, number]>): Uint8Array {
  const g = new Uint8Array(width * height).fill(220);
  for (const [y0, y1] of rows) {
    for (let y = y0; y < y1; y++) for (let x = 0; x < width; x++) if (x % 10 < 6 && x > width * 0.1 && x < width * 0.9) g[y * width + x] = 30;
  }
  return g;
}

describe('row splitting by ink profile', () => {
  it('finds the valley between two rows', () => {
    const split = splitRowsByProfile(synthPlate(120, 90, [[8, 38], [50, 82]]), 120, 90);
    expect(split.rows).toBe(2);
    if (split.rows === 2) {
      expect(split.splitY).toBeGreaterThanOrEqual(38);
      expect(split.splitY).toBeLessThanOrEqual(50);
    }
  });

  it('keeps one row when there is no valley or the crop is long', () => {
    expect(splitRowsByProfile(synthPlate(120, 90, [[10, 80]]), 120, 90).rows).toBe(1);
    expect(splitRowsByProfile(synthPlate(400, 90, [[8, 38], [50, 82]]), 400, 90).rows).toBe(1);
  });

  it('works for light text on a dark plate', () => {
    const g = synthPlate(120, 90, [[8, 38], [50, 82]]).map((v) => 255 - v);
    expect(splitRowsByProfile(g, 120, 90).rows).toBe(2);
  });

  it('ignores a solid band (vehicle body) above the plate', () => {
    const g = synthPlate(120, 100, [[30, 50], [56, 85]]);
    for (let y = 0; y < 14; y++) for (let x = 0; x < 120; x++) g[y * 120 + x] = 20;
    const split = splitRowsByProfile(g, 120, 100);
    expect(split.rows).toBe(2);
    if (split.rows === 2) expect(split.splitY).toBeGreaterThanOrEqual(49);
  });

  it('otsu separates two levels', () => {
    const t = otsuThreshold([10, 10, 10, 200, 200, 200]);
    expect(t).toBeGreaterThanOrEqual(10);
    expect(t).toBeLessThan(200);
  });
});

describe('row splitting of character boxes', () => {
  const ch = (x: number, y: number, label: string) => ({ box: { x, y, w: 10, h: 20 }, label });
  it('splits a two-row plate and orders each row left to right', () => {
    const items = [ch(40, 40, '5'), ch(0, 0, '5'), ch(20, 1, '9'), ch(0, 41, '1'), ch(20, 39, '2'), ch(40, 2, 'T')];
    const rows = groupIntoRows(items);
    expect(rows.map((r) => r.map((i) => i.label).join(''))).toEqual(['59T', '125']);
  });

  it('keeps a tilted single row together', () => {
    const items = Array.from({ length: 9 }, (_, i) => ch(i * 12, i * 4, String(i)));
    const rows = groupIntoRows(items.reverse());
    expect(rows).toHaveLength(1);
    expect(rows[0]!.map((i) => i.label).join('')).toBe('012345678');
  });

  it('handles empty and single inputs', () => {
    expect(groupIntoRows([])).toEqual([]);
    expect(groupIntoRows([ch(0, 0, 'A')])).toHaveLength(1);
  });
});
