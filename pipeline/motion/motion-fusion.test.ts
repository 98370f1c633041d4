import { describe, expect, it } from 'vitest';
import type { Box, Detection, ObjectClass } from '../domain.types.js';
import { ByteTracker } from '../tracking/byte.tracker.js';
import { fuseMotion, isExplained, unionArea } from './motion-fusion.js';
import type { MotionBlob } from './motion.detector.js';

const blob = (box: Box, fill = 0.8): MotionBlob => ({ box, area: (box.w * box.h * fill) / (1280 * 720), fill });
const det = (box: Box, score: number, cls: ObjectClass = 'car'): Detection => ({ box, score, cls });

describe('fuseMotion', () => {
  it('returns the detections unchanged when there is no blob', () => {
    const d = [det({ x: 0, y: 0, w: 10, h: 10 }, 0.9)];
    expect(fuseMotion(d, [])).toEqual(d);
  });

  it('adds nothing for a blob a confident detection covers', () => {
    const d = [det({ x: 100, y: 100, w: 80, h: 60 }, 0.8)];
    // The blob is a bit larger (shadow) and shifted: still mostly covered.
    expect(fuseMotion(d, [blob({ x: 95, y: 105, w: 95, h: 65 })])).toEqual(d);
  });

  it('turns an unexplained blob into an unknown detection that can start a track', () => {
    const b = { x: 300, y: 200, w: 120, h: 70 };
    const out = fuseMotion([], [blob(b)]);
    expect(out).toEqual([{ box: b, score: expect.any(Number) as number, cls: 'unknown' }]);
    const tracker = new ByteTracker({ idPrefix: 't' });
    expect(out[0]!.score).toBeGreaterThanOrEqual(tracker.options.newTrackMinScore);
    expect(out[0]!.score).toBeGreaterThanOrEqual(tracker.options.highScore);
    // Not mutated through the output.
    out[0]!.box.x = 0;
    expect(b.x).toBe(300);
  });

  it('a large blob holding several detected people creates no extra object', () => {
    const people = [det({ x: 100, y: 100, w: 30, h: 80 }, 0.8, 'person'), det({ x: 200, y: 110, w: 30, h: 80 }, 0.7, 'person')];
    const group = blob({ x: 90, y: 95, w: 300, h: 120 }, 0.4);
    expect(fuseMotion(people, [group])).toEqual(people);
  });

  it('confident detections explain a blob together (union coverage), not only one by one', () => {
    const b = { x: 0, y: 0, w: 100, h: 100 };
    // Each covers 30 % of the blob and sticks far out of it (so neither lies mostly inside it).
    const left = det({ x: -200, y: 0, w: 230, h: 100 }, 0.6);
    const right = det({ x: 70, y: 0, w: 230, h: 100 }, 0.6);
    expect(isExplained(b, [left])).toBe(false);
    expect(isExplained(b, [left, right])).toBe(true);
    expect(fuseMotion([left, right], [blob(b)])).toHaveLength(2);
  });

  it('weak detections never explain a blob (below explainMinScore)', () => {
    const b = { x: 300, y: 200, w: 100, h: 60 };
    const weakPerson = det({ x: 330, y: 150, w: 20, h: 60 }, 0.2, 'person'); // poor fit: keeps its own box
    const out = fuseMotion([weakPerson], [blob(b)]);
    expect(out).toHaveLength(2);
    expect(out).toContainEqual(weakPerson);
    expect(out.find((d) => d !== weakPerson)?.cls).toBe('unknown');
  });

  it('a weak vehicle detection fitting the blob lends its class (blob box) and is replaced', () => {
    const b = { x: 300, y: 200, w: 100, h: 60 };
    const weakTruck = det({ x: 305, y: 195, w: 95, h: 70 }, 0.12, 'truck');
    const weakCar = det({ x: 310, y: 205, w: 90, h: 50 }, 0.08, 'car');
    const out = fuseMotion([weakTruck, weakCar], [blob(b)]);
    // The better fit × score (truck) lends; the other weak box stays as it was (the stage drops it by score).
    expect(out).toHaveLength(2);
    expect(out).toContainEqual(weakCar);
    const lent = out.find((d) => d !== weakCar)!;
    expect(lent.cls).toBe('truck');
    expect(lent.box).toEqual(b);
    expect(lent.score).toBeGreaterThan(fuseMotion([], [blob(b)])[0]!.score);
    // Or with the detector's box, when asked.
    const withDetBox = fuseMotion([weakTruck], [blob(b)], { lentBox: 'detection' });
    expect(withDetBox).toEqual([{ box: weakTruck.box, score: lent.score, cls: 'truck' }]);
  });

  it('one weak detection lends to one blob only; a class outside lendClasses does not lend', () => {
    const b1 = { x: 0, y: 0, w: 100, h: 100 };
    const b2 = { x: 5, y: 5, w: 100, h: 100 };
    const weak = det({ x: 2, y: 2, w: 100, h: 100 }, 0.2, 'bus');
    const out = fuseMotion([weak], [blob(b1), blob(b2)]);
    expect(out.map((d) => d.cls).sort()).toEqual(['bus', 'unknown']);
    const onlyCars = fuseMotion([weak], [blob(b1)], { lendClasses: ['car'] });
    expect(onlyCars.map((d) => d.cls).sort()).toEqual(['bus', 'unknown']);
  });

  it('drops thin or ragged blobs', () => {
    expect(fuseMotion([], [blob({ x: 0, y: 0, w: 400, h: 20 })])).toEqual([]); // aspect 20
    expect(fuseMotion([], [blob({ x: 0, y: 0, w: 100, h: 100 }, 0.1)])).toEqual([]); // fill 0.1
  });

  it('explainMinScore follows the camera minScore when given', () => {
    const b = { x: 0, y: 0, w: 100, h: 100 };
    const d = det({ x: 0, y: 0, w: 100, h: 100 }, 0.4);
    expect(fuseMotion([d], [blob(b)], { explainMinScore: 0.3 })).toEqual([d]);
    expect(fuseMotion([d], [blob(b)], { explainMinScore: 0.5 }).map((x) => x.cls)).toEqual(['car']);
    expect(fuseMotion([d], [blob(b)], { explainMinScore: 0.5 })[0]!.score).toBeGreaterThan(0.5);
  });
});

describe('unionArea', () => {
  it('counts overlaps once', () => {
    expect(unionArea([])).toBe(0);
    expect(unionArea([{ x: 0, y: 0, w: 10, h: 10 }])).toBe(100);
    expect(unionArea([{ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 5, w: 10, h: 10 }])).toBe(175);
    expect(unionArea([{ x: 0, y: 0, w: 10, h: 10 }, { x: 2, y: 2, w: 2, h: 2 }])).toBe(100);
  });
});
