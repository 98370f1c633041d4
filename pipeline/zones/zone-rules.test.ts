import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { ZoneConfig } from '../config/camera-config.schema.js';
import type { TrackedObject } from '../domain.types.js';
import { CrowdingRule } from './crowding.rule.js';
import { LoiteringRule } from './loitering.rule.js';
import { pointInPolygon, polygonToPixels, referencePoint } from './zone-geometry.js';
import { ZoneIntrusionRule } from './zone-intrusion.rule.js';
import { ZoneRuleConfigError, ZoneRuleEngine } from './zone-rules.engine.js';
import { ZoneRulesSchema, validateZoneRuleRefs } from './zone-rules.schema.js';
import { WeeklySchedule } from './weekly-schedule.js';

const W = 1000;
const H = 500;
// Left half of the frame.
const Z1: ZoneConfig = { id: 'Z1', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] };

/** A person whose bottom-centre is at (x, y) pixels. */
function person(id: string, x: number, y: number, cls: TrackedObject['cls'] = 'person', state: TrackedObject['state'] = 'confirmed'): TrackedObject {
  return { trackId: id, cls, box: { x: x - 10, y: y - 40, w: 20, h: 40 }, score: 0.9, state };
}

function frame(at: number, objects: TrackedObject[], seq?: number) {
  return { cameraId: 'cam1', at, width: W, height: H, objects, ...(seq !== undefined ? { seq } : {}) };
}

describe('zone geometry', () => {
  it('uses the bottom-centre, clamped to the frame', () => {
    expect(referencePoint({ x: 10, y: 10, w: 20, h: 40 }, W, H)).toEqual({ x: 20, y: 50 });
    expect(referencePoint({ x: -30, y: 480, w: 20, h: 40 }, W, H)).toEqual({ x: 0, y: 500 });
  });
  it('point in polygon, edges inside, concave shapes', () => {
    const whole = polygonToPixels([[0, 0], [1, 0], [1, 1], [0, 1]], W, H);
    expect(pointInPolygon({ x: 1000, y: 500 }, whole)).toBe(true);
    expect(pointInPolygon({ x: 500, y: 250 }, whole)).toBe(true);
    expect(pointInPolygon({ x: 1001, y: 250 }, whole)).toBe(false);
    // U shape: the notch (middle top) is outside.
    const u = polygonToPixels([[0, 0], [0.3, 0], [0.3, 0.6], [0.7, 0.6], [0.7, 0], [1, 0], [1, 1], [0, 1]], W, H);
    expect(pointInPolygon({ x: 500, y: 100 }, u)).toBe(false);
    expect(pointInPolygon({ x: 500, y: 400 }, u)).toBe(true);
    expect(pointInPolygon({ x: 100, y: 100 }, u)).toBe(true);
  });
});

describe('weekly schedule', () => {
  // 2026-11-22 is a Sunday. Asia/Ho_Chi_Minh is UTC+7.
  const at = (iso: string) => Date.parse(iso);
  it('overnight window in local time, belonging to its start day', () => {
    const s = new WeeklySchedule({ windows: [{ start: '22:00', end: '05:00' }] });
    expect(s.isActive(at('2026-11-22T14:59:00Z'))).toBe(false); // 21:59 local
    expect(s.isActive(at('2026-11-22T15:00:00Z'))).toBe(true); // 22:00 local
    expect(s.isActive(at('2026-11-22T21:59:00Z'))).toBe(true); // 04:59 local next day
    expect(s.isActive(at('2026-11-22T22:00:00Z'))).toBe(false); // 05:00 local
    expect(s.isActive(at('2026-11-22T05:00:00Z'))).toBe(false); // 12:00 local
  });
  it('days and time zones', () => {
    const friNight = new WeeklySchedule({ windows: [{ days: ['fri'], start: '22:00', end: '05:00' }] });
    // Friday 2026-11-20 23:00 local = 16:00Z; Saturday 03:00 local = Fri 20:00Z; Saturday 23:00 local is not active.
    expect(friNight.isActive(at('2026-11-20T16:00:00Z'))).toBe(true);
    expect(friNight.isActive(at('2026-11-20T20:00:00Z'))).toBe(true);
    expect(friNight.isActive(at('2026-11-21T16:00:00Z'))).toBe(false);
    const utc = new WeeklySchedule({ timeZone: 'UTC', windows: [{ start: '09:00', end: '17:00' }] });
    expect(utc.isActive(at('2026-11-22T09:00:00Z'))).toBe(true);
    expect(utc.isActive(at('2026-11-22T17:00:00Z'))).toBe(false);
    expect(() => new WeeklySchedule({ timeZone: 'Mars/Olympus', windows: [{ start: '09:00', end: '17:00' }] })).toThrow(/time zone/);
    expect(() => new WeeklySchedule({ windows: [{ start: '9:00', end: '17:00' }] })).toThrow(/HH:MM/);
  });
});

describe('ZoneIntrusionRule', () => {
  it('raises once per entry of a chosen class, after minInsideFrames, re-arming after rearmSeconds', () => {
    const rule = new ZoneIntrusionRule({ zone: Z1, classes: ['person'], minInsideFrames: 2, rearmSeconds: 5 });
    const out: number[] = [];
    const seq = [
      [person('a', 700, 300), person('c', 100, 300, 'car')], // a outside; car inside but not chosen
      [person('a', 400, 300)], // a inside (1)
      [person('a', 300, 300)], // a inside (2) → raise
      [person('a', 200, 300)],
      [person('a', 600, 300)], // out
      [person('a', 400, 300)], // back in after 1 s: not re-armed
      [person('a', 400, 300)],
    ];
    seq.forEach((objs, i) => {
      for (const s of rule.process(frame(i * 1000, objs, i))) {
        expect(s).toMatchObject({ type: 'zone_intrusion', cameraId: 'cam1', zoneId: 'Z1', trackIds: ['a'], frameSeq: i });
        out.push(i);
      }
    });
    expect(out).toEqual([2]);
    // Away 6 s, then back for two frames: raises again.
    rule.process(frame(12_000, [person('a', 600, 300)]));
    expect(rule.process(frame(13_000, [person('a', 400, 300)]))).toEqual([]);
    expect(rule.process(frame(14_000, [person('a', 400, 300)]))).toHaveLength(1);
  });
  it('ignores tentative/lost tracks by default and a flicker of one frame', () => {
    const rule = new ZoneIntrusionRule({ zone: Z1 });
    expect(rule.process(frame(0, [person('a', 100, 100, 'person', 'tentative')]))).toEqual([]);
    expect(rule.process(frame(100, [person('a', 100, 100, 'person', 'lost')]))).toEqual([]);
    expect(rule.process(frame(200, [person('a', 100, 100)]))).toEqual([]);
    expect(rule.process(frame(300, [person('a', 900, 100)]))).toEqual([]);
    expect(rule.process(frame(400, [person('a', 100, 100)]))).toEqual([]);
  });
  it('only inside the schedule; a track already inside raises when the window opens', () => {
    const rule = new ZoneIntrusionRule({ zone: Z1, minInsideFrames: 1, schedule: { timeZone: 'UTC', windows: [{ start: '22:00', end: '05:00' }] } });
    const t = Date.parse('2026-11-22T21:59:58Z');
    expect(rule.process(frame(t, [person('a', 100, 100)]))).toEqual([]);
    expect(rule.process(frame(t + 1000, [person('a', 100, 100)]))).toEqual([]);
    const s = rule.process(frame(t + 2000, [person('a', 100, 100)]));
    expect(s).toHaveLength(1);
    expect(s[0]!.details).toMatchObject({ timeZone: 'UTC', classes: ['person'] });
  });
});

describe('LoiteringRule', () => {
  it('raises when the dwell reaches minDwell, tolerating short gaps', () => {
    const rule = new LoiteringRule({ zone: Z1, minDwellSeconds: 10, maxGapSeconds: 2 });
    const raisedAt: number[] = [];
    for (let t = 0; t <= 20_000; t += 500) {
      // Occluded (absent) from 4 s to 5.5 s: shorter than the 2 s gap tolerance.
      const objs = t > 4000 && t < 5500 ? [] : [person('p', 100, 200)];
      for (const s of rule.process(frame(t, objs))) {
        raisedAt.push(t);
        expect(s.details).toMatchObject({ dwellSeconds: 10, enteredAt: 0 });
      }
    }
    expect(raisedAt).toEqual([10_000]);
  });
  it('a gap longer than maxGap restarts the clock; short stays never raise; vehicles ignored by default', () => {
    const rule = new LoiteringRule({ zone: Z1, minDwellSeconds: 5, maxGapSeconds: 1 });
    const raised: number[] = [];
    for (let t = 0; t <= 12_000; t += 500) {
      const inZone = t < 4000 || t >= 6000; // out for 2 s
      const objs = [inZone ? person('p', 100, 200) : person('p', 900, 200), person('car', 100, 200, 'car')];
      if (rule.process(frame(t, objs)).length) raised.push(t);
    }
    expect(raised).toEqual([11_000]);
    expect(rule.dwellSeconds('p')).toBe(6);
  });
});

describe('CrowdingRule', () => {
  const crowd = (n: number) => Array.from({ length: n }, (_, i) => person(`p${i}`, 50 + i * 10, 300));
  it('raises after the count stays above maxPeople for the duration, once per episode with hysteresis', () => {
    const rule = new CrowdingRule({ zone: Z1, maxPeople: 3, minDurationSeconds: 2, clearAtOrBelow: 2, clearSeconds: 3 });
    // counts per second
    const counts = [2, 4, 4, 2, 4, 4, 4, 5, 3, 2, 4, 2, 2, 2, 2, 4, 4, 4];
    const raised: number[] = [];
    counts.forEach((n, i) => {
      for (const s of rule.process(frame(i * 1000, crowd(n)))) {
        raised.push(i);
        expect(s.details).toMatchObject({ maxPeople: 3 });
      }
    });
    // 1–2: only 1 s above; 4–6 above for 2 s → raise at 6; 8 (3) is not low enough to clear, 9 (2) starts
    // clearing, 10 (4) cancels it; 11–14 low for 3 s → cleared at 14; 15–17 → raise at 17.
    expect(raised).toEqual([6, 17]);
  });
});

describe('ZoneRuleEngine and the rules schema', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(ZoneRulesSchema);
  it('validates rule lists strictly', () => {
    expect(validate([{ type: 'loitering', zone: 'Z1', minDwellSeconds: 60 }])).toBe(true);
    expect(validate([{ type: 'zone_intrusion', zone: 'Z1', schedule: { windows: [{ start: '22:00', end: '05:00', days: ['fri'] }] } }])).toBe(true);
    expect(validate([{ type: 'crowding', zone: 'Z1', maxPeople: 5 }])).toBe(true);
    expect(validate([{ type: 'loitering', zone: 'Z1' }])).toBe(false);
    expect(validate([{ type: 'loitering', zone: 'Z1', minDwellSeconds: 60, bogus: 1 }])).toBe(false);
    expect(validate([{ type: 'zone_intrusion', zone: 'Z1', schedule: { windows: [{ start: '25:00', end: '05:00' }] } }])).toBe(false);
    expect(validate([{ type: 'teleport', zone: 'Z1' }])).toBe(false);
    expect(validateZoneRuleRefs([{ type: 'crowding', zone: 'Z9', maxPeople: 2, clearAtOrBelow: 3 }, { type: 'crowding', zone: 'Z9', maxPeople: 1 }], ['Z1'])).toEqual([
      { path: 'rules[0].zone', message: 'unknown zone "Z9"' },
      { path: 'rules[0].clearAtOrBelow', message: 'must not exceed maxPeople' },
      { path: 'rules[1].zone', message: 'unknown zone "Z9"' },
      { path: 'rules[1].id', message: 'duplicate rule id "crowding:Z9"' },
    ]);
  });
  it('runs every rule of a camera on each frame', () => {
    const engine = new ZoneRuleEngine({
      cameraId: 'cam7',
      zones: [Z1],
      rules: [
        { type: 'zone_intrusion', zone: 'Z1', minInsideFrames: 1 },
        { type: 'loitering', zone: 'Z1', minDwellSeconds: 1 },
        { type: 'crowding', zone: 'Z1', maxPeople: 1, minDurationSeconds: 0 },
      ],
    });
    const objs = [person('a', 100, 100), person('b', 200, 100)];
    const first = engine.process({ at: 0, seq: 0, width: W, height: H, objects: objs });
    expect(first.map((s) => s.type).sort()).toEqual(['crowding', 'zone_intrusion']);
    expect(first.every((s) => s.cameraId === 'cam7')).toBe(true);
    const later = engine.process({ at: 1000, seq: 1, width: W, height: H, objects: objs });
    expect(later.map((s) => s.type)).toEqual(['loitering', 'loitering']);
    expect(() => new ZoneRuleEngine({ cameraId: 'c', zones: [], rules: [{ type: 'loitering', zone: 'Z1', minDwellSeconds: 1 }] })).toThrow(ZoneRuleConfigError);
  });
});
