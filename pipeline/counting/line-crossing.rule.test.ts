import { describe, expect, it } from 'vitest';
import type { FrameRef, ObjectClass, TrackedObject, TrackState } from '../domain.types.js';
import { LineCrossingRule, type PixelLine } from './line-crossing.rule.js';

const frame = (seq: number): FrameRef => ({
  cameraId: 'cam',
  epoch: 'e1',
  seq,
  ptsMs: seq * 200,
  capturedAt: 1_700_000_000_000 + seq * 200,
  width: 640,
  height: 360,
  frameKey: `k${seq}`,
});

/** A track whose bottom-centre is at (x, y). */
const at = (x: number, y: number, trackId = 't1', cls: ObjectClass = 'car', state: TrackState = 'confirmed'): TrackedObject => ({
  trackId,
  cls,
  box: { x: x - 20, y: y - 30, w: 40, h: 30 },
  score: 0.9,
  state,
});

/** Vertical line x = 400 drawn bottom → top, so left-to-right traffic is forward. */
const vertical: PixelLine = { id: 'L1', a: { x: 400, y: 360 }, b: { x: 400, y: 0 } };

function feed(rule: LineCrossingRule, xs: number[], y = 200, trackId = 't1', cls: ObjectClass = 'car') {
  return xs.flatMap((x, i) => rule.update([at(x, y, trackId, cls)], frame(i)));
}

describe('LineCrossingRule', () => {
  it('counts a real crossing once, after K frames on the new side, with a deterministic id', () => {
    const rule = new LineCrossingRule(vertical, { cameraId: 'cam', epoch: 'e1', confirmFrames: 3 });
    const perFrame = [340, 370, 395, 410, 430, 450, 470, 490].map((x, i) => rule.update([at(x, 200)], frame(i)));
    expect(perFrame.map((c) => c.length)).toEqual([0, 0, 0, 0, 0, 1, 0, 0]); // confirmed on the 3rd frame past the line
    const c = perFrame[5]![0]!;
    expect(c).toMatchObject({ id: 'cam:e1:L1:t1', lineId: 'L1', trackId: 't1', cls: 'car', direction: 'forward' });
    expect(c.frame.seq).toBe(5);
    expect(rule.snapshot()).toMatchObject({ total: 1, byClass: { car: 1 }, byDirection: { forward: 1, backward: 0 } });
  });

  it('direction follows the line orientation: the same motion is backward when the line is drawn top → bottom', () => {
    const down: PixelLine = { id: 'L1', a: { x: 400, y: 0 }, b: { x: 400, y: 360 } };
    const r1 = new LineCrossingRule(down, { cameraId: 'cam', epoch: 'e1' });
    expect(feed(r1, [350, 380, 420, 440]).map((c) => c.direction)).toEqual(['backward']);
    const r2 = new LineCrossingRule(down, { cameraId: 'cam', epoch: 'e1' });
    expect(feed(r2, [450, 420, 380, 350]).map((c) => c.direction)).toEqual(['forward']);
    // Horizontal line drawn left → right: moving down the picture is forward.
    const horiz: PixelLine = { id: 'H', a: { x: 0, y: 180 }, b: { x: 640, y: 180 } };
    const r3 = new LineCrossingRule(horiz, { cameraId: 'cam', epoch: 'e1' });
    const down3 = [150, 170, 190, 210].flatMap((y, i) => r3.update([at(300, y)], frame(i)));
    expect(down3.map((c) => c.direction)).toEqual(['forward']);
  });

  it('a box that flickers across the line counts once (and not at all while it never settles)', () => {
    const rule = new LineCrossingRule(vertical, { cameraId: 'cam', epoch: 'e1', confirmFrames: 2 });
    // Stands on the line, the detection jitters from side to side every frame: no side is held for 2 frames.
    expect(feed(rule, [390, 405, 395, 408, 392, 404, 396])).toEqual([]);
    // Then it settles on the right, flickers back for one frame, and settles again: still one count.
    const more = [410, 420, 398, 415, 425, 397, 396, 430, 440].flatMap((x, i) => rule.update([at(x, 200)], frame(10 + i)));
    expect(more).toHaveLength(1);
    expect(rule.snapshot().total).toBe(1);
  });

  it('a track counts at most once per line even when it really goes back and forth', () => {
    const rule = new LineCrossingRule(vertical, { cameraId: 'cam', epoch: 'e1', confirmFrames: 2 });
    expect(feed(rule, [300, 350, 450, 500, 550, 450, 350, 300, 250, 350, 450, 500])).toHaveLength(1);
  });

  it('with K = 1 a crossing counts on the first frame past the line', () => {
    const rule = new LineCrossingRule(vertical, { cameraId: 'cam', epoch: 'e1', confirmFrames: 1 });
    const perFrame = [380, 390, 410].map((x, i) => rule.update([at(x, 200)], frame(i)).length);
    expect(perFrame).toEqual([0, 0, 1]);
  });

  it('only a movement through the SEGMENT counts, not one beside its end', () => {
    const short: PixelLine = { id: 'S', a: { x: 400, y: 300 }, b: { x: 400, y: 100 } };
    const rule = new LineCrossingRule(short, { cameraId: 'cam', epoch: 'e1' });
    expect(feed(rule, [350, 380, 420, 450], 50)).toEqual([]); // above the segment (y = 50)
    expect(feed(rule, [350, 380, 420, 450], 340, 't2')).toEqual([]); // below it
    expect(feed(rule, [350, 380, 420, 450], 200, 't3')).toHaveLength(1); // through it
  });

  it('a track born on the far side, or seen on one side only, does not count', () => {
    const rule = new LineCrossingRule(vertical, { cameraId: 'cam', epoch: 'e1' });
    expect(feed(rule, [450, 470, 490])).toEqual([]);
    expect(feed(rule, [100, 200, 300, 399.8], 200, 't2')).toEqual([]); // 399.8 is within the on-line tolerance
  });

  it('counts the crossing after a gap in observations (lost track found again on the other side)', () => {
    const rule = new LineCrossingRule(vertical, { cameraId: 'cam', epoch: 'e1' });
    const a = rule.update([at(350, 200)], frame(0));
    const b = rule.update([at(380, 200)], frame(1));
    const lost = rule.update([{ ...at(400, 200), state: 'lost' }], frame(2)); // predicted boxes are ignored
    const c = rule.update([at(460, 200)], frame(5));
    const d = rule.update([at(480, 200)], frame(6));
    expect([a, b, lost, c].every((x) => x.length === 0)).toBe(true);
    expect(d).toHaveLength(1);
  });

  it('applies the class filter (a filtered track does not count later either)', () => {
    const rule = new LineCrossingRule({ ...vertical, classes: ['car', 'truck'] }, { cameraId: 'cam', epoch: 'e1' });
    expect(feed(rule, [350, 380, 420, 450], 200, 'p1', 'person')).toEqual([]);
    expect(feed(rule, [350, 380, 420, 450], 200, 'c1', 'car')).toHaveLength(1);
    expect(feed(rule, [450, 420, 380, 350], 200, 'k1', 'truck')).toHaveLength(1);
    expect(rule.snapshot()).toEqual({
      id: 'L1',
      total: 2,
      byClass: { car: 1, truck: 1 },
      byDirection: { forward: 1, backward: 1 },
      byClassDirection: { car: { forward: 1, backward: 0 }, truck: { forward: 0, backward: 1 } },
    });
  });

  it('tracks are independent; a crossing confirmed while tentative is emitted once the track is confirmed', () => {
    const rule = new LineCrossingRule(vertical, { cameraId: 'cam', epoch: 'e1', confirmFrames: 1 });
    const f0 = rule.update([at(380, 200, 'a', 'car', 'tentative'), at(300, 100, 'b')], frame(0));
    const f1 = rule.update([at(420, 200, 'a', 'car', 'tentative'), at(350, 100, 'b')], frame(1));
    const f2 = rule.update([at(440, 200, 'a', 'car', 'confirmed'), at(410, 100, 'b')], frame(2));
    expect(f0).toEqual([]);
    expect(f1).toEqual([]);
    expect(f2.map((c) => c.trackId).sort()).toEqual(['a', 'b']);
    expect(f2.find((c) => c.trackId === 'a')!.frame.seq).toBe(2);
    rule.forget('a');
    rule.forget('b');
    expect(rule.trackedCount).toBe(0);
  });

  it('uses the box centre when asked', () => {
    const horiz: PixelLine = { id: 'H', a: { x: 0, y: 180 }, b: { x: 640, y: 180 } };
    const bottom = new LineCrossingRule(horiz, { cameraId: 'cam', epoch: 'e1', confirmFrames: 1 });
    const centre = new LineCrossingRule(horiz, { cameraId: 'cam', epoch: 'e1', confirmFrames: 1, referencePoint: 'center' });
    // bottom-centre goes 170 → 190 (crosses 180); the centre goes 155 → 175 (does not).
    const boxes = [at(300, 170), at(300, 190)];
    expect(boxes.flatMap((t, i) => bottom.update([t], frame(i)))).toHaveLength(1);
    expect(boxes.flatMap((t, i) => centre.update([t], frame(i)))).toHaveLength(0);
  });
});
