/**
 * Loitering: an object (a person by default) stays in the zone longer than `minDwellSeconds`. Dwell runs on frame
 * timestamps from the first frame inside; exits or occlusions shorter than `maxGapSeconds` do not restart it.
 * One signal per stay.
 */
import type { ObjectClass, TrackState } from '../domain.types.js';
import type { IncidentSignal } from '../incidents/incident.types.js';
import { ZoneArea, objectsInZone, type ZoneFrame, type ZoneRule, type ZoneRuleBaseOptions } from './zone-rule.types.js';

export interface LoiteringRuleOptions extends ZoneRuleBaseOptions {
  /** Dwell that raises the incident, s. */
  minDwellSeconds: number;
  /** Absences up to this long keep the dwell clock running, s. @default 3 */
  maxGapSeconds?: number;
}

interface Stay {
  enteredAt: number;
  lastInsideAt: number;
  raised: boolean;
}

export class LoiteringRule implements ZoneRule {
  readonly id: string;
  readonly zoneId: string;
  private readonly area: ZoneArea;
  private readonly classes: ReadonlySet<ObjectClass>;
  private readonly states: ReadonlySet<TrackState>;
  private readonly minDwellMs: number;
  private readonly maxGapMs: number;
  private readonly severity: IncidentSignal['severity'];
  private readonly stays = new Map<string, Stay>();

  constructor(opts: LoiteringRuleOptions) {
    this.zoneId = opts.zone.id;
    this.id = opts.id ?? `loitering:${opts.zone.id}`;
    this.area = new ZoneArea(opts.zone);
    this.classes = new Set(opts.classes ?? opts.zone.classes ?? ['person']);
    this.states = new Set(opts.countStates ?? ['confirmed']);
    this.minDwellMs = opts.minDwellSeconds * 1000;
    this.maxGapMs = (opts.maxGapSeconds ?? 3) * 1000;
    this.severity = opts.severity ?? 'warning';
  }

  /** Current dwell of a track in the zone, s (0 when not in a stay). */
  dwellSeconds(trackId: string): number {
    const s = this.stays.get(trackId);
    return s ? (s.lastInsideAt - s.enteredAt) / 1000 : 0;
  }

  process(frame: ZoneFrame): IncidentSignal[] {
    const inside = objectsInZone(frame, this.area, this.classes, this.states);
    const out: IncidentSignal[] = [];
    for (const o of inside) {
      let stay = this.stays.get(o.trackId);
      if (stay && frame.at - stay.lastInsideAt > this.maxGapMs) stay = undefined;
      if (!stay) {
        stay = { enteredAt: frame.at, lastInsideAt: frame.at, raised: false };
        this.stays.set(o.trackId, stay);
      }
      stay.lastInsideAt = frame.at;
      const dwellMs = frame.at - stay.enteredAt;
      if (!stay.raised && dwellMs >= this.minDwellMs) {
        stay.raised = true;
        out.push({
          type: 'loitering',
          severity: this.severity,
          cameraId: frame.cameraId,
          zoneId: this.zoneId,
          trackIds: [o.trackId],
          at: frame.at,
          ...(frame.seq !== undefined ? { frameSeq: frame.seq } : {}),
          details: { ruleId: this.id, cls: o.cls, dwellSeconds: dwellMs / 1000, enteredAt: stay.enteredAt, minDwellSeconds: this.minDwellMs / 1000 },
        });
      }
    }
    for (const [id, stay] of this.stays) if (frame.at - stay.lastInsideAt > this.maxGapMs) this.stays.delete(id);
    return out;
  }
}
