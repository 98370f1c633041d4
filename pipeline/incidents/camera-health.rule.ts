/**
 * Camera offline/online incidents from the ingest status stream. A camera is reported offline only after it has
 * stayed away from 'online' for `graceMs` (a quick reconnect is not an incident), and online again once it recovers
 * after an offline signal.
 */
import type { CameraStatus } from '../domain.types.js';
import type { IncidentSignal } from './incident.types.js';

export interface CameraHealthRuleOptions {
  /** Time a camera must stay not-online before camera_offline is emitted, ms. @default 15000 */
  graceMs?: number;
  /** Severity of camera_offline. @default 'critical' */
  offlineSeverity?: IncidentSignal['severity'];
}

interface CameraHealthState {
  /** Epoch ms since when the camera is not online, or null while online. */
  downSince: number | null;
  reason: string | null;
  offlineReported: boolean;
}

export class CameraHealthRule {
  private readonly graceMs: number;
  private readonly offlineSeverity: IncidentSignal['severity'];
  private readonly cameras = new Map<string, CameraHealthState>();

  constructor(opts: CameraHealthRuleOptions = {}) {
    this.graceMs = opts.graceMs ?? 15_000;
    this.offlineSeverity = opts.offlineSeverity ?? 'critical';
  }

  /** Feed every status update; `now` defaults to the status' updatedAt. */
  update(status: CameraStatus, now: number = status.updatedAt): IncidentSignal[] {
    let st = this.cameras.get(status.cameraId);
    if (!st) {
      st = { downSince: null, reason: null, offlineReported: false };
      this.cameras.set(status.cameraId, st);
    }
    if (status.state === 'disabled') {
      // An admin switched it off: not an incident, and forget any pending offline.
      st.downSince = null;
      st.offlineReported = false;
      return [];
    }
    if (status.state === 'online') {
      st.downSince = null;
      if (!st.offlineReported) return [];
      st.offlineReported = false;
      return [{ type: 'camera_online', severity: 'info', cameraId: status.cameraId, at: now, details: { lastFrameAt: status.lastFrameAt } }];
    }
    // 'starting' counts as down too: a camera that never comes up must also be flagged.
    st.downSince ??= now;
    st.reason = status.reason;
    return this.check(status.cameraId, now);
  }

  /** Call periodically (status updates may stop entirely when the owner dies). */
  tick(now: number): IncidentSignal[] {
    const out: IncidentSignal[] = [];
    for (const id of this.cameras.keys()) out.push(...this.check(id, now));
    return out;
  }

  /** Forget a camera removed from the configuration. */
  remove(cameraId: string): void {
    this.cameras.delete(cameraId);
  }

  /** Cameras the rule has state for. */
  cameraIds(): string[] {
    return [...this.cameras.keys()];
  }

  /** Whether camera_offline was emitted for the camera's current outage (and camera_online is still due). */
  isOfflineReported(cameraId: string): boolean {
    return this.cameras.get(cameraId)?.offlineReported ?? false;
  }

  /**
   * Overrides whether the current outage was reported: `true` when a camera_offline incident is known to be live
   * (raised by an earlier instance of the rule, e.g. before a restart or a change of leader), `false` when the
   * emitted camera_offline could not be stored, so that it is emitted again.
   */
  setOfflineReported(cameraId: string, reported: boolean): void {
    let st = this.cameras.get(cameraId);
    if (!st) {
      st = { downSince: null, reason: null, offlineReported: false };
      this.cameras.set(cameraId, st);
    }
    st.offlineReported = reported;
  }

  private check(cameraId: string, now: number): IncidentSignal[] {
    const st = this.cameras.get(cameraId);
    if (!st || st.downSince === null || st.offlineReported || now - st.downSince < this.graceMs) return [];
    st.offlineReported = true;
    return [
      {
        type: 'camera_offline',
        severity: this.offlineSeverity,
        cameraId,
        at: now,
        details: { downSince: st.downSince, reason: st.reason },
      },
    ];
  }
}
