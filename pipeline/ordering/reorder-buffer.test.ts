import { describe, expect, it } from 'vitest';
import { ReorderBuffer } from './reorder-buffer.js';

function clock(start = 0) {
  let t = start;
  return { now: () => t, set: (v: number) => (t = v) };
}

describe('ReorderBuffer', () => {
  it('releases results in seq order whatever the arrival order', () => {
    const c = clock();
    const rb = new ReorderBuffer<string>({ now: c.now });
    rb.push(2, 'c');
    rb.push(1, 'b');
    expect(rb.drain()).toEqual([]);
    rb.push(0, 'a');
    expect(rb.drain()).toEqual(['a', 'b', 'c']);
    rb.push(4, 'e');
    rb.push(3, 'd');
    expect(rb.drain()).toEqual(['d', 'e']);
    expect(rb.stats()).toMatchObject({ nextSeq: 5, buffered: 0, released: 5 });
  });

  it('ignores and counts duplicates and late results', () => {
    const rb = new ReorderBuffer<string>({ now: () => 0 });
    expect(rb.push(1, 'b1')).toBe('accepted');
    expect(rb.push(1, 'b2')).toBe('duplicate');
    expect(rb.push(0, 'a')).toBe('accepted');
    expect(rb.push(0, 'a again')).toBe('late');
    expect(rb.drain()).toEqual(['a', 'b1']);
    expect(rb.push(1, 'b3')).toBe('late');
    expect(rb.stats()).toMatchObject({ duplicates: 1, late: 2 });
  });

  it('moves past skipped seqs without waiting and without output', () => {
    const rb = new ReorderBuffer<string>({ now: () => 0 });
    rb.push(0, 'a');
    rb.push(2, 'c');
    rb.skip(1);
    expect(rb.drain()).toEqual(['a', 'c']);
    expect(rb.skip(1)).toBe('late');
    expect(rb.push(1, 'b')).toBe('late');
    expect(rb.stats()).toMatchObject({ skipped: 1, givenUp: 0 });
  });

  it('gives up a missing seq after the gap timeout, counted from the first later arrival', () => {
    const c = clock(1000);
    const rb = new ReorderBuffer<string>({ gapTimeoutMs: 500, now: c.now });
    rb.push(0, 'a');
    expect(rb.drain()).toEqual(['a']);
    c.set(1100);
    rb.push(2, 'c'); // seq 1 is missing from now on
    c.set(1200);
    rb.push(3, 'd');
    c.set(1599);
    expect(rb.drain()).toEqual([]);
    c.set(1600);
    expect(rb.drain()).toEqual(['c', 'd']);
    expect(rb.takeGivenUp()).toEqual([1]);
    expect(rb.takeGivenUp()).toEqual([]);
    // The lost job finally answers: too late, ignored.
    expect(rb.push(1, 'b')).toBe('late');
    expect(rb.stats()).toMatchObject({ givenUp: 1, late: 1, nextSeq: 4 });
  });

  it('gives up several consecutive missing seqs at once, and a later gap that is already overdue too', () => {
    const c = clock(0);
    const rb = new ReorderBuffer<number>({ gapTimeoutMs: 100, now: c.now });
    rb.push(3, 3); // 0, 1, 2 missing
    rb.push(5, 5); // 4 missing
    c.set(100);
    expect(rb.drain()).toEqual([3, 5]);
    expect(rb.takeGivenUp()).toEqual([0, 1, 2, 4]);
  });

  it('does not give up a missing seq while nothing later waits (nothing is stalled)', () => {
    const c = clock(0);
    const rb = new ReorderBuffer<number>({ gapTimeoutMs: 10, now: c.now });
    rb.push(0, 0);
    c.set(1_000_000);
    expect(rb.drain()).toEqual([0]);
    expect(rb.takeGivenUp()).toEqual([]);
    rb.push(1, 1);
    expect(rb.drain(1_000_001)).toEqual([1]);
  });

  it('stays bounded: beyond maxBuffered the oldest gap is given up without waiting', () => {
    const rb = new ReorderBuffer<number>({ gapTimeoutMs: 1e9, maxBuffered: 3, now: () => 0 });
    rb.push(1, 1);
    rb.push(2, 2);
    rb.push(3, 3);
    expect(rb.stats().buffered).toBe(3);
    rb.push(4, 4); // over the bound: seq 0 is given up
    expect(rb.stats().buffered).toBe(0);
    expect(rb.drain()).toEqual([1, 2, 3, 4]);
    expect(rb.takeGivenUp()).toEqual([0]);
  });

  it('accepts an explicit time and a start seq', () => {
    const rb = new ReorderBuffer<string>({ startSeq: 10, gapTimeoutMs: 50 });
    rb.push(11, 'b', 0);
    expect(rb.drain(49)).toEqual([]);
    expect(rb.drain(50)).toEqual(['b']);
    expect(rb.takeGivenUp()).toEqual([10]);
  });
});
