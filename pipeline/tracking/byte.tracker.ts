/**
 * A ByteTrack-style multi-object tracker (Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every
 * Detection Box", ECCV 2022), adapted to the variable, often low (2–5 fps) analysis rates of city cameras:
 *
 * 1. every track's Kalman state is predicted to the frame's TIME (not "one frame ahead");
 * 2. high-score detections are matched to confirmed and lost tracks by IoU with the predicted boxes (Hungarian);
 * 3. low-score detections are matched to the confirmed tracks still unmatched (IoU) — ByteTrack's key idea: an
 *    occluded or blurred object keeps its track even when the detector's score drops;
 * 4. tentative tracks (born on the previous frames) are matched to the remaining high-score detections (IoU);
 * 5. fallback, not in ByteTrack: the remaining high-score detections and tracks are matched by centre distance
 *    normalised by the box diagonal, with a size-consistency gate. Why: at 2–5 fps a vehicle moves a box length or
 *    more between frames. A confirmed track's Kalman prediction absorbs that, but a newborn track has no velocity
 *    yet, so IoU between its box and the next detection is often 0 and the object would be re-born on every frame
 *    (never confirmed, never counted); sudden speed changes and the box jitter of a small detector do the same to
 *    older tracks. The fallback only sees what the IoU stages left over, so it cannot take an IoU match away, and
 *    its gate is relative to the box size, so it is scale-free;
 * 6. unmatched high-score detections start tentative tracks, confirmed after `confirmHits` matches (on the very first
 *    frame tracks are confirmed at once, as in ByteTrack); a tentative track that misses a frame is dropped;
 * 7. confirmed tracks that miss frames become "lost" and are kept (their prediction keeps moving) for `maxLostMs`,
 *    a TIME, so that the same occlusion is bridged whatever the fps.
 */
import type { Box, Detection, ObjectClass, TrackedObject, TrackState } from '../domain.types.js';
import { boxCenter, iou, referencePoint, type ReferencePointKind } from '../geometry/box.geometry.js';
import { KalmanBoxFilter, meanToBox, type KalmanBoxOptions, type KalmanState } from './kalman-box.filter.js';
import { linearAssignment } from './linear-assignment.js';

export interface ByteTrackerOptions {
  /** Detections at or above this score take part in the first association and may start tracks. @default 0.5 */
  highScore?: number;
  /** Lowest score that may start a new track. @default 0.5 (same as highScore: confirmation filters one-off boxes) */
  newTrackMinScore?: number;
  /** Least IoU (predicted track box vs detection) for the first, high-score association. @default 0.2 (ByteTrack 1 - 0.8) */
  matchIou?: number;
  /** Least IoU for the second, low-score association. @default 0.5 (ByteTrack) */
  lowMatchIou?: number;
  /** Least IoU between a tentative track and a detection. @default 0.3 (ByteTrack 1 - 0.7) */
  tentativeMatchIou?: number;
  /**
   * Fallback gate: how fast an object may plausibly move, in diagonals of its box per second. A leftover pair is
   * matched only when the centre distance (from the predicted box, in its diagonals) is within
   * `clamp(speed × time since the track was last seen, 0.5, fallbackMaxDistance)`; 0 disables the fallback.
   * @default 4 (a 4.5 m car at about 65 km/h)
   */
  fallbackSpeedDiagPerSecond?: number;
  /** Fallback gate cap, in box diagonals (bounds the gate after a long loss or at very low fps). @default 2 */
  fallbackMaxDistance?: number;
  /** Fallback gate: the most ratio between the larger and the smaller box area of a leftover pair. @default 2.5 */
  fallbackMaxAreaRatio?: number;
  /** Matches needed before a track is confirmed. @default 2 */
  confirmHits?: number;
  /** How long a confirmed track that is no longer seen is kept for re-association, ms. @default 1500 */
  maxLostMs?: number;
  /** Reference point recorded in each track's path. @default 'bottom-center' */
  referencePoint?: ReferencePointKind;
  /** Most points kept in a track's path; beyond it the path is thinned by half (first and last points kept). @default 512 */
  maxPathPoints?: number;
  kalman?: KalmanBoxOptions;
}

export interface PathPoint {
  /** Time of the frame (the `wallMs` given to update, by default its `tMs`). */
  t: number;
  x: number;
  y: number;
}

/** A track as it ends (or as it is now), for the tracks table. */
export interface TrackInfo {
  trackId: string;
  cls: ObjectClass;
  state: TrackState;
  /** Ever confirmed: tentative tracks that died are noise, not objects. */
  confirmed: boolean;
  firstSeenAt: number;
  lastSeenAt: number;
  /** Frames on which a detection was matched to the track. */
  hits: number;
  path: PathPoint[];
  lastBox: Box;
}

export interface TrackerUpdate {
  /** Tracks matched on this frame (tentative and confirmed), box = the Kalman-corrected box. */
  active: TrackedObject[];
  /** Confirmed tracks not seen on this frame but still kept; box = the predicted box. */
  lost: TrackedObject[];
  /** Tracks that ended on this frame (lost for longer than maxLostMs, or tentative and unmatched). */
  removed: TrackInfo[];
}

type Resolved = Required<Omit<ByteTrackerOptions, 'kalman'>> & { kalman: KalmanBoxOptions };

/** Smallest fallback gate, box diagonals: detector jitter alone can move a small box's centre this much. */
const FALLBACK_MIN_GATE = 0.5;

const DEFAULTS: Omit<Resolved, 'kalman'> = {
  highScore: 0.5,
  newTrackMinScore: 0.5,
  matchIou: 0.2,
  lowMatchIou: 0.5,
  tentativeMatchIou: 0.3,
  fallbackSpeedDiagPerSecond: 4,
  fallbackMaxDistance: 2,
  fallbackMaxAreaRatio: 2.5,
  confirmHits: 2,
  maxLostMs: 1500,
  referencePoint: 'bottom-center',
  maxPathPoints: 512,
};

class Track {
  state: 'tentative' | 'confirmed' | 'lost' = 'tentative';
  everConfirmed = false;
  hits = 1;
  /** Tracker time of `kf` (ms). */
  stateMs: number;
  lastSeenMs: number;
  firstSeenAt: number;
  lastSeenAt: number;
  score: number;
  readonly votes = new Map<ObjectClass, number>();
  readonly path: PathPoint[] = [];

  constructor(
    readonly id: string,
    public kf: KalmanState,
    det: Detection,
    tMs: number,
    wallMs: number,
  ) {
    this.stateMs = tMs;
    this.lastSeenMs = tMs;
    this.firstSeenAt = wallMs;
    this.lastSeenAt = wallMs;
    this.score = det.score;
    this.vote(det);
  }

  vote(det: Detection): void {
    this.votes.set(det.cls, (this.votes.get(det.cls) ?? 0) + det.score);
  }

  /**
   * Class with the largest score-weighted vote (ties: the first seen). `unknown` (a moving blob no detector box
   * explained) carries no class information, so it only wins when nothing else was ever seen.
   */
  get cls(): ObjectClass {
    let best: ObjectClass | undefined;
    let bestVotes = -1;
    for (const [c, v] of this.votes) {
      if (c === 'unknown') continue;
      if (v > bestVotes) {
        best = c;
        bestVotes = v;
      }
    }
    return best ?? 'unknown';
  }

  get box(): Box {
    return meanToBox(this.kf.mean);
  }
}

/** One tracker per camera; not shared between cameras (ids carry the camera and epoch through `idPrefix`). */
export class ByteTracker {
  private readonly o: Resolved;
  private readonly kalman: KalmanBoxFilter;
  private readonly idPrefix: string;
  private tracks: Track[] = [];
  private nextId = 1;
  private frames = 0;
  /** Added to the caller's time so that the tracker's clock never runs backwards (see update). */
  private timeOffsetMs = 0;
  private lastTMs: number | null = null;

  constructor(opts: ByteTrackerOptions & { idPrefix: string }) {
    const { idPrefix, kalman, ...rest } = opts;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<ByteTrackerOptions>;
    this.o = { ...DEFAULTS, ...defined, kalman: kalman ?? {} };
    this.kalman = new KalmanBoxFilter(this.o.kalman);
    this.idPrefix = idPrefix;
  }

  get options(): Readonly<Resolved> {
    return this.o;
  }

  /**
   * Advances the tracker to the frame at `tMs` (stream time, ms) with its detections.
   * `wallMs` is the time written into paths and first/last-seen (e.g. the capture time); defaults to `tMs`.
   * Should the stream time jump backwards (a source that restarted its timestamps), the jump is absorbed as a 1 ms
   * step: otherwise lost tracks would wait for the old time to come back before ending.
   */
  update(detections: readonly Detection[], streamMs: number, wallMs: number = streamMs): TrackerUpdate {
    if (this.lastTMs !== null && streamMs + this.timeOffsetMs <= this.lastTMs) this.timeOffsetMs = this.lastTMs + 1 - streamMs;
    const tMs = streamMs + this.timeOffsetMs;
    this.lastTMs = tMs;
    const firstFrame = this.frames === 0;
    this.frames++;
    const o = this.o;

    // 1. Predict every track to this frame's time.
    for (const t of this.tracks) {
      const dt = (tMs - t.stateMs) / 1000;
      if (t.state === 'lost') {
        // ByteTrack: a lost box does not keep growing or shrinking.
        t.kf.mean[6] = 0;
        t.kf.mean[7] = 0;
      }
      t.kf = this.kalman.predict(t.kf, dt);
      t.stateMs = Math.max(t.stateMs, tMs);
    }

    const high: Detection[] = [];
    const low: Detection[] = [];
    for (const d of detections) (d.score >= o.highScore ? high : low).push(d);
    const highUsed = new Array<boolean>(high.length).fill(false);
    const matched = new Set<Track>();

    const assign = (tracks: Track[], dets: Detection[], used: boolean[], minIou: number): void => {
      const freeDets = dets.map((_, i) => i).filter((i) => !used[i]);
      const cost = tracks.map((t) => {
        const pb = t.box;
        return freeDets.map((i) => 1 - iou(pb, dets[i]!.box));
      });
      for (const [r, c] of linearAssignment(cost, 1 - minIou).matches) {
        const di = freeDets[c]!;
        used[di] = true;
        this.hit(tracks[r]!, dets[di]!, tMs, wallMs);
        matched.add(tracks[r]!);
      }
    };

    // 2. High-score detections vs confirmed + lost tracks.
    const pool = this.tracks.filter((t) => t.state !== 'tentative');
    assign(pool, high, highUsed, o.matchIou);

    // 3. Low-score detections vs confirmed tracks still unmatched.
    const remainingConfirmed = pool.filter((t) => t.state === 'confirmed' && !matched.has(t));
    assign(remainingConfirmed, low, new Array<boolean>(low.length).fill(false), o.lowMatchIou);

    // 4. Tentative tracks vs the remaining high-score detections.
    const tentative = this.tracks.filter((t) => t.state === 'tentative');
    assign(tentative, high, highUsed, o.tentativeMatchIou);

    // 5. Fallback on normalised centre distance for whatever is left.
    if (o.fallbackSpeedDiagPerSecond > 0 && o.fallbackMaxDistance > 0) {
      const leftTracks = this.tracks.filter((t) => !matched.has(t));
      const freeDets = high.map((_, i) => i).filter((i) => !highUsed[i]);
      if (leftTracks.length && freeDets.length) {
        const cost = leftTracks.map((t) => {
          const pb = t.box;
          const pc = boxCenter(pb);
          const diagonal = Math.hypot(pb.w, pb.h);
          const gate = Math.min(o.fallbackMaxDistance, Math.max(FALLBACK_MIN_GATE, (o.fallbackSpeedDiagPerSecond * (tMs - t.lastSeenMs)) / 1000));
          return freeDets.map((i) => {
            const db = high[i]!.box;
            const areaA = pb.w * pb.h;
            const areaB = db.w * db.h;
            const ratio = Math.max(areaA, areaB) / Math.max(1e-9, Math.min(areaA, areaB));
            if (ratio > o.fallbackMaxAreaRatio) return Infinity;
            const dc = boxCenter(db);
            const d = Math.hypot(dc.x - pc.x, dc.y - pc.y) / Math.max(diagonal, 1e-9);
            // Normalised by the pair's gate so that one limit (1) serves tracks last seen at different times.
            return d / gate;
          });
        });
        for (const [r, c] of linearAssignment(cost, 1).matches) {
          const di = freeDets[c]!;
          highUsed[di] = true;
          this.hit(leftTracks[r]!, high[di]!, tMs, wallMs);
          matched.add(leftTracks[r]!);
        }
      }
    }

    // 6. Unmatched tracks: tentative ones die, confirmed ones are lost, long-lost ones end.
    const removed: TrackInfo[] = [];
    const keep: Track[] = [];
    for (const t of this.tracks) {
      if (matched.has(t)) {
        keep.push(t);
        continue;
      }
      if (t.state === 'tentative') {
        removed.push(this.info(t, 'removed'));
        continue;
      }
      t.state = 'lost';
      if (tMs - t.lastSeenMs > o.maxLostMs) removed.push(this.info(t, 'removed'));
      else keep.push(t);
    }
    this.tracks = keep;

    // 7. Births.
    for (let i = 0; i < high.length; i++) {
      if (highUsed[i]) continue;
      const d = high[i]!;
      if (d.score < o.newTrackMinScore) continue;
      const t = new Track(`${this.idPrefix}:${this.nextId++}`, this.kalman.initiate(d.box), d, tMs, wallMs);
      if (firstFrame || o.confirmHits <= 1) {
        t.state = 'confirmed';
        t.everConfirmed = true;
      }
      this.addPathPoint(t, wallMs);
      this.tracks.push(t);
      matched.add(t);
    }

    // ByteTrack's duplicate removal: a lost track sitting on a tracked one is the same object seen twice.
    const seen = this.tracks.filter((t) => matched.has(t) && t.state === 'confirmed');
    this.tracks = this.tracks.filter((t) => {
      if (t.state !== 'lost') return true;
      const dup = seen.some((s) => iou(s.box, t.box) > 0.85 && s.hits >= t.hits);
      if (dup) removed.push(this.info(t, 'removed'));
      return !dup;
    });

    const active: TrackedObject[] = [];
    const lost: TrackedObject[] = [];
    for (const t of this.tracks) {
      const obj: TrackedObject = { trackId: t.id, cls: t.cls, box: t.box, score: t.score, state: t.state };
      (matched.has(t) ? active : lost).push(obj);
    }
    return { active, lost, removed };
  }

  /** Ends every track (end of input); returns them as removed. */
  flush(): TrackInfo[] {
    const out = this.tracks.map((t) => this.info(t, 'removed'));
    this.tracks = [];
    return out;
  }

  /** The live tracks as they are now (for periodic summaries). */
  snapshot(): TrackInfo[] {
    return this.tracks.map((t) => this.info(t, t.state));
  }

  get trackCount(): number {
    return this.tracks.length;
  }

  private hit(t: Track, d: Detection, tMs: number, wallMs: number): void {
    t.kf = this.kalman.update(t.kf, d.box);
    t.hits++;
    t.score = d.score;
    t.vote(d);
    t.lastSeenMs = tMs;
    t.lastSeenAt = wallMs;
    if (t.state === 'lost') t.state = 'confirmed';
    else if (t.state === 'tentative' && t.hits >= this.o.confirmHits) t.state = 'confirmed';
    if (t.state === 'confirmed') t.everConfirmed = true;
    this.addPathPoint(t, wallMs);
  }

  private addPathPoint(t: Track, wallMs: number): void {
    const p = referencePoint(t.box, this.o.referencePoint);
    t.path.push({ t: wallMs, x: p.x, y: p.y });
    if (t.path.length > this.o.maxPathPoints) {
      const last = t.path[t.path.length - 1]!;
      const thinned = t.path.filter((_, i) => i % 2 === 0);
      if (thinned[thinned.length - 1] !== last) thinned.push(last);
      t.path.length = 0;
      t.path.push(...thinned);
    }
  }

  private info(t: Track, state: TrackState): TrackInfo {
    return {
      trackId: t.id,
      cls: t.cls,
      state,
      confirmed: t.everConfirmed,
      firstSeenAt: t.firstSeenAt,
      lastSeenAt: t.lastSeenAt,
      hits: t.hits,
      path: [...t.path],
      lastBox: t.box,
    };
  }
}
