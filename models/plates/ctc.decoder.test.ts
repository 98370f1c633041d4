import { describe, expect, it } from 'vitest';
import { ctcGreedyDecode, ppocrCharset } from './ctc.decoder.js';

// classes: 0 blank, 1 'A', 2 'B', 3 '1'
const charset = ['', 'A', 'B', '1'];
function probsFor(seq: number[], peak = 0.9): Float32Array {
  const out = new Float32Array(seq.length * 4);
  seq.forEach((c, t) => {
    for (let k = 0; k < 4; k++) out[t * 4 + k] = k === c ? peak : (1 - peak) / 3;
  });
  return out;
}

describe('greedy CTC decoding', () => {
  it('merges repeats and drops blanks', () => {
    const r = ctcGreedyDecode(probsFor([1, 1, 0, 2, 2, 2, 0, 0, 3]), 9, 4, charset);
    expect(r.map((c) => c.ch).join('')).toBe('AB1');
    expect(r[1]).toMatchObject({ stepStart: 3, stepEnd: 5 });
  });

  it('keeps a doubled character separated by a blank', () => {
    expect(ctcGreedyDecode(probsFor([1, 0, 1, 1]), 4, 4, charset).map((c) => c.ch).join('')).toBe('AA');
    expect(ctcGreedyDecode(probsFor([0, 0, 0]), 3, 4, charset)).toEqual([]);
  });

  it('keeps the best step probability and the alternatives without the blank', () => {
    const p = new Float32Array([0.1, 0.6, 0.3, 0, /* t1 */ 0.05, 0.8, 0.1, 0.05]);
    const [c] = ctcGreedyDecode(p, 2, 4, charset, { topK: 2 });
    expect(c!.ch).toBe('A');
    expect(c!.p).toBeCloseTo(0.8, 6);
    expect(c!.alts!.map((a) => a.ch)).toEqual(['A', 'B']);
  });

  it('rejects a too short buffer', () => {
    expect(() => ctcGreedyDecode(new Float32Array(3), 2, 4, charset)).toThrow(RangeError);
  });

  it('builds the PP-OCR charset: blank, lines, space', () => {
    expect(ppocrCharset('a\nb\n')).toEqual(['', 'a', 'b', ' ']);
    expect(ppocrCharset('a\r\nb')).toEqual(['', 'a', 'b', ' ']);
  });
});
