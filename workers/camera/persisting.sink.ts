/**
 * Live sink: every counted crossing becomes a row (idempotent, counts bumped once) with an annotated snapshot in
 * object storage; every zone-rule signal becomes (or joins) an incident with an annotated snapshot; ended tracks are
 * summarised into the tracks table.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { CameraConfig } from '../../pipeline/config/camera-config.schema.js';
import type { FrameDetections, TrackSummary } from '../../pipeline/domain.types.js';
import { incidentIdFor } from '../../pipeline/incidents/incident-rules.js';
import type { IncidentSignal } from '../../pipeline/incidents/incident.types.js';
import { objectKey } from '../../storage/objects/object-keys.js';
import type { ObjectStore } from '../../storage/objects/object-store.port.js';
import type { AnalyticsRepository } from '../../storage/repositories/analytics.repository.js';
import type { IncidentRepository, RecordSignalResult } from '../../storage/repositories/incident.repository.js';
import { incidentOverlay } from '../evidence/incident-snapshot.overlay.js';
import { renderSnapshot } from '../evidence/snapshot.renderer.js';
import type { FrameStore } from '../frames/frame-store.js';
import type { AnalysisSink, StageOutput } from './camera-pipeline.js';

export interface PersistingSinkDeps {
  camera: CameraConfig;
  analytics: Pick<AnalyticsRepository, 'recordCrossing' | 'upsertTracks'>;
  incidents: Pick<IncidentRepository, 'recordSignal'>;
  objects: ObjectStore;
  frames: FrameStore;
  logger: Logger;
  /** Called after a crossing was stored for the first time (live push, metrics). */
  onCrossingStored?: (crossingId: string, atMs: number) => void;
  /** Called after a signal was recorded (created, merged or a duplicate of one recorded before). */
  onSignalRecorded?: (signal: IncidentSignal, result: RecordSignalResult) => void;
  /** Attempts of the incident write before the signal is given up (the write is idempotent). @default 3 */
  incidentWriteAttempts?: number;
  /** Wait before the first retry of the incident write, doubled each time, ms. @default 500 */
  incidentRetryDelayMs?: number;
}

export class PersistingSink implements AnalysisSink {
  private pendingTracks: TrackSummary[] = [];

  constructor(private readonly d: PersistingSinkDeps) {}

  async onAnalysed(fd: FrameDetections, out: StageOutput): Promise<void> {
    for (const c of out.crossings) {
      let key: string | null = objectKey.crossingSnapshot(c);
      // The snapshot goes first: a stored crossing never points at a picture that was not written.
      try {
        const jpeg = await this.d.frames.get(fd.frameKey);
        if (!jpeg) key = null;
        else {
          const line = this.d.camera.lines.find((l) => l.id === c.lineId);
          const pic = await renderSnapshot(jpeg, fd.width, fd.height, {
            tracks: out.tracks,
            highlightTrackId: c.trackId,
            lines: line
              ? [{ id: line.id, a: { x: line.points[0][0] * fd.width, y: line.points[0][1] * fd.height }, b: { x: line.points[1][0] * fd.width, y: line.points[1][1] * fd.height } }]
              : [],
            caption: `${this.d.camera.name} · ${c.lineId} · ${c.cls} ${c.direction} · ${new Date(fd.capturedAt).toISOString().replace('T', ' ').slice(0, 19)}Z`,
          });
          await this.d.objects.put(key, pic, 'image/jpeg');
        }
      } catch (err) {
        this.d.logger.warn({ err: (err as Error).message, crossing: c.id }, 'snapshot failed; storing the crossing without it');
        key = null;
      }
      const inserted = await this.d.analytics.recordCrossing(c, key);
      if (inserted) this.d.onCrossingStored?.(c.id, fd.capturedAt);
    }
    for (const signal of out.signals ?? []) await this.recordIncident(fd, out, signal);
    if (out.endedTracks.length) {
      this.pendingTracks.push(...out.endedTracks);
      if (this.pendingTracks.length >= 20) await this.flushTracks();
    }
  }

  /**
   * One signal → an incident (new or merged by the store's dedup). The snapshot is written first under the key of
   * the incident this signal would open, so a new incident's first event already carries its picture; a failed
   * snapshot only costs the picture, never the incident. Signal ids are deterministic: a write retried here, or a
   * frame re-delivered, is recorded once.
   */
  private async recordIncident(fd: FrameDetections, out: StageOutput, signal: IncidentSignal): Promise<void> {
    let key: string | null = objectKey.eventSnapshot({ id: incidentIdFor(signal), cameraId: signal.cameraId, at: signal.at });
    try {
      const jpeg = await this.d.frames.get(fd.frameKey);
      if (!jpeg) key = null;
      else {
        const pic = await renderSnapshot(jpeg, fd.width, fd.height, incidentOverlay(this.d.camera, signal, fd, out.tracks));
        await this.d.objects.put(key, pic, 'image/jpeg');
      }
    } catch (err) {
      this.d.logger.warn({ err: (err as Error).message, camera: signal.cameraId, type: signal.type }, 'incident snapshot failed; recording the incident without it');
      key = null;
    }
    const attempts = Math.max(1, this.d.incidentWriteAttempts ?? 3);
    let delayMs = this.d.incidentRetryDelayMs ?? 500;
    let result: RecordSignalResult | null = null;
    for (let attempt = 1; !result; attempt++) {
      try {
        result = await this.d.incidents.recordSignal(signal, { snapshotKey: key });
      } catch (err) {
        if (attempt >= attempts) throw err;
        this.d.logger.warn({ err: (err as Error).message, camera: signal.cameraId, type: signal.type, attempt }, 'incident write failed; retrying');
        await sleep(delayMs);
        delayMs *= 2;
      }
    }
    // Merged into an incident that has its own picture: this one belongs to nothing.
    if (key && result.incident.snapshotKey !== key) {
      await this.d.objects.delete(key).catch((err: unknown) => this.d.logger.debug({ err: (err as Error).message, key }, 'unused snapshot not removed'));
    }
    this.d.onSignalRecorded?.(signal, result);
  }

  async onFinish(out: StageOutput): Promise<void> {
    this.pendingTracks.push(...out.endedTracks);
    await this.flushTracks();
  }

  async flushTracks(): Promise<void> {
    if (!this.pendingTracks.length) return;
    const batch = this.pendingTracks;
    this.pendingTracks = [];
    await this.d.analytics.upsertTracks(batch);
  }
}
