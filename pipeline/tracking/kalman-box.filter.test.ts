import { describe, expect, it } from 'vitest';
import { boxToMeasurement, KalmanBoxFilter, meanToBox } from './kalman-box.filter.js';
import { linearAssignment } from './linear-assignment.js';
import { identity, invert, multiply } from './small-matrix.js';

const box = (cx: number, cy: number, w = 40, h = 20) => ({ x: cx - w / 2, y: cy - h / 2, w, h });

describe('KalmanBoxFilter', () => {
  const kf = new KalmanBoxFilter();

  it('round-trips a box through the measurement space', () => {
    const b = { x: 10, y: 20, w: 40, h: 20 };
    expect(boxToMeasurement(b)).toEqual([30, 30, 40, 20]);
    const m = meanToBox([30, 30, 40, 20, 0, 0, 0, 0]);
    expect(m).toEqual(b);
  });

  it('initiates at the box with zero velocity, and predict without velocity keeps the box but grows uncertainty', () => {
    const s = kf.initiate(box(100, 50));
    expect(s.mean.slice(0, 4)).toEqual([100, 50, 40, 20]);
    expect(s.mean.slice(4)).toEqual([0, 0, 0, 0]);
    const p = kf.predict(s, 0.2);
    expect(p.mean.slice(0, 4)).toEqual([100, 50, 40, 20]);
    expect(p.covariance[0]![0]!).toBeGreaterThan(s.covariance[0]![0]!);
    // dt <= 0 changes nothing (a frame time that did not advance)
    expect(kf.predict(s, 0)).toEqual(s);
  });

  it('learns a constant velocity from a few updates and predicts ahead in time', () => {
    let s = kf.initiate(box(100, 50));
    const vx = 150; // px/s, 7.5 box heights per second: a fast car
    const dt = 0.2; // 5 fps
    for (let k = 1; k <= 6; k++) {
      s = kf.predict(s, dt);
      s = kf.update(s, box(100 + vx * dt * k, 50));
    }
    expect(s.mean[4]!).toBeGreaterThan(vx * 0.9);
    expect(s.mean[4]!).toBeLessThan(vx * 1.1);
    expect(Math.abs(s.mean[5]!)).toBeLessThan(5);
    const ahead = kf.predict(s, 0.4);
    expect(ahead.mean[0]!).toBeCloseTo(100 + vx * 1.6, -1);
  });

  it('the second detection already sets most of the velocity at low fps (IoU association needs it)', () => {
    let s = kf.initiate(box(100, 50));
    s = kf.update(kf.predict(s, 0.5), box(160, 50)); // 2 fps, 120 px/s
    expect(s.mean[4]!).toBeGreaterThan(100);
  });

  it('follows a fast change of box shape (an object entering the frame) within a few frames', () => {
    // Seen at 5 fps: a wide sliver at the bottom edge growing into a tall box (w/h 3.9 → 0.9 in 1.2 s).
    const seen = [
      { x: 304, y: 392, w: 156, h: 40 },
      { x: 288, y: 360, w: 184, h: 72 },
      { x: 260, y: 316, w: 224, h: 116 },
      { x: 248, y: 284, w: 236, h: 148 },
      { x: 244, y: 240, w: 240, h: 192 },
      { x: 240, y: 212, w: 244, h: 220 },
      { x: 244, y: 172, w: 236, h: 260 },
    ];
    let s = kf.initiate(seen[0]!);
    for (const b of seen.slice(1)) s = kf.update(kf.predict(s, 0.2), b);
    const out = meanToBox(s.mean);
    expect(out.w).toBeGreaterThan(236 * 0.8);
    expect(out.w).toBeLessThan(236 * 1.25);
    expect(out.h).toBeGreaterThan(260 * 0.8);
    expect(out.h).toBeLessThan(260 * 1.25);
  });

  it('update pulls the state towards the measurement and shrinks the covariance', () => {
    const s = kf.predict(kf.initiate(box(100, 50)), 0.2);
    const u = kf.update(s, box(104, 50));
    expect(u.mean[0]!).toBeGreaterThan(100);
    expect(u.mean[0]!).toBeLessThanOrEqual(104);
    expect(u.covariance[0]![0]!).toBeLessThan(s.covariance[0]![0]!);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(u.covariance[i]![j]).toBeCloseTo(u.covariance[j]![i]!, 9);
  });
});

describe('small matrices', () => {
  it('inverts', () => {
    const a = [
      [4, 1, 0],
      [1, 3, 1],
      [0, 1, 2],
    ];
    const p = multiply(a, invert(a));
    const i3 = identity(3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(p[i]![j]).toBeCloseTo(i3[i]![j]!, 12);
    expect(() =>
      invert([
        [1, 2],
        [2, 4],
      ]),
    ).toThrow(/singular/);
  });
});

describe('linearAssignment', () => {
  it('finds the minimum total cost, not the greedy one', () => {
    // Greedy would take (0,0)=0.1 and then be forced into (1,1)=0.9; optimal is (0,1)+(1,0) = 0.4.
    const r = linearAssignment(
      [
        [0.1, 0.2],
        [0.2, 0.9],
      ],
      1,
    );
    expect(r.matches.sort()).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('never matches above the limit and reports the unmatched', () => {
    const r = linearAssignment(
      [
        [0.9, 0.3, Infinity],
        [0.95, 0.99, 0.85],
      ],
      0.8,
    );
    expect(r.matches).toEqual([[0, 1]]);
    expect(r.unmatchedRows).toEqual([1]);
    expect(r.unmatchedCols).toEqual([0, 2]);
  });

  it('is optimal: matches brute force on random matrices (with infeasible pairs and separate clusters)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const limit = 0.7;
    for (let trial = 0; trial < 200; trial++) {
      const rows = 1 + Math.floor(rand() * 5);
      const cols = 1 + Math.floor(rand() * 5);
      const cost = Array.from({ length: rows }, () => Array.from({ length: cols }, () => (rand() < 0.3 ? Infinity : rand())));
      // Brute force: every partial injective map rows → cols ∪ {none}; unmatched pair costs limit (limit/2 each side).
      let best = Infinity;
      const rec = (i: number, used: Set<number>, acc: number): void => {
        if (i === rows) {
          best = Math.min(best, acc + ((cols - used.size) * limit) / 2);
          return;
        }
        rec(i + 1, used, acc + limit / 2);
        for (let j = 0; j < cols; j++) {
          if (used.has(j) || !(cost[i]![j]! <= limit)) continue;
          used.add(j);
          rec(i + 1, used, acc + cost[i]![j]!);
          used.delete(j);
        }
      };
      rec(0, new Set(), 0);
      const r = linearAssignment(cost, limit);
      const total = r.matches.reduce((s, [i, j]) => s + cost[i]![j]!, 0) + ((r.unmatchedRows.length + r.unmatchedCols.length) * limit) / 2;
      expect(total).toBeCloseTo(best, 9);
      expect(r.matches.every(([i, j]) => cost[i]![j]! <= limit)).toBe(true);
    }
  });

  it('handles empty sides', () => {
    expect(linearAssignment([], 1)).toEqual({ matches: [], unmatchedRows: [], unmatchedCols: [] });
    expect(linearAssignment([[], []], 1)).toEqual({ matches: [], unmatchedRows: [0, 1], unmatchedCols: [] });
  });
});
