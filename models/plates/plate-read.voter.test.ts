import { describe, expect, it } from 'vitest';
import { alignToReference, combinePlateReads, editDistance } from './plate-read.voter.js';

describe('plate read voting', () => {
  it('votes per position weighted by confidence', () => {
    const r = combinePlateReads([
      { normalized: '59T159973', confidence: 0.9, text: '59-T1/599.73', rows: 2 },
      { normalized: '59T159978', confidence: 0.5 },
      { normalized: '5BT159973', confidence: 0.6 },
    ])!;
    expect(r.normalized).toBe('59T159973');
    expect(r.text).toBe('59-T1/599.73');
    expect(r.rows).toBe(2);
    expect(r.agreeing).toBe(1);
    expect(r.reads).toBe(3);
  });

  it('builds a consensus no single read had', () => {
    const r = combinePlateReads([
      { normalized: 'AB1X', confidence: 0.8 },
      { normalized: 'AB2Y', confidence: 0.7 },
      { normalized: 'CD2Y', confidence: 0.3 },
      { normalized: 'AB1Y', confidence: 0.0 },
    ], { minConfidence: 0.1 })!;
    expect(r.normalized).toBe('AB2Y');
    expect(r.reads).toBe(3);
  });

  it('aligns reads of another length by edit distance', () => {
    expect(alignToReference('51A12345', '51A1245')).toEqual(['5', '1', 'A', '1', '2', null, '4', '5']);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    const r = combinePlateReads([
      { normalized: '51A12345', confidence: 0.6 },
      { normalized: '51A12845', confidence: 0.55 },
      { normalized: '51A1345', confidence: 0.9 },
      { normalized: '51A12345X', confidence: 0.2 },
    ])!;
    // the 7-character read supports the 3 at position 5 (after alignment): 0.6 + 0.45 beats 0.55
    expect(r.normalized).toBe('51A12345');
  });

  it('more agreeing reads give more confidence; none usable gives null', () => {
    const one = combinePlateReads([{ normalized: 'ABC123', confidence: 0.6 }])!;
    const three = combinePlateReads([1, 2, 3].map(() => ({ normalized: 'ABC123', confidence: 0.6 })))!;
    expect(three.confidence).toBeGreaterThan(one.confidence);
    expect(one.confidence).toBeCloseTo(0.6, 6);
    expect(combinePlateReads([{ normalized: '', confidence: 1 }])).toBeNull();
  });
});
