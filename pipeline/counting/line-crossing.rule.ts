/**
 * Counting line with hysteresis. A track counts ONCE per line, when its reference point
 *  - passes from one side of the line to the other,
 *  - along a movement that really cuts the line SEGMENT (passing beside the segment's end does not count), and
 *  - stays on the new side for `confirmFrames` consecutive observations (a box flickering across the line while the
 *    object stands on it never confirms, and even when it does, the track has then counted and cannot count again).
 *
 * Direction, in image coordinates (see geometry/line.geometry.ts for pictures): looking from the line's first point
 * towards its second, from the LEFT side to the RIGHT side is 'forward', the other way 'backward'.
 */
import type { Direction, FrameRef, LineCrossing, ObjectClass, Point, TrackedObject } from '../domain.types.js';
import { referencePoint, type ReferencePointKind } from '../geometry/box.geometry.js';
import { segmentsIntersect, sideOfLine } from '../geometry/line.geometry.js';

export interface PixelLine {
  id: string;
  /** First point, pixels. */
  a: Point;
  /** Second point, pixels. */
  b: Point;
  /** Only these classes count; undefined/empty = every class. */
  classes?: readonly ObjectClass[] | undefined;
}

export interface LineCrossingRuleOptions {
  cameraId: string;
  epoch: string;
  /** Consecutive observations on the new side before a crossing counts (hysteresis). @default 2 */
  confirmFrames?: number;
  /** Point of the box that must cross. @default 'bottom-center' */
  referencePoint?: ReferencePointKind;
  /** Points closer than this to the line (pixels) are "on the line" and neither confirm nor cancel. @default 0.5 */
  onLineTolerancePx?: number;
}

export interface LineCounts {
  id: string;
  total: number;
  byClass: Partial<Record<ObjectClass, number>>;
  byDirection: Record<Direction, number>;
  byClassDirection: Partial<Record<ObjectClass, Record<Direction, number>>>;
}

interface TrackLineState {
  /** Side the track is settled on: -1 LEFT, +1 RIGHT, 0 not yet seen off the line. */
  side: -1 | 0 | 1;
  /** Last point observed on the settled side: where a crossing movement starts. */
  lastSettled: Point | null;
  pending: { side: -1 | 1; frames: number; throughSegment: boolean } | null;
  /** The track already used its one count on this line (or was filtered out by class when it crossed). */
  done: boolean;
  /** A crossing confirmed while the track was still tentative; emitted once the track is confirmed. */
  owed: Direction | null;
}

export class LineCrossingRule {
  private line: PixelLine;
  private readonly confirmFrames: number;
  private readonly refKind: ReferencePointKind;
  private readonly tolerancePx: number;
  private readonly states = new Map<string, TrackLineState>();
  private readonly counts = new Map<ObjectClass, Record<Direction, number>>();

  constructor(
    line: PixelLine,
    private readonly opts: LineCrossingRuleOptions,
  ) {
    this.line = line;
    this.confirmFrames = Math.max(1, opts.confirmFrames ?? 2);
    this.refKind = opts.referencePoint ?? 'bottom-center';
    this.tolerancePx = opts.onLineTolerancePx ?? 0.5;
  }

  get lineId(): string {
    return this.line.id;
  }

  get geometry(): Readonly<PixelLine> {
    return this.line;
  }

  /** Moves the line (e.g. the frame size changed); track states are kept. */
  setGeometry(a: Point, b: Point): void {
    this.line = { ...this.line, a, b };
  }

  /**
   * Feeds the tracks seen on one frame (in frame order). Lost tracks (predicted boxes) should not be passed:
   * only observed positions may count.
   */
  update(tracks: readonly TrackedObject[], frame: FrameRef): LineCrossing[] {
    const out: LineCrossing[] = [];
    const { a, b } = this.line;
    for (const t of tracks) {
      if (t.state === 'lost' || t.state === 'removed') continue;
      let st = this.states.get(t.trackId);
      if (!st) {
        st = { side: 0, lastSettled: null, pending: null, done: false, owed: null };
        this.states.set(t.trackId, st);
      }
      if (st.owed && t.state === 'confirmed') {
        out.push(this.emit(t, st.owed, frame));
        st.owed = null;
      }
      const p = referencePoint(t.box, this.refKind);
      const side = sideOfLine(a, b, p, this.tolerancePx);
      if (side === 0) continue;
      if (st.side === 0 || side === st.side) {
        st.side = side;
        st.lastSettled = p;
        st.pending = null; // back on the settled side: a flicker, cancelled
        continue;
      }
      if (!st.pending) {
        st.pending = { side, frames: 0, throughSegment: segmentsIntersect(st.lastSettled!, p, a, b) };
      }
      st.pending.frames++;
      if (st.pending.frames < this.confirmFrames) continue;
      const through = st.pending.throughSegment;
      const direction: Direction = st.side < 0 ? 'forward' : 'backward';
      st.side = side;
      st.lastSettled = p;
      st.pending = null;
      if (!through || st.done) continue;
      st.done = true;
      if (!this.classAllowed(t.cls)) continue;
      if (t.state === 'confirmed') out.push(this.emit(t, direction, frame));
      else st.owed = direction;
    }
    return out;
  }

  /** Drops a track's state (the track ended). */
  forget(trackId: string): void {
    this.states.delete(trackId);
  }

  get trackedCount(): number {
    return this.states.size;
  }

  snapshot(): LineCounts {
    const byClass: Partial<Record<ObjectClass, number>> = {};
    const byClassDirection: Partial<Record<ObjectClass, Record<Direction, number>>> = {};
    const byDirection: Record<Direction, number> = { forward: 0, backward: 0 };
    for (const [cls, d] of this.counts) {
      byClass[cls] = d.forward + d.backward;
      byClassDirection[cls] = { ...d };
      byDirection.forward += d.forward;
      byDirection.backward += d.backward;
    }
    return { id: this.line.id, total: byDirection.forward + byDirection.backward, byClass, byDirection, byClassDirection };
  }

  private classAllowed(cls: ObjectClass): boolean {
    const c = this.line.classes;
    return !c || c.length === 0 || c.includes(cls);
  }

  private emit(t: TrackedObject, direction: Direction, frame: FrameRef): LineCrossing {
    const c = this.counts.get(t.cls) ?? { forward: 0, backward: 0 };
    c[direction]++;
    this.counts.set(t.cls, c);
    return {
      id: `${this.opts.cameraId}:${this.opts.epoch}:${this.line.id}:${t.trackId}`,
      cameraId: this.opts.cameraId,
      lineId: this.line.id,
      trackId: t.trackId,
      cls: t.cls,
      direction,
      frame,
      box: { ...t.box },
    };
  }
}
