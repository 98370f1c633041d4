import { describe, expect, it } from 'vitest';
import { CAMERA_DEFAULTS, type CameraConfig } from '../config/camera-config.schema.js';
import type { Detection, FrameDetections } from '../domain.types.js';
import type { ZoneRuleConfig } from '../zones/zone-rules.schema.js';
import { CameraAnalysisStage } from './camera-analysis.stage.js';

const camera = (over: Partial<CameraConfig> = {}): CameraConfig => ({
  id: 'cam1',
  name: 'cam1',
  url: 'file:///dev/null',
  enabled: true,
  group: null,
  ...CAMERA_DEFAULTS,
  // Vertical line at x = 0.625 drawn bottom → top: left-to-right traffic is forward.
  lines: [{ id: 'L1', points: [[0.625, 1], [0.625, 0]] }],
  zones: [],
  ...over,
});

const car = (cx: number, cy: number, score = 0.9, cls: Detection['cls'] = 'car'): Detection => ({
  box: { x: cx - 25, y: cy - 15, w: 50, h: 30 },
  score,
  cls,
});

function frame(seq: number, detections: Detection[], extra: Partial<FrameDetections> = {}): FrameDetections {
  return {
    cameraId: 'cam1',
    epoch: 'ep',
    seq,
    ptsMs: seq * 200,
    capturedAt: 1_700_000_000_000 + seq * 200,
    width: 640,
    height: 360,
    frameKey: `f/${seq}`,
    detections,
    inferenceMs: 5,
    workerId: 'w',
    ...extra,
  };
}

describe('CameraAnalysisStage', () => {
  it('tracks, converts the normalised line to pixels, counts once and reports the ended track', () => {
    const stage = new CameraAnalysisStage(camera(), 'ep');
    const crossings = [];
    const ids = new Set<string>();
    // Two cars: one crosses x = 400 px left → right, one moves right → left on another lane but stops short.
    for (let k = 0; k < 15; k++) {
      const out = stage.process(frame(k, [car(300 + 15 * k, 100), car(620 - 10 * k, 250)]));
      crossings.push(...out.crossings);
      out.tracks.forEach((t) => ids.add(t.trackId));
      expect(out.endedTracks).toEqual([]);
    }
    expect([...ids].sort()).toEqual(['cam1:ep:1', 'cam1:ep:2']);
    expect(crossings).toHaveLength(1);
    expect(crossings[0]).toMatchObject({ id: 'cam1:ep:L1:cam1:ep:1', direction: 'forward', cls: 'car', lineId: 'L1' });
    expect(crossings[0]!.frame).not.toHaveProperty('detections');
    expect(stage.countsSummary()).toEqual({ lines: [{ id: 'L1', total: 1, byClass: { car: 1 }, byDirection: { forward: 1, backward: 0 } }] });
    const fin = stage.finish();
    expect(fin.endedTracks.map((t) => t.trackId).sort()).toEqual(['cam1:ep:1', 'cam1:ep:2']);
    const t1 = fin.endedTracks.find((t) => t.trackId === 'cam1:ep:1')!;
    expect(t1).toMatchObject({ cameraId: 'cam1', cls: 'car', frames: 15, ended: true, firstSeenAt: 1_700_000_000_000 });
    expect(t1.path[0]).toEqual({ t: 1_700_000_000_000, x: 300, y: 115 });
  });

  it('ignores detections below the camera minScore and skipped frames', () => {
    const stage = new CameraAnalysisStage(camera({ minScore: 0.6 }), 'ep');
    expect(stage.process(frame(0, [car(100, 100, 0.55)])).tracks).toEqual([]);
    expect(stage.process(frame(1, [car(100, 100, 0.7)])).tracks).toHaveLength(1);
    expect(stage.process(frame(2, [], { skipped: 'frame expired' }))).toEqual({ tracks: [], crossings: [], endedTracks: [], signals: [] });
    expect(stage.stats().framesProcessed).toBe(2);
  });

  it('honours crossingConfirmFrames and the line class filter', () => {
    // The schema's Static type of `classes` is currently never[] (TypeBox cannot infer a mapped union), hence the cast.
    const classes = ['truck'] as CameraConfig['lines'][number]['classes'];
    const cam = camera({ crossingConfirmFrames: 4, lines: [{ id: 'L1', points: [[0.625, 1], [0.625, 0]], classes }] });
    const stage = new CameraAnalysisStage(cam, 'ep');
    const seqOfCrossing: number[] = [];
    for (let k = 0; k < 12; k++) {
      const out = stage.process(frame(k, [car(340 + 15 * k, 100, 0.9, 'truck'), car(340 + 15 * k, 250, 0.9, 'car')]));
      seqOfCrossing.push(...out.crossings.map((c) => c.frame.seq));
    }
    // bottom-centre passes x = 400 between k = 4 (400 on the line) and k = 5 (415); confirmed 4 frames later.
    expect(seqOfCrossing).toEqual([8]);
    expect(stage.countsSummary().lines[0]).toMatchObject({ total: 1, byClass: { truck: 1 } });
  });

  it('rescales the lines when the frame size changes', () => {
    const stage = new CameraAnalysisStage(camera({ crossingConfirmFrames: 1 }), 'ep');
    // At 1280x720 the line is at x = 800.
    const xs = [700, 760, 790, 820];
    const n = xs.flatMap((x, k) => stage.process(frame(k, [car(x, 300)], { width: 1280, height: 720 })).crossings).length;
    expect(n).toBe(1);
  });

  it('runs the zone rules on the tracked objects (loitering on capture time)', () => {
    const cam = camera({ zones: [{ id: 'Z1', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }] });
    const classes = ['person'] as ZoneRuleConfig['classes']; // never[] in the schema's Static type, see above
    const stage = new CameraAnalysisStage(cam, 'ep', { zoneRules: [{ type: 'loitering', zone: 'Z1', minDwellSeconds: 2, classes }] });
    const signals = [];
    for (let k = 0; k < 20; k++) {
      // A person standing still in the left half for 4 s (5 fps), and a car passing through it.
      signals.push(...stage.process(frame(k, [car(100, 200, 0.9, 'person'), car(20 + 20 * k, 300)])).signals);
    }
    expect(signals.map((s) => s.type)).toEqual(['loitering']);
    expect(signals[0]).toMatchObject({ cameraId: 'cam1', zoneId: 'Z1', trackIds: ['cam1:ep:1'] });
    expect(new CameraAnalysisStage(camera(), 'ep').process(frame(0, [car(1, 1)])).signals).toEqual([]);
  });
});
