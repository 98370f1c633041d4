/**
 * The zone rules of one camera, built from its config (`zones` + the proposed `rules` list) and run per frame
 * inside the per-camera ordered stage.
 */
import type { ZoneConfig } from '../config/camera-config.schema.js';
import type { TrackState } from '../domain.types.js';
import type { IncidentSignal } from '../incidents/incident.types.js';
import { CrowdingRule } from './crowding.rule.js';
import { LoiteringRule } from './loitering.rule.js';
import { ZoneIntrusionRule } from './zone-intrusion.rule.js';
import type { ZoneFrame, ZoneRule } from './zone-rule.types.js';
import { ruleId, type ZoneRuleConfig } from './zone-rules.schema.js';

/** A rule names a zone the camera does not have. */
export class ZoneRuleConfigError extends Error {
  readonly code = 'IOCV_ZONE_RULE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ZoneRuleConfigError';
  }
}

export interface ZoneRuleEngineOptions {
  cameraId: string;
  zones: readonly ZoneConfig[];
  rules: readonly ZoneRuleConfig[];
  /** Track states that count as present. @default ['confirmed'] */
  countStates?: readonly TrackState[];
}

/** Builds one rule instance from its config. */
export function createZoneRule(cfg: ZoneRuleConfig, zone: ZoneConfig, countStates?: readonly TrackState[]): ZoneRule {
  const base = { id: ruleId(cfg), zone, ...(countStates ? { countStates } : {}), ...(cfg.severity ? { severity: cfg.severity } : {}) };
  switch (cfg.type) {
    case 'zone_intrusion':
      return new ZoneIntrusionRule({
        ...base,
        ...(cfg.classes ? { classes: cfg.classes } : {}),
        ...(cfg.schedule ? { schedule: cfg.schedule } : {}),
        ...(cfg.minInsideFrames !== undefined ? { minInsideFrames: cfg.minInsideFrames } : {}),
        ...(cfg.rearmSeconds !== undefined ? { rearmSeconds: cfg.rearmSeconds } : {}),
      });
    case 'loitering':
      return new LoiteringRule({
        ...base,
        minDwellSeconds: cfg.minDwellSeconds,
        ...(cfg.classes ? { classes: cfg.classes } : {}),
        ...(cfg.maxGapSeconds !== undefined ? { maxGapSeconds: cfg.maxGapSeconds } : {}),
      });
    case 'crowding':
      return new CrowdingRule({
        ...base,
        maxPeople: cfg.maxPeople,
        ...(cfg.classes ? { classes: cfg.classes } : {}),
        ...(cfg.minDurationSeconds !== undefined ? { minDurationSeconds: cfg.minDurationSeconds } : {}),
        ...(cfg.clearAtOrBelow !== undefined ? { clearAtOrBelow: cfg.clearAtOrBelow } : {}),
        ...(cfg.clearSeconds !== undefined ? { clearSeconds: cfg.clearSeconds } : {}),
      });
  }
}

export class ZoneRuleEngine {
  readonly cameraId: string;
  readonly rules: readonly ZoneRule[];

  constructor(opts: ZoneRuleEngineOptions) {
    this.cameraId = opts.cameraId;
    const zones = new Map(opts.zones.map((z) => [z.id, z]));
    this.rules = opts.rules.map((cfg) => {
      const zone = zones.get(cfg.zone);
      if (!zone) throw new ZoneRuleConfigError(`camera ${opts.cameraId}: rule ${ruleId(cfg)} names unknown zone "${cfg.zone}"`);
      return createZoneRule(cfg, zone, opts.countStates);
    });
  }

  /** Runs every rule on one frame (in frame order); returns all signals raised on it. */
  process(frame: Omit<ZoneFrame, 'cameraId'>): IncidentSignal[] {
    const f: ZoneFrame = { ...frame, cameraId: this.cameraId };
    return this.rules.flatMap((r) => r.process(f));
  }
}
