import { describe, expect, it } from 'vitest';
import type { Detection, ObjectClass } from '../domain.types.js';
import { suppressCrossClassDuplicates } from './cross-class-duplicates.js';

const d = (cls: ObjectClass, score: number, x = 10, y = 10, w = 40, h = 30): Detection => ({ cls, score, box: { x, y, w, h } });

describe('suppressCrossClassDuplicates', () => {
  it('keeps the best of a car/truck pair on the same vehicle', () => {
    const out = suppressCrossClassDuplicates([d('truck', 0.4, 11, 10), d('car', 0.8), d('bus', 0.3, 10, 11)]);
    expect(out).toEqual([d('car', 0.8)]);
  });

  it('never merges a rider with the bike, nor different classes that merely touch', () => {
    const out = suppressCrossClassDuplicates([d('person', 0.9, 10, 0, 40, 40), d('motorcycle', 0.8, 10, 5, 40, 35), d('truck', 0.6, 40, 10)]);
    expect(out.map((x) => x.cls)).toEqual(['person', 'motorcycle', 'truck']);
  });

  it('an unknown (motion) box on a classified one is the same object', () => {
    expect(suppressCrossClassDuplicates([d('unknown', 0.5, 12, 10), d('person', 0.6)]).map((x) => x.cls)).toEqual(['person']);
    expect(suppressCrossClassDuplicates([d('unknown', 0.5, 200, 10), d('person', 0.6)])).toHaveLength(2);
  });

  it('leaves same-class overlaps to the detector NMS, and can be disabled', () => {
    expect(suppressCrossClassDuplicates([d('car', 0.9), d('car', 0.8, 12, 10)])).toHaveLength(2);
    expect(suppressCrossClassDuplicates([d('car', 0.9), d('truck', 0.8)], 1.01)).toHaveLength(2);
  });
});
