/**
 * The per-camera ordered stage: detections of one frame (in frame order) → tracker → counting lines → zone rules. Pure and
 * synchronous: the live owner of a camera and offline analysis both feed it, so counts cannot differ between them.
 * Lines (and zones) are configured in normalised 0..1 coordinates and converted to the pixels of each frame here.
 */
import type { CameraConfig } from '../config/camera-config.schema.js';
import type { FrameDetections, FrameRef, LineCrossing, TrackedObject, TrackSummary } from '../domain.types.js';
import { normalisedToPixel, type ReferencePointKind } from '../geometry/box.geometry.js';
import { LineCrossingRule, type LineCounts } from '../counting/line-crossing.rule.js';
import { suppressCrossClassDuplicates } from '../tracking/cross-class-duplicates.js';
import { ByteTracker, type ByteTrackerOptions, type TrackInfo } from '../tracking/byte.tracker.js';
import type { IncidentSignal } from '../incidents/incident.types.js';
import { ZoneRuleEngine } from '../zones/zone-rules.engine.js';
import type { ZoneRuleConfig } from '../zones/zone-rules.schema.js';

export interface CameraAnalysisStageOptions {
  /** Tracker tuning; the defaults are ByteTrack's, adapted to time-based low-fps analysis (see byte.tracker.ts). */
  tracker?: ByteTrackerOptions;
  /** Point of a box that must cross a line and that paths record. @default 'bottom-center' */
  referencePoint?: ReferencePointKind;
  /**
   * IoU at or above which boxes of confusable classes (car/truck/bus, bicycle/motorcycle) are one object; the
   * detector's per-class NMS leaves such pairs. Above 1 disables the suppression. @default 0.7
   */
  crossClassDuplicateIou?: number;
  /**
   * Zone rules (intrusion, loitering, crowding) on the camera's zones, run on every frame's active and lost tracks:
   * the one place rules run, live and offline. @default the camera's `rules`
   */
  zoneRules?: readonly ZoneRuleConfig[];
}

export interface StageOutput {
  /** Tracks seen on this frame (tentative and confirmed). */
  tracks: TrackedObject[];
  /** Line crossings confirmed on this frame. */
  crossings: LineCrossing[];
  /** Confirmed tracks that ended on this frame. */
  endedTracks: TrackSummary[];
  /** Signals raised by the zone rules on this frame (the incident store deduplicates them). */
  signals: IncidentSignal[];
}

/** What `analyze --json` prints per line. */
export interface LineCountSummary {
  id: string;
  total: number;
  byClass: LineCounts['byClass'];
  byDirection: LineCounts['byDirection'];
}

export class CameraAnalysisStage {
  private readonly tracker: ByteTracker;
  private readonly rules: LineCrossingRule[];
  private frameSize: { width: number; height: number } | null = null;
  private framesProcessed = 0;
  private confirmedTrackIds = 0;
  private readonly seenConfirmed = new Set<string>();
  private readonly crossClassIou: number;
  private readonly zones: ZoneRuleEngine | null;

  constructor(
    readonly camera: CameraConfig,
    readonly epoch: string,
    opts: CameraAnalysisStageOptions = {},
  ) {
    const referencePoint = opts.referencePoint ?? 'bottom-center';
    this.crossClassIou = opts.crossClassDuplicateIou ?? 0.7;
    const zoneRules = opts.zoneRules ?? camera.rules ?? [];
    this.zones = zoneRules.length ? new ZoneRuleEngine({ cameraId: camera.id, zones: camera.zones, rules: zoneRules }) : null;
    this.tracker = new ByteTracker({ ...opts.tracker, referencePoint, idPrefix: `${camera.id}:${epoch}` });
    // Real geometry is set on the first frame, once its size is known.
    this.rules = camera.lines.map(
      (l) =>
        new LineCrossingRule(
          { id: l.id, a: { x: 0, y: 0 }, b: { x: 0, y: 0 }, classes: l.classes },
          { cameraId: camera.id, epoch, confirmFrames: camera.crossingConfirmFrames, referencePoint },
        ),
    );
  }

  /** Processes one frame's detections. Frames must come in `seq` order (see ordering/reorder-buffer.ts). */
  process(fd: FrameDetections): StageOutput {
    // A frame that could not be analysed says nothing about where objects are: do not age the tracks on it.
    if (fd.skipped) return { tracks: [], crossings: [], endedTracks: [], signals: [] };
    this.ensureGeometry(fd.width, fd.height);
    this.framesProcessed++;
    const minScore = this.camera.minScore;
    const detections = suppressCrossClassDuplicates(
      fd.detections.filter((d) => d.score >= minScore),
      this.crossClassIou,
    );
    const upd = this.tracker.update(detections, fd.ptsMs, fd.capturedAt);
    const frame: FrameRef = {
      cameraId: fd.cameraId,
      epoch: fd.epoch,
      seq: fd.seq,
      ptsMs: fd.ptsMs,
      capturedAt: fd.capturedAt,
      width: fd.width,
      height: fd.height,
      frameKey: fd.frameKey,
    };
    const crossings = this.rules.flatMap((r) => r.update(upd.active, frame));
    for (const t of upd.active) {
      if (t.state === 'confirmed' && !this.seenConfirmed.has(t.trackId)) {
        this.seenConfirmed.add(t.trackId);
        this.confirmedTrackIds++;
      }
    }
    // Zone rules see lost tracks too (predicted boxes, state 'lost'); each rule decides which states count.
    const signals = this.zones
      ? this.zones.process({ at: fd.capturedAt, seq: fd.seq, width: fd.width, height: fd.height, objects: [...upd.active, ...upd.lost] })
      : [];
    return { tracks: upd.active, crossings, endedTracks: this.end(upd.removed), signals };
  }

  /** End of input: ends every live track. Pending (unconfirmed) crossings are not counted. */
  finish(): StageOutput {
    return { tracks: [], crossings: [], endedTracks: this.end(this.tracker.flush()), signals: [] };
  }

  /** Per-line totals so far, in the shape of the analyze JSON. */
  countsSummary(): { lines: LineCountSummary[] } {
    return {
      lines: this.rules.map((r) => {
        const s = r.snapshot();
        return { id: s.id, total: s.total, byClass: s.byClass, byDirection: s.byDirection };
      }),
    };
  }

  /** Per-line totals with the class × direction breakdown. */
  lineCounts(): LineCounts[] {
    return this.rules.map((r) => r.snapshot());
  }

  /** Summaries of the live confirmed tracks (e.g. for a periodic upsert of the tracks table). */
  liveTrackSummaries(): TrackSummary[] {
    return this.tracker
      .snapshot()
      .filter((t) => t.confirmed)
      .map((t) => this.summary(t, false));
  }

  stats(): { framesProcessed: number; liveTracks: number; confirmedTracks: number } {
    return { framesProcessed: this.framesProcessed, liveTracks: this.tracker.trackCount, confirmedTracks: this.confirmedTrackIds };
  }

  private end(removed: TrackInfo[]): TrackSummary[] {
    const out: TrackSummary[] = [];
    for (const t of removed) {
      for (const r of this.rules) r.forget(t.trackId);
      this.seenConfirmed.delete(t.trackId);
      if (t.confirmed) out.push(this.summary(t, true));
    }
    return out;
  }

  private summary(t: TrackInfo, ended: boolean): TrackSummary {
    return {
      trackId: t.trackId,
      cameraId: this.camera.id,
      cls: t.cls,
      firstSeenAt: t.firstSeenAt,
      lastSeenAt: t.lastSeenAt,
      path: t.path.map((p) => ({ ...p })),
      frames: t.hits,
      ended,
    };
  }

  private ensureGeometry(width: number, height: number): void {
    if (this.frameSize && this.frameSize.width === width && this.frameSize.height === height) return;
    this.frameSize = { width, height };
    this.camera.lines.forEach((l, i) => {
      this.rules[i]!.setGeometry(normalisedToPixel(l.points[0], width, height), normalisedToPixel(l.points[1], width, height));
    });
  }
}
