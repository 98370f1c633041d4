/**
 * Core domain types shared by every stage (capture → queue → infer → track → rules → events → API).
 * Coordinates: boxes are in pixels of the analysed frame (top-left origin); configured lines and zones are
 * normalised 0..1 and converted to pixels by the stage that uses them.
 */

/**
 * The object classes the platform keeps from the COCO detector, plus `unknown`: a moving object found by the
 * motion detector that the object detector did not recognise (e.g. vehicles seen from straight above).
 * String values are stored in Postgres.
 */
export const OBJECT_CLASSES = ['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck', 'unknown'] as const;
export type ObjectClass = (typeof OBJECT_CLASSES)[number];

export interface Point {
  x: number;
  y: number;
}

/** Axis-aligned box in pixels: top-left corner plus size. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Detection {
  box: Box;
  /** objectness × class probability, 0..1 */
  score: number;
  cls: ObjectClass;
}

/** Identifies one sampled frame of one camera. `seq` grows by one per sampled frame within an `epoch`. */
export interface FrameId {
  cameraId: string;
  /** Changes when a new owner (ingest process) or a new offline run starts; keeps ids unique across restarts. */
  epoch: string;
  seq: number;
}

/** What travels through the queue: a small reference to the frame, never its pixels (see GUIDE: frames by reference). */
export interface FrameRef extends FrameId {
  /** Presentation time within the stream, ms from the first sampled frame of this epoch. */
  ptsMs: number;
  /** Wall-clock capture time, epoch ms. */
  capturedAt: number;
  width: number;
  height: number;
  /** Key of the JPEG-encoded frame in the frame store. */
  frameKey: string;
}

/** An inference worker's answer for one frame. */
export interface FrameDetections extends FrameRef {
  detections: Detection[];
  inferenceMs: number;
  /** Which worker produced it (host:pid), for diagnostics. */
  workerId: string;
  /** Set when the frame could not be analysed (e.g. it expired from the frame store); detections are then empty. */
  skipped?: string;
}

export type TrackState = 'tentative' | 'confirmed' | 'lost' | 'removed';

/** A tracked object as seen on one frame. */
export interface TrackedObject {
  /** Unique across cameras and restarts: `${cameraId}:${epoch}:${n}`. */
  trackId: string;
  cls: ObjectClass;
  box: Box;
  score: number;
  state: TrackState;
}

export type Direction = 'forward' | 'backward';

/**
 * A track passing a counting line. "forward" is a crossing from the left side to the right side when looking
 * from the line's first point towards its second.
 */
export interface LineCrossing {
  /** Deterministic id (camera, epoch, line, track): a retried job can never count twice. */
  id: string;
  cameraId: string;
  lineId: string;
  trackId: string;
  cls: ObjectClass;
  direction: Direction;
  /** Frame at which the crossing was confirmed (after the hysteresis frames). */
  frame: FrameRef;
  /** The track's box on that frame. */
  box: Box;
}

/** Summary of a track when it ends (or periodically while alive), for the tracks table. */
export interface TrackSummary {
  trackId: string;
  cameraId: string;
  cls: ObjectClass;
  firstSeenAt: number;
  lastSeenAt: number;
  /** Reference points (bottom-centre of the box) in pixels, sampled along the track. */
  path: Array<{ t: number; x: number; y: number }>;
  frames: number;
  ended: boolean;
}

export type CameraState = 'starting' | 'online' | 'reconnecting' | 'failed' | 'disabled';

/** Live health of a camera as reported by its owning ingest process. */
export interface CameraStatus {
  cameraId: string;
  state: CameraState;
  /** Why the camera is not online (ffmpeg's last error line, "no frame for 10000 ms", ...). */
  reason: string | null;
  /** Frames per second received from the source (after sampling), over the last few seconds. */
  inputFps: number;
  /** Frames per second that made it through detection and tracking. */
  analysedFps: number;
  /** Sampled frames dropped because inference lagged (oldest first), since the owner started. */
  droppedFrames: number;
  framesTotal: number;
  reconnects: number;
  /** Epoch ms of the last frame received, or null. */
  lastFrameAt: number | null;
  /** host:pid of the owning ingest process. */
  ownerId: string | null;
  updatedAt: number;
}
