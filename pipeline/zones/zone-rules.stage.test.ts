import { describe, expect, it } from 'vitest';
import type { TrackedObject } from '../domain.types.js';
import { ZoneRulesStage, type CameraWithRules } from './zone-rules.stage.js';

const person = (id: string, x: number): TrackedObject => ({ trackId: id, cls: 'person', box: { x: x - 5, y: 50, w: 10, h: 40 }, score: 0.9, state: 'confirmed' });
const frame = (seq: number) => ({ capturedAt: 1_000_000 + seq * 1000, seq, width: 200, height: 100 });

describe('ZoneRulesStage', () => {
  it('keeps rule state across frames and rebuilds only when zones or rules change', () => {
    const stage = new ZoneRulesStage();
    const cam: CameraWithRules = { id: 'c1', zones: [{ id: 'Z', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }], rules: [{ type: 'loitering', zone: 'Z', minDwellSeconds: 3 }] };
    const out: number[] = [];
    for (let s = 0; s < 5; s++) if (stage.process({ ...cam }, frame(s), [person('a', 50)]).length) out.push(s);
    expect(out).toEqual([3]);
    // Same config object content: state kept (no second signal for the same stay).
    expect(stage.process(structuredClone(cam), frame(5), [person('a', 50)])).toEqual([]);
    // Changed threshold: a fresh engine, the dwell clock restarts.
    const changed = { ...cam, rules: [{ type: 'loitering' as const, zone: 'Z', minDwellSeconds: 1 }] };
    expect(stage.process(changed, frame(6), [person('a', 50)])).toEqual([]);
    expect(stage.process(changed, frame(7), [person('a', 50)])).toMatchObject([{ type: 'loitering', cameraId: 'c1', frameSeq: 7, at: 1_007_000 }]);
    // No rules: nothing to do.
    expect(stage.process({ id: 'c2', zones: [] }, frame(0), [person('a', 50)])).toEqual([]);
  });
});
