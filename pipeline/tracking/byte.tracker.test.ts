import { describe, expect, it } from 'vitest';
import type { Detection, ObjectClass } from '../domain.types.js';
import { ByteTracker, type TrackerUpdate } from './byte.tracker.js';

const det = (cx: number, cy: number, score = 0.9, cls: ObjectClass = 'car', w = 40, h = 20): Detection => ({
  box: { x: cx - w / 2, y: cy - h / 2, w, h },
  score,
  cls,
});

function run(tracker: ByteTracker, frames: Array<{ t: number; dets: Detection[] }>): TrackerUpdate[] {
  return frames.map((f) => tracker.update(f.dets, f.t));
}

describe('ByteTracker', () => {
  it('keeps one id for a steadily moving object; ids carry the prefix', () => {
    const tr = new ByteTracker({ idPrefix: 'cam1:e1' });
    const outs = run(
      tr,
      Array.from({ length: 30 }, (_, k) => ({ t: k * 33, dets: [det(100 + 3 * k, 100)] })),
    );
    const ids = new Set(outs.flatMap((o) => o.active.map((a) => a.trackId)));
    expect([...ids]).toEqual(['cam1:e1:1']);
    expect(outs[0]!.active[0]!.state).toBe('confirmed'); // first frame: confirmed at once (ByteTrack)
  });

  it('births are tentative, then confirmed; one-frame noise never becomes a track', () => {
    const tr = new ByteTracker({ idPrefix: 'c:e' });
    tr.update([], 0); // first frame empty
    const a = tr.update([det(50, 50)], 200);
    expect(a.active[0]!.state).toBe('tentative');
    const b = tr.update([det(55, 50)], 400);
    expect(b.active[0]!.state).toBe('confirmed');
    expect(b.active[0]!.trackId).toBe(a.active[0]!.trackId);

    const noise = tr.update([det(55 + 5, 50), det(400, 300)], 600);
    expect(noise.active.find((x) => x.box.x > 300)!.state).toBe('tentative');
    const after = tr.update([det(65, 50)], 800);
    const removedNoise = after.removed.find((r) => r.lastBox.x > 300)!;
    expect(removedNoise.confirmed).toBe(false);
  });

  it('deaths: a vanished track is lost, then removed after maxLostMs, with its path', () => {
    const tr = new ByteTracker({ idPrefix: 'c:e', maxLostMs: 1000 });
    for (let k = 0; k < 5; k++) tr.update([det(100 + 10 * k, 100)], k * 200);
    const lost = tr.update([], 1000);
    expect(lost.active).toEqual([]);
    expect(lost.lost.map((l) => l.state)).toEqual(['lost']);
    expect(tr.update([], 1800).removed).toEqual([]); // 1000 ms since last seen at 800: still kept
    const gone = tr.update([], 2000);
    expect(gone.removed).toHaveLength(1);
    const info = gone.removed[0]!;
    expect(info).toMatchObject({ trackId: 'c:e:1', cls: 'car', confirmed: true, hits: 5, firstSeenAt: 0, lastSeenAt: 800 });
    expect(info.path).toHaveLength(5);
    expect(info.path[0]).toEqual({ t: 0, x: 100, y: 110 }); // bottom-centre
    expect(tr.trackCount).toBe(0);
  });

  it('bridges a short occlusion: the prediction keeps moving and the same id comes back', () => {
    const tr = new ByteTracker({ idPrefix: 'c:e' });
    const dt = 200; // 5 fps
    const v = 30; // px per frame (0.75 box widths)
    const ids: string[] = [];
    for (let k = 0; k < 20; k++) {
      const occluded = k >= 8 && k <= 11; // 4 frames, 0.8 s
      const out = tr.update(occluded ? [] : [det(50 + v * k, 100)], k * dt);
      ids.push(...out.active.map((a) => a.trackId));
    }
    expect(new Set(ids)).toEqual(new Set(['c:e:1']));
    expect(ids).toHaveLength(16);
  });

  it('follows fast objects at 2 fps, including newborn ones, thanks to the centre-distance fallback', () => {
    const scenario = (fallbackSpeedDiagPerSecond: number) => {
      const tr = new ByteTracker({ idPrefix: 'c:e', fallbackSpeedDiagPerSecond });
      tr.update([], 0); // the car is not there on the first frame, so its track starts tentative
      const ids = new Set<string>();
      let confirmed = 0;
      for (let k = 1; k <= 8; k++) {
        // 45 px per frame for a 40 px wide box: IoU with the previous box is 0.
        const out = tr.update([det(30 + 45 * k, 100)], k * 500);
        for (const a of out.active) {
          ids.add(a.trackId);
          if (a.state === 'confirmed') confirmed++;
        }
      }
      return { ids: ids.size, confirmed };
    };
    expect(scenario(4)).toEqual({ ids: 1, confirmed: 7 });
    // Without the fallback the object is re-born on every frame and never confirmed.
    expect(scenario(0)).toEqual({ ids: 8, confirmed: 0 });
  });

  it('the fallback gate is bounded: a detection far beyond plausible motion starts a new track', () => {
    const tr = new ByteTracker({ idPrefix: 'c:e' });
    tr.update([], 0);
    tr.update([det(100, 100)], 200);
    // 200 ms later, 3 diagonals away (the gate at 4 diagonals/s × 0.2 s = 0.8 diagonals).
    const out = tr.update([det(100 + 3 * Math.hypot(40, 20), 100)], 400);
    expect(out.active.map((a) => a.trackId)).toEqual(['c:e:2']);
    expect(out.removed.map((r) => r.trackId)).toEqual(['c:e:1']);
  });

  it('does not let the fallback pair boxes of very different sizes', () => {
    const tr = new ByteTracker({ idPrefix: 'c:e' });
    tr.update([], 0);
    tr.update([det(100, 100, 0.9, 'car', 40, 20)], 500);
    const out = tr.update([det(140, 100, 0.9, 'car', 120, 60)], 1000); // 9× the area, IoU 0.11
    expect(out.active.map((a) => a.trackId)).toEqual(['c:e:2']);
  });

  it('keeps two nearby objects apart (opposite lanes passing each other)', () => {
    const tr = new ByteTracker({ idPrefix: 'c:e' });
    const byId = new Map<string, number[]>();
    for (let k = 0; k < 25; k++) {
      const out = tr.update([det(50 + 12 * k, 100), det(350 - 12 * k, 124)], k * 100);
      for (const a of out.active) byId.set(a.trackId, [...(byId.get(a.trackId) ?? []), a.box.x + a.box.w / 2]);
    }
    expect(byId.size).toBe(2);
    const [first, second] = [...byId.values()];
    expect(first![first!.length - 1]! > first![0]!).toBe(true); // moving right all along
    expect(second![second!.length - 1]! < second![0]!).toBe(true); // moving left all along
  });

  it('low-score detections keep a confirmed track alive but never start one', () => {
    const tr = new ByteTracker({ idPrefix: 'c:e', highScore: 0.5 });
    tr.update([det(100, 100)], 0);
    tr.update([det(105, 100)], 100);
    const dim = tr.update([det(110, 100, 0.35)], 200);
    expect(dim.active.map((a) => a.trackId)).toEqual(['c:e:1']);
    const onlyLow = tr.update([det(115, 100, 0.35), det(400, 300, 0.4)], 300);
    expect(onlyLow.active.map((a) => a.trackId)).toEqual(['c:e:1']);
  });

  it('class is the score-weighted majority of the matched detections', () => {
    const tr = new ByteTracker({ idPrefix: 'c:e' });
    const classes: ObjectClass[] = ['truck', 'car', 'car', 'truck', 'car'];
    let last: TrackerUpdate | undefined;
    classes.forEach((c, k) => (last = tr.update([det(100 + 2 * k, 100, 0.8, c)], k * 100)));
    expect(last!.active[0]!.cls).toBe('car');
    const ended = tr.flush();
    expect(ended[0]!.cls).toBe('car');
    expect(tr.trackCount).toBe(0);
  });

  it('an unknown (motion-only) vote never outweighs a real class', () => {
    const tr = new ByteTracker({ idPrefix: 'c:e' });
    const classes: ObjectClass[] = ['unknown', 'unknown', 'unknown', 'car', 'unknown'];
    let last: TrackerUpdate | undefined;
    classes.forEach((c, k) => (last = tr.update([det(100 + 2 * k, 100, 0.8, c)], k * 100)));
    expect(last!.active[0]!.cls).toBe('car');
    const tr2 = new ByteTracker({ idPrefix: 'c:e' });
    expect(tr2.update([det(100, 100, 0.8, 'unknown')], 0).active[0]!.cls).toBe('unknown');
  });

  it('absorbs a backwards jump of the stream time (timestamps restarted) without stalling track deaths', () => {
    const tr = new ByteTracker({ idPrefix: 'c:e', maxLostMs: 1000 });
    for (let k = 0; k < 5; k++) tr.update([det(100 + 10 * k, 100)], 60_000 + k * 200);
    const afterJump = tr.update([det(150, 100)], 0); // same object, the clock restarted at 0
    expect(afterJump.active.map((a) => a.trackId)).toEqual(['c:e:1']);
    expect(tr.update([], 600).removed).toEqual([]);
    expect(tr.update([], 1200).removed.map((r) => r.trackId)).toEqual(['c:e:1']);
  });

  it('thins long paths but keeps the first and last points', () => {
    const tr = new ByteTracker({ idPrefix: 'c:e', maxPathPoints: 16 });
    for (let k = 0; k < 100; k++) tr.update([det(100 + k, 100)], k * 40);
    const [info] = tr.snapshot();
    expect(info!.path.length).toBeLessThanOrEqual(17);
    expect(info!.path[0]!.t).toBe(0);
    expect(info!.path[info!.path.length - 1]!.t).toBe(99 * 40);
  });
});
