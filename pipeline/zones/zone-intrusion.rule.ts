/**
 * Zone intrusion: a track of the chosen classes is inside the zone (for `minInsideFrames` consecutive frames),
 * optionally only while a weekly schedule is active. One signal per track and entry; the track must stay out for
 * `rearmSeconds` before it can raise again, so flicker on the border does not re-raise.
 */
import type { ObjectClass, TrackState } from '../domain.types.js';
import type { IncidentSignal } from '../incidents/incident.types.js';
import { WeeklySchedule, type WeeklyScheduleConfig } from './weekly-schedule.js';
import { ZoneArea, objectsInZone, type ZoneFrame, type ZoneRule, type ZoneRuleBaseOptions } from './zone-rule.types.js';

export interface ZoneIntrusionRuleOptions extends ZoneRuleBaseOptions {
  /** Only raise while active. @default always */
  schedule?: WeeklyScheduleConfig;
  /** Consecutive frames inside before raising. @default 2 */
  minInsideFrames?: number;
  /** Time a track must be out (or unseen) before it can raise again, s. @default 10 */
  rearmSeconds?: number;
}

interface TrackZoneState {
  insideFrames: number;
  raised: boolean;
  lastInsideAt: number;
}

export class ZoneIntrusionRule implements ZoneRule {
  readonly id: string;
  readonly zoneId: string;
  private readonly area: ZoneArea;
  private readonly classes: ReadonlySet<ObjectClass>;
  private readonly states: ReadonlySet<TrackState>;
  private readonly schedule: WeeklySchedule | null;
  private readonly minInsideFrames: number;
  private readonly rearmMs: number;
  private readonly severity: IncidentSignal['severity'];
  private readonly tracks = new Map<string, TrackZoneState>();

  constructor(opts: ZoneIntrusionRuleOptions) {
    this.zoneId = opts.zone.id;
    this.id = opts.id ?? `zone_intrusion:${opts.zone.id}`;
    this.area = new ZoneArea(opts.zone);
    this.classes = new Set(opts.classes ?? opts.zone.classes ?? ['person']);
    this.states = new Set(opts.countStates ?? ['confirmed']);
    this.schedule = opts.schedule ? new WeeklySchedule(opts.schedule) : null;
    this.minInsideFrames = opts.minInsideFrames ?? 2;
    this.rearmMs = (opts.rearmSeconds ?? 10) * 1000;
    this.severity = opts.severity ?? 'warning';
  }

  process(frame: ZoneFrame): IncidentSignal[] {
    const inside = objectsInZone(frame, this.area, this.classes, this.states);
    const insideIds = new Set(inside.map((o) => o.trackId));
    // Tracks not inside on this frame lose their consecutive count; forget them once re-armed.
    for (const [trackId, st] of this.tracks) {
      if (insideIds.has(trackId)) continue;
      st.insideFrames = 0;
      if (frame.at - st.lastInsideAt >= this.rearmMs) this.tracks.delete(trackId);
    }
    const active = this.schedule ? this.schedule.isActive(frame.at) : true;
    const raised: string[] = [];
    for (const o of inside) {
      let st = this.tracks.get(o.trackId);
      if (!st) {
        st = { insideFrames: 0, raised: false, lastInsideAt: frame.at };
        this.tracks.set(o.trackId, st);
      }
      st.insideFrames++;
      st.lastInsideAt = frame.at;
      if (!st.raised && active && st.insideFrames >= this.minInsideFrames) {
        st.raised = true;
        raised.push(o.trackId);
      }
    }
    if (!raised.length) return [];
    const classes = [...new Set(inside.filter((o) => raised.includes(o.trackId)).map((o) => o.cls))];
    return [
      {
        type: 'zone_intrusion',
        severity: this.severity,
        cameraId: frame.cameraId,
        zoneId: this.zoneId,
        trackIds: raised,
        at: frame.at,
        ...(frame.seq !== undefined ? { frameSeq: frame.seq } : {}),
        details: { ruleId: this.id, classes, ...(this.schedule ? { timeZone: this.schedule.timeZone } : {}) },
      },
    ];
  }
}
