/**
 * Zone rules inside the per-camera ordered stage: one ZoneRuleEngine per camera, rebuilt when the camera's zones or
 * rules change at runtime (state of unchanged cameras is kept), fed with each analysed frame's tracks.
 */
import type { CameraConfig } from '../config/camera-config.schema.js';
import type { FrameRef, TrackedObject, TrackState } from '../domain.types.js';
import type { IncidentSignal } from '../incidents/incident.types.js';
import { ZoneRuleEngine } from './zone-rules.engine.js';
import type { ZoneRuleConfig } from './zone-rules.schema.js';

/** A camera config that may carry the proposed `rules` list. */
export type CameraWithRules = Pick<CameraConfig, 'id' | 'zones'> & { rules?: readonly ZoneRuleConfig[] };

export interface ZoneRulesStageOptions {
  /** Track states that count as present. @default ['confirmed'] */
  countStates?: readonly TrackState[];
}

export class ZoneRulesStage {
  private readonly engines = new Map<string, { fingerprint: string; engine: ZoneRuleEngine }>();

  constructor(private readonly opts: ZoneRulesStageOptions = {}) {}

  /** Runs the camera's rules on one analysed frame (frames of a camera must come in order). */
  process(camera: CameraWithRules, frame: Pick<FrameRef, 'capturedAt' | 'seq' | 'width' | 'height'>, tracks: readonly TrackedObject[]): IncidentSignal[] {
    const engine = this.engineFor(camera);
    if (!engine) return [];
    return engine.process({ at: frame.capturedAt, seq: frame.seq, width: frame.width, height: frame.height, objects: tracks });
  }

  /** Forget a removed camera. */
  remove(cameraId: string): void {
    this.engines.delete(cameraId);
  }

  private engineFor(camera: CameraWithRules): ZoneRuleEngine | null {
    const rules = camera.rules ?? [];
    if (!rules.length) {
      this.engines.delete(camera.id);
      return null;
    }
    const fingerprint = JSON.stringify([camera.zones, rules]);
    const cur = this.engines.get(camera.id);
    if (cur && cur.fingerprint === fingerprint) return cur.engine;
    const engine = new ZoneRuleEngine({ cameraId: camera.id, zones: camera.zones, rules, ...(this.opts.countStates ? { countStates: this.opts.countStates } : {}) });
    this.engines.set(camera.id, { fingerprint, engine });
    return engine;
  }
}
