/**
 * Crowding: more than `maxPeople` objects in the zone continuously for `minDurationSeconds`. Once raised, the
 * episode clears (and the rule re-arms) only after the count stays at or below `clearAtOrBelow` for `clearSeconds`
 * (hysteresis), so a crowd hovering around the threshold raises once.
 */
import type { ObjectClass, TrackState } from '../domain.types.js';
import type { IncidentSignal } from '../incidents/incident.types.js';
import { ZoneArea, objectsInZone, type ZoneFrame, type ZoneRule, type ZoneRuleBaseOptions } from './zone-rule.types.js';

export interface CrowdingRuleOptions extends ZoneRuleBaseOptions {
  /** Raised when the count is above this. */
  maxPeople: number;
  /** Time the count must stay above maxPeople, s. @default 10 */
  minDurationSeconds?: number;
  /** Count at or below which an active episode starts to clear. @default max(maxPeople - 1, 0) */
  clearAtOrBelow?: number;
  /** Time the count must stay low to clear, s. @default minDurationSeconds */
  clearSeconds?: number;
}

export type CrowdingPhase = 'idle' | 'pending' | 'active' | 'clearing';

export class CrowdingRule implements ZoneRule {
  readonly id: string;
  readonly zoneId: string;
  private readonly area: ZoneArea;
  private readonly classes: ReadonlySet<ObjectClass>;
  private readonly states: ReadonlySet<TrackState>;
  private readonly maxPeople: number;
  private readonly minDurationMs: number;
  private readonly clearAtOrBelow: number;
  private readonly clearMs: number;
  private readonly severity: IncidentSignal['severity'];
  private phase: CrowdingPhase = 'idle';
  /** Start of the current pending (over threshold) or clearing (low) period, epoch ms. */
  private since = 0;
  private peak = 0;

  constructor(opts: CrowdingRuleOptions) {
    this.zoneId = opts.zone.id;
    this.id = opts.id ?? `crowding:${opts.zone.id}`;
    this.area = new ZoneArea(opts.zone);
    this.classes = new Set(opts.classes ?? opts.zone.classes ?? ['person']);
    this.states = new Set(opts.countStates ?? ['confirmed']);
    this.maxPeople = opts.maxPeople;
    this.minDurationMs = (opts.minDurationSeconds ?? 10) * 1000;
    this.clearAtOrBelow = Math.min(opts.clearAtOrBelow ?? Math.max(opts.maxPeople - 1, 0), opts.maxPeople);
    this.clearMs = (opts.clearSeconds ?? this.minDurationMs / 1000) * 1000;
    this.severity = opts.severity ?? 'warning';
  }

  /** 'active' or 'clearing' while an episode is raised. */
  get state(): CrowdingPhase {
    return this.phase;
  }

  get isActive(): boolean {
    return this.phase === 'active' || this.phase === 'clearing';
  }

  process(frame: ZoneFrame): IncidentSignal[] {
    const inside = objectsInZone(frame, this.area, this.classes, this.states);
    const count = inside.length;
    const over = count > this.maxPeople;
    switch (this.phase) {
      case 'idle':
        if (!over) return [];
        this.phase = 'pending';
        this.since = frame.at;
        this.peak = count;
        break;
      case 'pending':
        if (!over) {
          this.phase = 'idle';
          return [];
        }
        this.peak = Math.max(this.peak, count);
        break;
      case 'active':
        this.peak = Math.max(this.peak, count);
        if (count <= this.clearAtOrBelow) {
          this.phase = 'clearing';
          this.since = frame.at;
          return this.clearIfDue(frame);
        }
        return [];
      case 'clearing':
        if (count > this.clearAtOrBelow) {
          this.phase = 'active';
          this.peak = Math.max(this.peak, count);
          return [];
        }
        return this.clearIfDue(frame);
    }
    // pending: raise once the crowd has lasted long enough
    if (frame.at - this.since < this.minDurationMs) return [];
    this.phase = 'active';
    return [
      {
        type: 'crowding',
        severity: this.severity,
        cameraId: frame.cameraId,
        zoneId: this.zoneId,
        trackIds: inside.map((o) => o.trackId),
        at: frame.at,
        ...(frame.seq !== undefined ? { frameSeq: frame.seq } : {}),
        details: { ruleId: this.id, count, peak: this.peak, maxPeople: this.maxPeople, overSince: this.since },
      },
    ];
  }

  private clearIfDue(frame: ZoneFrame): IncidentSignal[] {
    if (frame.at - this.since >= this.clearMs) {
      this.phase = 'idle';
      this.peak = 0;
    }
    return [];
  }
}
