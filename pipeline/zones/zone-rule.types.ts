/** What every zone rule consumes and the shared helpers they use. */
import type { ZoneConfig } from '../config/camera-config.schema.js';
import type { ObjectClass, TrackedObject, TrackState } from '../domain.types.js';
import type { IncidentSignal } from '../incidents/incident.types.js';
import { pointInPolygon, polygonToPixels, referencePoint, type PixelPolygon } from './zone-geometry.js';

/** One analysed frame of one camera, in frame order. */
export interface ZoneFrame {
  cameraId: string;
  /** Capture time of the frame, epoch ms: every duration (dwell, crowding) is measured on these, never on the clock. */
  at: number;
  seq?: number;
  /** Frame size in pixels (the tracked boxes' coordinate space). */
  width: number;
  height: number;
  objects: readonly TrackedObject[];
}

export interface ZoneRule {
  readonly id: string;
  readonly zoneId: string;
  /** Feed every frame in order; returns the signals raised on this frame. */
  process(frame: ZoneFrame): IncidentSignal[];
}

/** Options shared by every zone rule. */
export interface ZoneRuleBaseOptions {
  /** @default `${type}:${zone.id}` */
  id?: string;
  zone: ZoneConfig;
  /** Classes the rule looks at. @default rule-specific */
  classes?: readonly ObjectClass[];
  /** Track states that count as present ('lost' tracks carry predicted boxes). @default ['confirmed'] */
  countStates?: readonly TrackState[];
  severity?: IncidentSignal['severity'];
}

/** A zone polygon with its pixel form cached per frame size. */
export class ZoneArea {
  private cacheKey = '';
  private pixels: PixelPolygon = [];

  constructor(readonly zone: ZoneConfig) {}

  contains(obj: TrackedObject, width: number, height: number): boolean {
    const key = `${width}x${height}`;
    if (key !== this.cacheKey) {
      this.pixels = polygonToPixels(this.zone.polygon, width, height);
      this.cacheKey = key;
    }
    return pointInPolygon(referencePoint(obj.box, width, height), this.pixels);
  }
}

/** The objects of the chosen classes and states whose reference point is in the zone. */
export function objectsInZone(
  frame: ZoneFrame,
  area: ZoneArea,
  classes: ReadonlySet<ObjectClass>,
  states: ReadonlySet<TrackState>,
): TrackedObject[] {
  return frame.objects.filter((o) => classes.has(o.cls) && states.has(o.state) && area.contains(o, frame.width, frame.height));
}
